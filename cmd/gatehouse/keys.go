package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/session"
	"github.com/gatehouse/gatehouse/token"
)

// The keys commands act on the stored keys as any replica does, through
// session.Keyring (docs/keys.md). Those that create or open keys need the
// key-encryption key, found as `serve` finds it (loadKEK).

func (c *cli) keysCmd() *cobra.Command {
	var kekFile string
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage signing keys: list, rotate, revoke, rewrap",
	}
	cmd.PersistentFlags().StringVar(&kekFile, "key-encryption-key-file", "", kekFlagUsage)
	cmd.AddCommand(c.keysListCmd(), c.keysRotateCmd(&kekFile), c.keysRevokeCmd(&kekFile), c.keysRewrapCmd(&kekFile))
	return cmd
}

// openKeyring opens the migrated store and its keyring; the caller closes
// the store.
func (c *cli) openKeyring(ctx context.Context, kekFile string) (gatehouse.Store, *session.Keyring, error) {
	st, err := c.openMigrated(ctx)
	if err != nil {
		return nil, nil, err
	}
	l, err := c.loadKEK(ctx, st, kekFile, true)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	if l.warning != "" {
		fmt.Fprintln(c.stderr, "warning:", l.warning)
	}
	kr, err := session.LoadKeyring(ctx, st, session.KeyringConfig{KEK: l.kek, Now: c.now, Audit: audit.New(st, nil, c.now)})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, kr, nil
}

func (c *cli) keysListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the signing keys and the key policy (never their private halves)",
		Long: `List the signing keys: their kid, algorithm, state, the key-encryption key
their private part is sealed under, when they were published and began to
sign, and, for the next key, when it may sign; for a retired key, until
when it stays published (the latest exp recorded for it, plus leeway).
Reading needs no key-encryption key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := c.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			p, keys, err := st.SigningKeys(cmd.Context())
			if err != nil {
				return err
			}
			rot := "off"
			if p.Rotation > 0 {
				rot = "every " + p.Rotation.String()
			}
			kek := p.KEKID
			if kek == "" {
				kek = "none yet (keys in the clear until a server starts)"
			}
			fmt.Fprintf(c.stdout, "algorithm %s, rotation %s, JWKS cache lifetime %s, key-encryption key %s\n",
				p.Algorithm, rot, p.JWKSMaxAge, kek)
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KID\tALG\tSTATE\tSEALED\tCREATED\tACTIVATED\tUNTIL")
			for _, k := range keys {
				sealed := k.KEKID
				switch {
				case len(k.PrivateKey) == 0:
					sealed = "destroyed"
				case k.KEKID == "":
					sealed = "IN THE CLEAR"
				}
				until := "-"
				switch k.State {
				case gatehouse.KeyNext:
					until = "signs from " + stamp(p.NextSignsFrom(k))
				case gatehouse.KeyRetired:
					until = "published until " + stamp(k.PublishedUntil())
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Algorithm, k.State, sealed,
					stamp(k.CreatedAt), stamp(k.ActivatedAt), until)
			}
			return tw.Flush()
		},
	}
}

// stamp is t in RFC 3339, "-" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func (c *cli) keysRotateCmd(kekFile *string) *cobra.Command {
	var alg string
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Make the next key active, retire the active one and publish a new next key",
		Long: `Rotate the signing keys now: the next key (published in the JWKS for at least
one JWKS cache lifetime) starts signing, the active key is retired and stays
published until every token it signed has expired, and a new next key is
published. Running servers follow within a second. If the next key has not
been published long enough, nothing is done and the command says when it
may sign.

With --alg naming another algorithm than the stored one, the algorithm
changes: the next key is replaced by a key of that algorithm, which signs
one JWKS cache lifetime later (a running server rotates to it then). Without
--alg, new keys are of the stored algorithm (the one servers were started
with), never guessed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if cmd.Flags().Changed("alg") {
				if _, err := parseAlg(alg); err != nil {
					return err
				}
			}
			st, kr, err := c.openKeyring(ctx, *kekFile)
			if err != nil {
				return err
			}
			defer st.Close()
			if cmd.Flags().Changed("alg") && alg != kr.Policy().Algorithm {
				if _, err := kr.ChangePolicy(ctx, session.KeyPolicyChange{Algorithm: token.Algorithm(alg)}, "the command line"); err != nil {
					return err
				}
				p := kr.Policy()
				for _, k := range kr.Keys() {
					if k.State == gatehouse.KeyNext {
						_, err = fmt.Fprintf(c.stdout, "signing algorithm is now %s: next key %s (%s) published; it may sign from %s.\n"+
							"A running server rotates to it then (or run `gatehouse keys rotate` again).\n",
							p.Algorithm, k.ID, k.Algorithm, stamp(p.NextSignsFrom(k)))
					}
				}
				return err
			}
			kid, err := kr.Rotate(ctx, "the command line")
			var nr *session.NotReadyError
			if errors.As(err, &nr) {
				return fmt.Errorf("not rotated: the next key %s has not been published for a JWKS cache lifetime; it may sign from %s",
					nr.KID, stamp(nr.SignsFrom))
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(c.stdout, "signing keys rotated: %s is now active\n", kid)
			return err
		},
	}
	cmd.Flags().StringVar(&alg, "alg", "", "change the signing algorithm (ES256, EdDSA or RS256); default: the stored one")
	return cmd
}

func (c *cli) keysRevokeCmd(kekFile *string) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke KID",
		Short: "Revoke a signing key at once (it leaked): its tokens are refused everywhere",
		Long: `Revoke the signing key KID at once: it leaves the JWKS, its private part is
destroyed, every token it signed is refused by Gatehouse (on every replica,
at once), and a "kid" entry in the revocation feed tells resource servers to
drop it without waiting for their JWKS cache. If it was the active key, the
next key signs from now on and a new next key is published.

If the key-encryption key leaked with the database, every key is exposed:
revoke the next key first, then the active one (the fresh key that replaces
the next one then signs), then each retired key, and rewrap to a new
key-encryption key.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, kr, err := c.openKeyring(ctx, *kekFile)
			if err != nil {
				return err
			}
			defer st.Close()
			rv, err := kr.Revoke(ctx, args[0], "the command line")
			if errors.Is(err, session.ErrUnknownKey) {
				return fmt.Errorf("no signing key %q (see `gatehouse keys list`)", args[0])
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(c.stdout, "signing key %s (%s, %s) revoked: its tokens are refused, resource servers drop it from the revocation feed (until %s).\n%s is active.\n",
				rv.Key.ID, rv.Key.Algorithm, rv.Key.State, stamp(rv.ForgetAt), rv.Active)
			return err
		},
	}
}

func (c *cli) keysRewrapCmd(kekFile *string) *cobra.Command {
	var newFile string
	cmd := &cobra.Command{
		Use:   "rewrap",
		Short: "Seal every signing key under a new key-encryption key",
		Long: `Seal every private signing key under a new key-encryption key (KEK), in one
atomic write; keys are created under the new KEK only from then on.

--new-key-encryption-key-file names the new KEK's file: it is created (0600,
random) if it does not exist. Without it, on SQLite with the KEK file beside
the database, a new KEK takes that file's place and the old one is kept
beside it as <file>.<old kek id>.old: it still opens backups made before
now; destroy it once they are gone.

Then give every server the new KEK and restart it: until then a server keeps
the keys it opened, but cannot take up keys created after the rewrap.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := c.openMigrated(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			cur, err := c.loadKEK(ctx, st, *kekFile, true)
			if err != nil {
				return err
			}
			// Make sure the keys are under cur (a database whose keys are still
			// in the clear gets sealed first).
			if _, err := session.LoadKeyring(ctx, st, session.KeyringConfig{KEK: cur.kek, Now: c.now}); err != nil {
				return err
			}
			target, install := newFile, ""
			if target == "" {
				if !cur.defaultFile {
					return errors.New("--new-key-encryption-key-file is required (the key-encryption key is not the file beside the database)")
				}
				target, install = cur.file+".new", cur.file
				if err := createKEKFile(target, token.GenerateKEK()); errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("%s exists: a rewrap was interrupted; give it with --new-key-encryption-key-file, or remove it", target)
				} else if err != nil {
					return fmt.Errorf("create the new key-encryption key: %w", err)
				}
			} else if err := createKEKFile(target, token.GenerateKEK()); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("create the new key-encryption key: %w", err)
			}
			next, err := readKEKFile(target, false)
			if err != nil {
				return err
			}
			if next.warning != "" {
				fmt.Fprintln(c.stderr, "warning:", next.warning)
			}
			n, err := session.RewrapKeys(ctx, st, cur.kek, next.kek, session.KeyringConfig{
				Now: c.now, Audit: audit.New(st, slog.New(slog.DiscardHandler), c.now),
			})
			if err != nil {
				return err
			}
			where := target
			if install != "" {
				old := fmt.Sprintf("%s.%s.old", install, cur.kek.ID())
				if err := installKEKFile(install, target, old); err != nil {
					return fmt.Errorf("the keys are sealed under the key-encryption key in %s, but: %w", target, err)
				}
				fmt.Fprintf(c.stdout, "the old key-encryption key %s is kept in %s: it opens backups made before now; destroy it once they are gone\n",
					cur.kek.ID(), old)
				where = install
			}
			_, err = fmt.Fprintf(c.stdout, "%d signing keys rewrapped to key-encryption key %s (%s); restart every server with it\n",
				n, next.kek.ID(), where)
			return err
		},
	}
	cmd.Flags().StringVar(&newFile, "new-key-encryption-key-file", "", "file of the new key-encryption key (created if it does not exist)")
	return cmd
}
