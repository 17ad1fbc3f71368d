package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (c *cli) migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date (serve also does this on start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := c.openMigrated(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			_, err = fmt.Fprintf(c.stdout, "database %s is up to date\n", redactDSN(c.db))
			return err
		},
	}
}
