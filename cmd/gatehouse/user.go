package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/password"
)

func (c *cli) userCmd() *cobra.Command {
	var accessTTL time.Duration
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage users: add, list, disable, enable, passwd, delete",
	}
	// Ending sessions (disable, passwd, delete) puts their ids in the
	// revocation feed until every access token they carry has expired,
	// which is the server's access-token lifetime.
	cmd.PersistentFlags().DurationVar(&accessTTL, "access-ttl", 15*time.Minute,
		"access-token lifetime of the server: how long ended sessions stay in the revocation feed")
	cmd.AddCommand(
		c.userAddCmd(),
		c.userListCmd(),
		c.userSetDisabledCmd(true, &accessTTL),
		c.userSetDisabledCmd(false, &accessTTL),
		c.userPasswdCmd(&accessTTL),
		c.userDeleteCmd(&accessTTL),
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
			name, err := httpapi.CanonicalUsername(args[0])
			if err != nil {
				return fmt.Errorf("username %q: %w", args[0], err)
			}
			scopes, err := gatehouse.ParseScope(scope)
			if err != nil {
				return fmt.Errorf("--scope %q: %w (scopes are separated by single spaces)", scope, err)
			}
			hash, err := c.newPasswordHash(ctx, fromStdin)
			if err != nil {
				return err
			}
			st, err := c.openMigrated(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			now := time.Now().UTC()
			u := &gatehouse.User{
				ID:                rand.Text(),
				Username:          name,
				PasswordHash:      hash,
				Scopes:            scopes,
				CreatedAt:         now,
				UpdatedAt:         now,
				PasswordChangedAt: now,
			}
			if err := st.CreateUser(ctx, u); err != nil {
				if errors.Is(err, gatehouse.ErrConflict) {
					return fmt.Errorf("user %q already exists", name)
				}
				return fmt.Errorf("create user: %w", err)
			}
			c.audit(ctx, st, gatehouse.EventAdmin, u.ID, "user created with scope "+strconv.Quote(gatehouse.FormatScope(u.Scopes)))
			_, err = fmt.Fprintf(c.stdout, "user %s added (id %s, scope %q)\n", u.Username, u.ID, gatehouse.FormatScope(u.Scopes))
			return err
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
			st, err := c.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			users, err := st.ListUsers(cmd.Context())
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
		},
	}
}

func (c *cli) userSetDisabledCmd(disable bool, accessTTL *time.Duration) *cobra.Command {
	use, short := "enable NAME", "Let a disabled user log in again"
	if disable {
		use, short = "disable NAME", "Stop a user from logging in and end all their sessions"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, u, err := c.openUser(ctx, args[0])
			if err != nil {
				return err
			}
			defer st.Close()
			u.Disabled = disable
			u.UpdatedAt = time.Now().UTC()
			if err := st.UpdateUser(ctx, u); err != nil {
				return fmt.Errorf("update user: %w", err)
			}
			if !disable {
				c.audit(ctx, st, gatehouse.EventAdmin, u.ID, "user enabled")
				_, err = fmt.Fprintf(c.stdout, "user %s enabled\n", u.Username)
				return err
			}
			c.audit(ctx, st, gatehouse.EventUserDisabled, u.ID, "user disabled")
			n, err := endUserSessions(ctx, st, u, "user disabled", *accessTTL)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(c.stdout, "user %s disabled, %d session(s) ended\n", u.Username, n)
			return err
		},
	}
}

func (c *cli) userPasswdCmd(accessTTL *time.Duration) *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password and end all their sessions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			hash, err := c.newPasswordHash(ctx, fromStdin)
			if err != nil {
				return err
			}
			st, u, err := c.openUser(ctx, args[0])
			if err != nil {
				return err
			}
			defer st.Close()
			now := time.Now().UTC()
			u.PasswordHash, u.UpdatedAt, u.PasswordChangedAt = hash, now, now
			if err := st.UpdateUser(ctx, u); err != nil {
				return fmt.Errorf("update user: %w", err)
			}
			c.audit(ctx, st, gatehouse.EventPasswordChanged, u.ID, "password set")
			n, err := endUserSessions(ctx, st, u, "password changed", *accessTTL)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(c.stdout, "password of %s changed, %d session(s) ended\n", u.Username, n)
			return err
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin instead of prompting")
	return cmd
}

func (c *cli) userDeleteCmd(accessTTL *time.Duration) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a user and end all their sessions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, u, err := c.openUser(ctx, args[0])
			if err != nil {
				return err
			}
			defer st.Close()
			// Revoke first: the feed entries outlive the deleted sessions,
			// so access tokens already handed out are refused too.
			if _, err := endUserSessions(ctx, st, u, "user deleted", *accessTTL); err != nil {
				return err
			}
			if err := st.DeleteUser(ctx, u.ID); err != nil {
				return fmt.Errorf("delete user: %w", err)
			}
			c.audit(ctx, st, gatehouse.EventAdmin, u.ID, "user deleted")
			_, err = fmt.Fprintf(c.stdout, "user %s deleted\n", u.Username)
			return err
		},
	}
}

// openUser opens the database and finds the user by (canonicalized) name.
func (c *cli) openUser(ctx context.Context, name string) (gatehouse.Store, *gatehouse.User, error) {
	canon, err := httpapi.CanonicalUsername(name)
	if err != nil {
		return nil, nil, fmt.Errorf("username %q: %w", name, err)
	}
	st, err := c.openMigrated(ctx)
	if err != nil {
		return nil, nil, err
	}
	u, err := st.UserByUsername(ctx, canon)
	if err != nil {
		st.Close()
		if errors.Is(err, gatehouse.ErrNotFound) {
			return nil, nil, fmt.Errorf("no user %q", canon)
		}
		return nil, nil, err
	}
	return st, u, nil
}

// checkPolicy is Hasher.CheckPolicy with the bounds in the message.
// newPasswordHash reads a new password (prompt or stdin), checks the
// policy before hashing, and returns its argon2id hash.
func (c *cli) newPasswordHash(ctx context.Context, fromStdin bool) (string, error) {
	pw, err := c.readPassword(fromStdin)
	if err != nil {
		return "", err
	}
	hasher, err := password.New(password.Config{})
	if err != nil {
		return "", err
	}
	if err := checkPolicy(hasher, pw); err != nil {
		return "", err
	}
	hash, err := hasher.Hash(ctx, pw)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}

func checkPolicy(h *password.Hasher, pw string) error {
	if err := h.CheckPolicy(pw); err != nil {
		cfg := h.Config()
		return fmt.Errorf("%w (a password has %d to %d bytes)", err, cfg.MinLength, cfg.MaxLength)
	}
	return nil
}
