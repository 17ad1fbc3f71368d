package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/clients"
)

// The client commands are thin mappings onto clients.Service, as the
// admin API's client routes are.

func (c *cli) clientCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Manage registered clients: add, list, show, rotate-secret, delete",
	}
	cmd.AddCommand(c.clientAddCmd(), c.clientListCmd(), c.clientShowCmd(), c.clientRotateCmd(), c.clientDeleteCmd())
	return cmd
}

// withClients opens the database and runs fn with a client service on it.
func (c *cli) withClients(ctx context.Context, fn func(*clients.Service) error) error {
	st, err := c.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := clients.New(clients.Config{Store: st})
	if err != nil {
		return err
	}
	return fn(svc)
}

func (c *cli) clientAddCmd() *cobra.Command {
	var (
		n             clients.NewClient
		scope, aud    string
		accessTTLFlag time.Duration
	)
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Register a client and print its id and secret (shown only once)",
		Long: `Register a client: an app its users log in through (--public for one without
a secret: a SPA, a mobile app), a resource server that introspects tokens and
reads the revocation feed, or a service that gets tokens of its own with the
client_credentials grant (confidential clients only).

--client-id chooses the client_id ("orders-api"); without it one is generated.
--scope bounds the scopes of the client's tokens: its users get only those of
their scopes, and its own tokens carry them. --audience adds audiences to the
aud of its tokens. --access-ttl shortens their lifetime (never beyond the
server's --access-ttl). The secret is printed once and only its hash is kept.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			n.Name = args[0]
			if n.Name == "" {
				return errors.New("the client needs a name")
			}
			var err error
			if n.Scopes, err = gatehouse.ParseScope(scope); err != nil {
				return fmt.Errorf("--scope %q: %w (scopes are separated by single spaces)", scope, err)
			}
			n.Audience = strings.Fields(aud)
			n.AccessTTL = accessTTLFlag
			return c.withClients(ctx, func(svc *clients.Service) error {
				cl, secret, err := svc.Create(ctx, n, clientActor)
				if errors.Is(err, clients.ErrIDTaken) {
					return fmt.Errorf("client_id %q is taken (by a client, or it is a user's id)", n.ID)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "client_id:     %s\n", cl.ID)
				if cl.Public {
					_, err = fmt.Fprintln(c.stdout, "client_secret: (none: public client)")
					return err
				}
				fmt.Fprintf(c.stdout, "client_secret: %s\n", secret)
				_, err = fmt.Fprintln(c.stderr, "Keep the secret now: it is not stored and cannot be shown again.")
				return err
			})
		},
	}
	cmd.Flags().StringVar(&n.ID, "client-id", "", "the client_id (letters, digits, - . _ ~; default: generated)")
	cmd.Flags().StringVar(&scope, "scope", "", `scopes the client's tokens may carry, separated by spaces (default: not bounded for its users, none of its own)`)
	cmd.Flags().StringVar(&aud, "audience", "", "audiences added to the aud of the client's tokens, separated by spaces")
	cmd.Flags().DurationVar(&accessTTLFlag, "access-ttl", 0, "lifetime of the client's access tokens, whole seconds up to 24h (default: the server's; never longer)")
	cmd.Flags().BoolVar(&n.Public, "public", false, "a public client, without a secret")
	return cmd
}

// clientActor is the command line in the audit log.
var clientActor = audit.CommandLine

func (c *cli) clientListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List registered clients",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withClients(cmd.Context(), func(svc *clients.Service) error {
				cs, err := svc.List(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tCLIENT_ID\tTYPE\tSCOPE\tCREATED")
				for _, cl := range cs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cl.Name, cl.ID, clientType(cl), gatehouse.FormatScope(cl.Scopes),
						cl.CreatedAt.UTC().Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}
}

func clientType(cl *gatehouse.Client) string {
	if cl.Confidential() {
		return "confidential"
	}
	return "public"
}

func (c *cli) clientShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show CLIENT_ID",
		Short: "Show a client (never its secret)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withClients(cmd.Context(), func(svc *clients.Service) error {
				cl, err := svc.Get(cmd.Context(), args[0])
				if errors.Is(err, clients.ErrNotFound) {
					return fmt.Errorf("no client %q", args[0])
				}
				if err != nil {
					return err
				}
				ttl := "the server's"
				if cl.AccessTTL > 0 {
					ttl = cl.AccessTTL.String() + " (at most the server's)"
				}
				tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "client_id:\t%s\n", cl.ID)
				fmt.Fprintf(tw, "name:\t%s\n", cl.Name)
				fmt.Fprintf(tw, "type:\t%s\n", clientType(cl))
				fmt.Fprintf(tw, "scope:\t%s\n", gatehouse.FormatScope(cl.Scopes))
				fmt.Fprintf(tw, "audience:\t%s\n", strings.Join(cl.Audience, " "))
				fmt.Fprintf(tw, "access-ttl:\t%s\n", ttl)
				fmt.Fprintf(tw, "created:\t%s\n", cl.CreatedAt.UTC().Format(time.RFC3339))
				return tw.Flush()
			})
		},
	}
}

func (c *cli) clientRotateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-secret CLIENT_ID",
		Short: "Give a client a new secret (shown only once); the old one and its tokens stop working",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withClients(cmd.Context(), func(svc *clients.Service) error {
				secret, err := svc.RotateSecret(cmd.Context(), args[0], clientActor)
				if errors.Is(err, clients.ErrNotFound) {
					return fmt.Errorf("no client %q", args[0])
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "client_id:     %s\nclient_secret: %s\n", args[0], secret)
				_, err = fmt.Fprintln(c.stderr, "Keep the secret now: it is not stored and cannot be shown again. "+
					"The old secret no longer works, and the tokens the client got with it are revoked.")
				return err
			})
		},
	}
}

func (c *cli) clientDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete CLIENT_ID",
		Short: "Delete a client: its credentials, its users' sessions through it and its own tokens end",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withClients(cmd.Context(), func(svc *clients.Service) error {
				n, err := svc.Delete(cmd.Context(), args[0], clientActor)
				if errors.Is(err, clients.ErrNotFound) {
					return fmt.Errorf("no client %q", args[0])
				}
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(c.stdout, "client %s deleted, %d session(s) ended\n", args[0], n)
				return err
			})
		},
	}
}
