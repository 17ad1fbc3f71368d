package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/session"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

func (c *cli) backupCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the SQLite database to FILE, while the server runs",
		Long: `Write a consistent copy of the SQLite database to FILE (mode 0600) while
servers keep using it: every write acknowledged before the backup starts is
in the copy. The copy is checked with PRAGMA integrity_check. A plain cp of
the live file is not a backup.

The copy does not hold the key-encryption key that seals the signing keys
(gatehouse.kek beside the database, or the one given to the server): keep
that key apart from the backups, and restore both. After a restore, sessions
revoked since the backup are live again in it: end them with
gatehouse sessions revoke --issued-before <the backup's time>.

On PostgreSQL use pg_dump instead (docs/operations.md).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, ok := strings.CutPrefix(c.db, "sqlite:")
			if !ok {
				return fmt.Errorf("gatehouse backup copies SQLite databases; on PostgreSQL (--db %s) use pg_dump, as docs/operations.md describes",
					redactDSN(c.db))
			}
			// Opening a missing file would create an empty database and
			// back that up.
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("database %s: %w", path, err)
			}
			out := args[0]
			if fi, err := os.Lstat(out); err == nil {
				if !force {
					return fmt.Errorf("%s exists: give --force to replace it", out)
				}
				if !fi.Mode().IsRegular() {
					return fmt.Errorf("%s exists and is not a regular file: not replaced", out)
				}
				if err := os.Remove(out); err != nil {
					return err
				}
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			ctx := cmd.Context()
			st, err := sqlite.Open(ctx, path)
			if err != nil {
				return err
			}
			defer st.Close()
			start := c.clock()().UTC()
			if err := st.Backup(ctx, out); err != nil {
				return err
			}
			// Every session in the copy was created before the backup
			// ended: revoking those issued before this time ends them all.
			// It is printed to the nanosecond, not rounded up, so that the
			// command can be run at once (a time to come is refused).
			end := c.clock()().UTC()
			p, _, err := st.SigningKeys(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "backed up %s to %s: every write acknowledged before %s is in it (integrity check ok)\n",
				path, out, start.Format(time.RFC3339Nano))
			if p.KEKID != "" {
				kekFile := "the key-encryption key file given to the server (--key-encryption-key-file or " + kekEnv + ")"
				if def, ok := defaultKEKPath(c.db); ok {
					if _, err := os.Stat(def); err == nil {
						kekFile = def
					}
				}
				fmt.Fprintf(c.stdout, "the signing keys in it are sealed under key-encryption key %s (%s), which the backup does not hold: "+
					"keep a copy of that key apart from the backup; a restore without it cannot sign\n", p.KEKID, kekFile)
			}
			fmt.Fprintf(c.stdout, "after restoring it, end the sessions it brings back: gatehouse sessions revoke --issued-before %s\n",
				end.Format(time.RFC3339Nano))
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	return cmd
}

func (c *cli) sessionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "End sessions in bulk",
	}
	var before string
	revoke := &cobra.Command{
		Use:   "revoke --issued-before T",
		Short: "End every session created before T (after restoring a backup)",
		Long: `End every session created before T, as a logout does: its refresh token
stops working, and its access tokens are refused by Gatehouse and, through
the revocation feed, by every API that reads it. T is an RFC 3339 time
(2026-01-02T15:04:05Z) or how long ago (90m, 36h, 7d). Run it after
restoring a backup, with the backup's time: sessions revoked after the
backup are live again in the copy (docs/operations.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := c.clock()()
			t, err := parseIssuedBefore(before, now)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := c.openMigrated(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			rec := audit.New(st, slog.New(slog.DiscardHandler), c.now)
			n, err := session.EndSessionsIssuedBefore(ctx, st, rec, t, now,
				"sessions revoked by an operator: issued before "+t.UTC().Format(time.RFC3339))
			if err != nil {
				return fmt.Errorf("ended %d sessions, then: %w", n, err)
			}
			_, err = fmt.Fprintf(c.stdout, "ended %d sessions issued before %s\n", n, t.UTC().Format(time.RFC3339))
			return err
		},
	}
	revoke.Flags().StringVar(&before, "issued-before", "", "RFC 3339 time, or a duration ago (90m, 36h, 7d)")
	revoke.MarkFlagRequired("issued-before")
	cmd.AddCommand(revoke)
	return cmd
}

// parseIssuedBefore reads --issued-before: an RFC 3339 time, or a
// duration (days allowed) before now.
func parseIssuedBefore(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		if t.After(now) {
			return time.Time{}, fmt.Errorf("--issued-before %s: is in the future", s)
		}
		return t, nil
	}
	d, err := parseDays(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("--issued-before %q: want an RFC 3339 time (2026-01-02T15:04:05Z) or a positive duration ago (90m, 36h, 7d)", s)
	}
	return now.Add(-d), nil
}

// clock is the CLI's clock.
func (c *cli) clock() func() time.Time {
	if c.now != nil {
		return c.now
	}
	return time.Now
}
