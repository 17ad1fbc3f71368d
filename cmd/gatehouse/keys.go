package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/session"
)

func (c *cli) keysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage signing keys: list, rotate",
	}
	cmd.AddCommand(c.keysListCmd(), c.keysRotateCmd())
	return cmd
}

func (c *cli) keysListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List signing keys (never their private halves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := c.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			keys, err := st.SigningKeys(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KID\tALG\tSTATE\tCREATED\tRETIRED")
			for _, k := range keys {
				retired := "-"
				if !k.RetiredAt.IsZero() {
					retired = k.RetiredAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Algorithm, k.State, k.CreatedAt.UTC().Format(time.RFC3339), retired)
			}
			return tw.Flush()
		},
	}
}

func (c *cli) keysRotateCmd() *cobra.Command {
	var alg string
	var accessTTL time.Duration
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Make the next key active, retire the active one and publish a new next key",
		Long: `Rotate the signing keys: the next key (already published in the JWKS) starts
signing, the active key is retired and stays published until the tokens it
signed have expired, and a new next key is published. Running servers pick
the rotation up within about ten seconds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := parseAlg(alg)
			if err != nil {
				return err
			}
			st, err := c.openMigrated(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			kr, err := session.LoadKeyring(ctx, st, session.KeyringConfig{
				Algorithm: a,
				Retain:    accessTTL + time.Minute,
			})
			if err != nil {
				return err
			}
			if err := kr.Rotate(ctx); err != nil {
				return err
			}
			_, err = fmt.Fprintf(c.stdout, "signing key rotated: %s is now active\n", kr.Signer().Key().ID())
			return err
		},
	}
	cmd.Flags().StringVar(&alg, "alg", "ES256", "signing algorithm of the new next key: ES256, EdDSA or RS256")
	cmd.Flags().DurationVar(&accessTTL, "access-ttl", 15*time.Minute, "access-token lifetime of the server: how long retired keys stay published")
	return cmd
}
