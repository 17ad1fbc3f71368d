package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/password"
)

func (c *cli) clientCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Manage registered clients: add, list",
	}
	cmd.AddCommand(c.clientAddCmd(), c.clientListCmd())
	return cmd
}

func (c *cli) clientAddCmd() *cobra.Command {
	var public bool
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Register a client and print its id and secret (shown only once)",
		Long: `Register a client: a resource server that introspects tokens and reads the
revocation feed, or an app that asks for tokens with its own client_id.
The secret is printed once and only its hash is kept. --public registers a
client without a secret.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cl := &gatehouse.Client{
				ID:        "gh_" + rand.Text(),
				Name:      args[0],
				Public:    public,
				CreatedAt: time.Now().UTC(),
			}
			if cl.Name == "" {
				return errors.New("the client needs a name")
			}
			var secret string
			if !public {
				// rand.Text: 26 base32 characters, 130 bits of randomness;
				// two make a secret no dictionary reaches, so a fast hash
				// keeps every client-authenticated call cheap.
				secret = rand.Text() + rand.Text()
				cl.SecretHash = password.SecretHash(secret)
			}
			st, err := c.openMigrated(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.CreateClient(ctx, cl); err != nil {
				return fmt.Errorf("create client: %w", err)
			}
			fmt.Fprintf(c.stdout, "client_id:     %s\n", cl.ID)
			if public {
				_, err = fmt.Fprintln(c.stdout, "client_secret: (none: public client)")
				return err
			}
			fmt.Fprintf(c.stdout, "client_secret: %s\n", secret)
			_, err = fmt.Fprintln(c.stderr, "Keep the secret now: it is not stored and cannot be shown again.")
			return err
		},
	}
	cmd.Flags().BoolVar(&public, "public", false, "a public client, without a secret")
	return cmd
}

func (c *cli) clientListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List registered clients",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := c.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			clients, err := st.ListClients(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCLIENT_ID\tTYPE\tCREATED")
			for _, cl := range clients {
				kind := "confidential"
				if cl.Public {
					kind = "public"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cl.Name, cl.ID, kind, cl.CreatedAt.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
}
