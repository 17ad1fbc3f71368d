package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
	"github.com/gatehouse/gatehouse/password"
)

// The user commands are thin mappings onto account.Service, as the admin
// API is: the same canonical names, conditional writes, ending of sessions
// (a security epoch moved in the same write, which every server sharing
// the database honours at once, whatever its access-token lifetime) and
// audit events.

func (c *cli) userCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage users: add, list, disable, enable, passwd, delete",
	}
	cmd.AddCommand(
		c.userAddCmd(),
		c.userListCmd(),
		c.userSetDisabledCmd(true),
		c.userSetDisabledCmd(false),
		c.userPasswdCmd(),
		c.userDeleteCmd(),
	)
	return cmd
}

func (c *cli) userAddCmd() *cobra.Command {
	var scope string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a user (the password is prompted for, or read from stdin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if _, err := account.CanonicalUsername(args[0]); err != nil {
				return fmt.Errorf("username %q: %w", args[0], err)
			}
			scopes, err := gatehouse.ParseScope(scope)
			if err != nil {
				return fmt.Errorf("--scope %q: %w (scopes are separated by single spaces)", scope, err)
			}
			pw, err := c.readPassword(fromStdin)
			if err != nil {
				return err
			}
			return c.withAccounts(ctx, func(svc *account.Service) error {
				u, err := svc.Create(ctx, account.NewUser{Username: args[0], Password: pw, Scopes: scopes}, account.CommandLine)
				if errors.Is(err, account.ErrUsernameTaken) {
					canon, _ := account.CanonicalUsername(args[0])
					return fmt.Errorf("user %q already exists", canon)
				}
				if err != nil {
					return c.passwordError(err)
				}
				_, err = fmt.Fprintf(c.stdout, "user %s added (id %s, scope %q)\n", u.Username, u.ID, gatehouse.FormatScope(u.Scopes))
				return err
			})
		},
	}
	cmd.Flags().StringVar(&scope, "scope", "", `the user's scopes, separated by spaces (e.g. "orders:read orders:write")`)
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of prompting")
	return cmd
}

func (c *cli) userListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withAccounts(cmd.Context(), func(svc *account.Service) error {
				users, err := svc.List(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "USERNAME\tID\tSTATUS\tSCOPE\tCREATED")
				for _, u := range users {
					status := "active"
					if u.Disabled {
						status = "disabled"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Username, u.ID, status,
						gatehouse.FormatScope(u.Scopes), u.CreatedAt.UTC().Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}
}

func (c *cli) userSetDisabledCmd(disable bool) *cobra.Command {
	use, short := "enable NAME", "Let a disabled user log in again"
	if disable {
		use, short = "disable NAME", "Stop a user from logging in and end all their sessions and tokens"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return c.withUser(ctx, args[0], func(svc *account.Service, u *gatehouse.User) error {
				u, n, err := svc.Update(ctx, u.ID, account.Changes{Disabled: &disable}, account.CommandLine)
				if err != nil {
					return err
				}
				if !disable {
					_, err = fmt.Fprintf(c.stdout, "user %s enabled\n", u.Username)
					return err
				}
				_, err = fmt.Fprintf(c.stdout, "user %s disabled, %d session(s) ended\n", u.Username, n)
				return err
			})
		},
	}
}

func (c *cli) userPasswdCmd() *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password and end all their sessions and tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pw, err := c.readPassword(fromStdin)
			if err != nil {
				return err
			}
			return c.withUser(ctx, args[0], func(svc *account.Service, u *gatehouse.User) error {
				u, n, err := svc.Update(ctx, u.ID, account.Changes{Password: &pw}, account.CommandLine)
				if err != nil {
					return c.passwordError(err)
				}
				_, err = fmt.Fprintf(c.stdout, "password of %s changed, %d session(s) ended\n", u.Username, n)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of prompting")
	return cmd
}

func (c *cli) userDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a user and end all their sessions and tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return c.withUser(ctx, args[0], func(svc *account.Service, u *gatehouse.User) error {
				if err := svc.Delete(ctx, u.ID, account.CommandLine); err != nil {
					return err
				}
				_, err := fmt.Fprintf(c.stdout, "user %s deleted\n", u.Username)
				return err
			})
		},
	}
}

// withAccounts opens the database and runs fn with an account service on
// it. Passwords are hashed with the server's production parameters.
func (c *cli) withAccounts(ctx context.Context, fn func(*account.Service) error) error {
	hasher, err := password.New(password.Config{})
	if err != nil {
		return err
	}
	st, err := c.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := account.New(account.Config{Store: st, Passwords: hasher})
	if err != nil {
		return err
	}
	return fn(svc)
}

// withUser runs fn on the user named name (in any form with the same
// canonical form).
func (c *cli) withUser(ctx context.Context, name string, fn func(*account.Service, *gatehouse.User) error) error {
	canon, err := account.CanonicalUsername(name)
	if err != nil {
		return fmt.Errorf("username %q: %w", name, err)
	}
	return c.withAccounts(ctx, func(svc *account.Service) error {
		u, err := svc.ByName(ctx, canon)
		if errors.Is(err, account.ErrNotFound) {
			return fmt.Errorf("no user %q", canon)
		}
		if err != nil {
			return err
		}
		return fn(svc, u)
	})
}

// passwordError says what the password policy is when a password breaks it.
func (c *cli) passwordError(err error) error {
	if errors.Is(err, password.ErrTooShort) || errors.Is(err, password.ErrTooLong) {
		if h, herr := password.New(password.Config{}); herr == nil {
			cfg := h.Config()
			return fmt.Errorf("%w (a password has %d to %d bytes)", err, cfg.MinLength, cfg.MaxLength)
		}
	}
	return err
}
