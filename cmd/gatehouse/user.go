package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
		Short: "Manage users: add, import, list, show, set, disable, enable, passwd, delete",
	}
	cmd.AddCommand(
		c.userAddCmd(),
		c.userImportCmd(),
		c.userListCmd(),
		c.userShowCmd(),
		c.userSetCmd(),
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
	var claimArgs []string
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a user (the password is prompted for, or read from stdin)",
		Long: `Create a user. The password is prompted for on a terminal, or read from the
first line of stdin with --password-stdin. A password hash is not a password:
bring users with their hashes in with "gatehouse user import".

--claim NAME=VALUE (repeatable) sets a custom claim that every access token
of the user carries; VALUE is taken as JSON when it is JSON (3, true,
["a","b"], {"id":7}, "quoted"), else as a string (admin).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if _, err := account.CanonicalUsername(args[0]); err != nil {
				return fmt.Errorf("username %q: %w", args[0], err)
			}
			scopes, err := gatehouse.ParseScope(scope)
			if err != nil {
				return fmt.Errorf("--scope %q: %w (scopes are separated by single spaces)", scope, err)
			}
			claims, err := parseClaimArgs(claimArgs)
			if err != nil {
				return err
			}
			if _, err := gatehouse.CheckCustomClaims(claims); err != nil {
				return err
			}
			pw, err := c.readPassword(fromStdin)
			if err != nil {
				return err
			}
			return c.withAccounts(ctx, func(svc *account.Service) error {
				u, err := svc.Create(ctx, account.NewUser{Username: args[0], Password: pw, Scopes: scopes, Claims: claims}, account.CommandLine)
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
	cmd.Flags().StringArrayVar(&claimArgs, "claim", nil, "a custom claim NAME=VALUE of the user's tokens (repeatable; VALUE is JSON if it parses, else a string)")
	return cmd
}

func (c *cli) userSetCmd() *cobra.Command {
	var scope string
	var claimArgs, unset []string
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Change a user's custom claims or scopes",
		Long: `Change a user's custom claims (--claim NAME=VALUE, --unset-claim NAME; both
repeatable) or scopes (--scope "a b": the whole new set). A change of claims
reaches the user's access tokens at their next refresh; taking a scope away
ends every session and token of the user at once.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var ch account.Changes
			set, err := parseClaimArgs(claimArgs)
			if err != nil {
				return err
			}
			ch.SetClaims, ch.UnsetClaims = set, unset
			if cmd.Flags().Changed("scope") {
				scopes, err := gatehouse.ParseScope(scope)
				if err != nil {
					return fmt.Errorf("--scope %q: %w (scopes are separated by single spaces)", scope, err)
				}
				if scopes == nil {
					scopes = []string{}
				}
				ch.Scopes = &scopes
			}
			if ch.SetClaims == nil && ch.UnsetClaims == nil && ch.Scopes == nil {
				return errors.New("nothing to change: give --claim, --unset-claim or --scope")
			}
			return c.withUser(ctx, args[0], func(svc *account.Service, u *gatehouse.User) error {
				u, n, err := svc.Update(ctx, u.ID, ch, account.CommandLine)
				if err != nil {
					return err
				}
				claims, _ := json.Marshal(u.Claims)
				if u.Claims == nil {
					claims = []byte("{}")
				}
				_, err = fmt.Fprintf(c.stdout, "user %s: scope %q, claims %s; %d session(s) ended\n",
					u.Username, gatehouse.FormatScope(u.Scopes), claims, n)
				return err
			})
		},
	}
	cmd.Flags().StringArrayVar(&claimArgs, "claim", nil, "set a custom claim NAME=VALUE (repeatable; VALUE is JSON if it parses, else a string)")
	cmd.Flags().StringArrayVar(&unset, "unset-claim", nil, "remove a custom claim (repeatable)")
	cmd.Flags().StringVar(&scope, "scope", "", `replace the user's scopes (e.g. "orders:read"; "" for none)`)
	return cmd
}

func (c *cli) userShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show a user as JSON (never the password hash)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withUser(cmd.Context(), args[0], func(_ *account.Service, u *gatehouse.User) error {
				claims := u.Claims
				if claims == nil {
					claims = map[string]json.RawMessage{}
				}
				scopes := u.Scopes
				if scopes == nil {
					scopes = []string{}
				}
				b, err := json.MarshalIndent(map[string]any{
					"id": u.ID, "username": u.Username, "scopes": scopes, "disabled": u.Disabled, "claims": claims,
					"created_at": u.CreatedAt.UTC(), "updated_at": u.UpdatedAt.UTC(), "password_changed_at": u.PasswordChangedAt.UTC(),
					"password_hash_scheme": hashScheme(u.PasswordHash),
				}, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(c.stdout, "%s\n", b)
				return err
			})
		},
	}
}

// hashScheme names the scheme of a stored hash ("argon2id", "bcrypt",
// "pbkdf2-sha256"), never more of it.
func hashScheme(h string) string {
	switch {
	case strings.HasPrefix(h, "$2"):
		return "bcrypt"
	case strings.HasPrefix(h, "$"):
		if scheme, _, ok := strings.Cut(h[1:], "$"); ok {
			return scheme
		}
	}
	return "unknown"
}

// parseClaimArgs reads --claim NAME=VALUE flags: VALUE is JSON when it is
// one JSON value, else a string. A name given twice is an error.
func parseClaimArgs(args []string) (map[string]json.RawMessage, error) {
	if len(args) == 0 {
		return nil, nil
	}
	out := make(map[string]json.RawMessage, len(args))
	for _, a := range args {
		name, value, ok := strings.Cut(a, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--claim %q: want NAME=VALUE", a)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--claim %s given twice", name)
		}
		if json.Valid([]byte(value)) && strings.TrimSpace(value) != "" {
			out[name] = json.RawMessage(value)
		} else {
			b, _ := json.Marshal(value)
			out[name] = b
		}
	}
	return out, nil
}

func (c *cli) userListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withAccounts(cmd.Context(), func(svc *account.Service) error {
				tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "USERNAME\tID\tSTATUS\tSCOPE\tCLAIMS\tCREATED")
				// Page by page: a million users are listed in constant memory.
				for after := ""; ; {
					users, err := svc.Page(cmd.Context(), after, 1000)
					if err != nil {
						return err
					}
					for _, u := range users {
						status := "active"
						if u.Disabled {
							status = "disabled"
						}
						claims := slices.Sorted(maps.Keys(u.Claims))
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.ID, status,
							gatehouse.FormatScope(u.Scopes), strings.Join(claims, ","), u.CreatedAt.UTC().Format(time.RFC3339))
					}
					if len(users) < 1000 {
						break
					}
					after = users[len(users)-1].Username
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
