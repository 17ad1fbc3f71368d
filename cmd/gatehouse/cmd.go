package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// cli is what every command shares: where it writes, where it reads a
// password from, how it reads the environment and the clock, and the --db
// flag.
type cli struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	lookupEnv      func(string) (string, bool)
	// now is the clock of the keys commands; nil is time.Now.
	now func() time.Time
	db  string
	// sources says where each flag's value came from (flag, env, file),
	// filled in by prepare before the command runs.
	sources map[string]string
}

// newRootCmd builds the whole command tree. It touches no global state, so
// tests run it in-process with their own writers and reader.
func newRootCmd(stdout, stderr io.Writer, stdin io.Reader) *cobra.Command {
	return (&cli{stdout: stdout, stderr: stderr, stdin: stdin, lookupEnv: osLookup}).rootCmd()
}

func (c *cli) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "gatehouse",
		Short: "Gatehouse: a JWT authentication server",
		Long: `Gatehouse is a JWT authentication server. Users log in with a username and
password and get a short-lived JWT access token and a one-time, rotating
refresh token; APIs verify access tokens locally with the published keys.

Every flag has an environment twin GATEHOUSE_<FLAG> (dashes become
underscores): the variable sets the default, a flag on the command line wins.
"gatehouse serve --config FILE" reads the same names from a TOML or YAML file,
below the environment (docs/configuration.md).`,
		SilenceUsage:  true,
		SilenceErrors: false,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return c.prepare(cmd)
		},
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetIn(c.stdin)
	root.PersistentFlags().StringVar(&c.db, "db", "sqlite:gatehouse.db", "database: sqlite:PATH or postgres://…")
	root.AddCommand(
		c.serveCmd(),
		c.userCmd(),
		c.clientCmd(),
		c.keysCmd(),
		c.migrateCmd(),
		c.versionCmd(),
		c.backupCmd(),
		c.sessionsCmd(),
	)
	annotateEnv(root)
	requireSubcommands(root)
	return root
}

// requireSubcommands makes every command that only groups others (the
// root, user, client, keys) fail on an unknown or missing subcommand.
// Cobra would print the group's help and exit 0 ("gatehouse user imprt
// users.jsonl" would look like it worked); here it says what is unknown,
// prints the usage to stderr and exits non-zero. --help still exits 0.
func requireSubcommands(cmd *cobra.Command) {
	if cmd.HasSubCommands() && !cmd.Runnable() {
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(cmd.ErrOrStderr())
			cmd.Usage()
			if len(args) > 0 {
				msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += "; did you mean " + strings.Join(s, " or ") + "?"
				}
				return errors.New(msg)
			}
			return fmt.Errorf("%q needs a command", cmd.CommandPath())
		}
	}
	for _, c := range cmd.Commands() {
		requireSubcommands(c)
	}
}
