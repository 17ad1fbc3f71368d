package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
)

// maxImportLine bounds one line of an import file (a claims object is at
// most 1 KiB; a line of a MiB is a mistake, not a user).
const maxImportLine = 1 << 20

// maxLineErrors bounds the refusals printed; the count is always given.
const maxLineErrors = 100

func (c *cli) userImportCmd() *cobra.Command {
	var format string
	var opt account.ImportOptions
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import users with their password hashes from JSON Lines or CSV (- reads stdin)",
		Long: `Import users with their password hashes from another system, all or nothing.

FILE is JSON Lines (one object per line) or CSV with a header row; - reads
stdin. The format is --format, else the file's extension (.jsonl, .ndjson,
.json; .csv), else the first character ({ is JSON Lines). Fields:

  username       required; stored in its canonical form
  password_hash  required: bcrypt $2a$/$2b$/$2y$ (passlib, Python's bcrypt),
                 passlib $pbkdf2-sha256$, $argon2id$ or $argon2i$; rehashed to
                 argon2id at the user's first successful login
  scope          optional: scopes separated by spaces (JSON Lines: also an array)
  claims         optional: a JSON object of custom claims (CSV: its JSON text)
  disabled       optional: true or false

Every line is checked first; any refusal is reported with its line number and
nothing is written. An existing username is an error unless --update, which
changes that user to what the line says (a field the line leaves out stays
as it is; a new hash, a scope taken away or disabling end the user's
sessions). --dry-run reports what would happen and writes nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			users, refused, err := c.readImport(args[0], format)
			if err != nil {
				return err
			}
			return c.withAccounts(ctx, func(svc *account.Service) error {
				// Lines that could not be read are reported with those the
				// service refuses, all at once; then nothing is written.
				o := opt
				if len(refused) > 0 {
					o.DryRun = true
				}
				rep, err := svc.Import(ctx, users, o, account.CommandLine)
				var ie *account.ImportError
				if errors.As(err, &ie) {
					refused = append(refused, ie.Lines...)
				} else if err != nil {
					return err
				}
				if len(refused) > 0 {
					slices.SortStableFunc(refused, func(a, b account.LineError) int { return a.Line - b.Line })
					return c.lineErrors(refused)
				}
				if opt.DryRun {
					_, err = fmt.Fprintf(c.stdout, "dry run: %d user(s) would be created, %d updated, %d unchanged; nothing was written\n",
						rep.Created, rep.Updated, rep.Unchanged)
					return err
				}
				_, err = fmt.Fprintf(c.stdout, "imported: %d user(s) created, %d updated, %d unchanged, %d session(s) ended\n",
					rep.Created, rep.Updated, rep.Unchanged, rep.SessionsEnded)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "jsonl or csv (default: from the file's extension, else its first character)")
	cmd.Flags().BoolVar(&opt.Update, "update", false, "change users that exist instead of refusing their lines")
	cmd.Flags().BoolVar(&opt.DryRun, "dry-run", false, "check everything and report what would happen; write nothing")
	return cmd
}

// lineErrors prints refused lines to stderr and returns the error that
// makes the command fail.
func (c *cli) lineErrors(errs []account.LineError) error {
	for i, e := range errs {
		if i == maxLineErrors {
			fmt.Fprintf(c.stderr, "… and %d more\n", len(errs)-i)
			break
		}
		fmt.Fprintln(c.stderr, e.Error())
	}
	return fmt.Errorf("%d line(s) refused; nothing was imported", len(errs))
}

// readImport reads the users of an import file (or stdin for "-"), and
// the lines it could not read as a user.
func (c *cli) readImport(name, format string) ([]account.ImportUser, []account.LineError, error) {
	var r io.Reader = c.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 64<<10)
	// A UTF-8 byte order mark (spreadsheets write one) is not data.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	if format == "" {
		format = importFormat(name, br)
	}
	var (
		users []account.ImportUser
		errs  []account.LineError
		err   error
	)
	switch format {
	case "jsonl":
		users, errs, err = readJSONLines(br)
	case "csv":
		users, errs, err = readCSV(br)
	default:
		return nil, nil, fmt.Errorf("--format %q: want jsonl or csv", format)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(users) == 0 && len(errs) == 0 {
		return nil, nil, errors.New("no users in the file")
	}
	return users, errs, nil
}

// importFormat guesses the format from the file's extension, else from
// its first character that is not white space.
func importFormat(name string, br *bufio.Reader) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jsonl", ".ndjson", ".json":
		return "jsonl"
	case ".csv":
		return "csv"
	}
	for n := 1; n <= 4096; n++ {
		b, err := br.Peek(n)
		if len(b) < n || err != nil {
			break
		}
		switch b[n-1] {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return "jsonl"
		}
		break
	}
	return "csv"
}

// importLine is one line of a JSON Lines import.
type importLine struct {
	Username     *string         `json:"username"`
	PasswordHash *string         `json:"password_hash"`
	Scope        json.RawMessage `json:"scope"`
	Claims       json.RawMessage `json:"claims"`
	Disabled     *bool           `json:"disabled"`
}

// readJSONLines reads one JSON object per line; blank lines are skipped.
// A line that is not such an object, names a field twice or names an
// unknown field is refused.
func readJSONLines(r io.Reader) ([]account.ImportUser, []account.LineError, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxImportLine)
	var (
		users []account.ImportUser
		errs  []account.LineError
	)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		u, err := parseJSONLine(line)
		if err != nil {
			errs = append(errs, account.LineError{Line: n, Username: u.Username, Err: err})
			continue
		}
		u.Line = n
		users = append(users, u)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, fmt.Errorf("line %d: longer than %d bytes", len(users)+len(errs)+1, maxImportLine)
		}
		return nil, nil, err
	}
	return users, errs, nil
}

func parseJSONLine(line []byte) (account.ImportUser, error) {
	var u account.ImportUser
	if err := repeatedMember(line); err != nil {
		return u, err
	}
	var in importLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return u, fmt.Errorf("not a JSON object of username, password_hash, scope, claims, disabled: %v", err)
	}
	if dec.More() {
		return u, errors.New("more than one JSON value on the line")
	}
	if in.Username != nil {
		u.Username = *in.Username
	}
	if in.Username == nil || in.PasswordHash == nil {
		return u, errors.New("username and password_hash are required")
	}
	u.PasswordHash = *in.PasswordHash
	if len(in.Scope) > 0 && string(in.Scope) != "null" {
		sc, err := jsonScope(in.Scope)
		if err != nil {
			return u, err
		}
		u.Scopes, u.HasScopes = sc, true
	}
	if len(in.Claims) > 0 && string(in.Claims) != "null" {
		claims, err := claimsObject(in.Claims)
		if err != nil {
			return u, err
		}
		u.Claims, u.HasClaims = claims, true
	}
	if in.Disabled != nil {
		u.Disabled, u.HasDisabled = *in.Disabled, true
	}
	return u, nil
}

// jsonScope reads scope: a space-separated string, or an array of scope
// tokens.
func jsonScope(raw json.RawMessage) ([]string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		sc, err := gatehouse.ParseScope(s)
		if err != nil {
			return nil, errors.New("scope: not RFC 6749 scope tokens separated by single spaces")
		}
		if sc == nil {
			sc = []string{}
		}
		return sc, nil
	}
	var arr []string
	if err := json.Unmarshal(raw, &arr); err != nil {
		return nil, errors.New("scope: a string of scopes separated by spaces, or an array of them")
	}
	if arr == nil {
		arr = []string{}
	}
	return arr, nil
}

// claimsObject reads the claims field: a JSON object, no name twice.
func claimsObject(raw []byte) (map[string]json.RawMessage, error) {
	if err := repeatedMember(raw); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errors.New("claims: not a JSON object")
	}
	return m, nil
}

// repeatedMember refuses an object that names a top-level member twice:
// encoding/json would keep the last, and the line would mean two things.
func repeatedMember(line []byte) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return errors.New("not a JSON object")
		}
		k, _ := t.(string)
		if seen[k] {
			return fmt.Errorf("the field %q is given twice", k)
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return errors.New("not a JSON object")
		}
	}
	return nil
}

// csvColumns are the columns a CSV import may have.
var csvColumns = []string{"username", "password_hash", "scope", "claims", "disabled"}

// readCSV reads a CSV file with a header row naming its columns (in any
// order; username and password_hash required). A record's line is the
// line where it starts.
func readCSV(r io.Reader) ([]account.ImportUser, []account.LineError, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("CSV header row: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slicesContains(csvColumns, h) {
			return nil, nil, fmt.Errorf("CSV header: unknown column %q (columns: %s)", h, strings.Join(csvColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, nil, fmt.Errorf("CSV header: column %q twice", h)
		}
		col[h] = i
	}
	if _, ok := col["username"]; !ok {
		return nil, nil, errors.New("CSV header: no username column")
	}
	if _, ok := col["password_hash"]; !ok {
		return nil, nil, errors.New("CSV header: no password_hash column")
	}
	var (
		users []account.ImportUser
		errs  []account.LineError
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				errs = append(errs, account.LineError{Line: pe.StartLine, Err: fmt.Errorf("%d fields, the header has %d", len(rec), len(header))})
				continue
			}
			return nil, nil, fmt.Errorf("line %d: %w", pe.StartLine, pe.Err)
		}
		if err != nil {
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0) // only after a record was read
		field := func(name string) (string, bool) {
			i, ok := col[name]
			return rec[i], ok
		}
		u := account.ImportUser{Line: line}
		u.Username, _ = field("username")
		u.PasswordHash, _ = field("password_hash")
		if v, ok := field("scope"); ok {
			sc, err := gatehouse.ParseScope(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, account.LineError{Line: line, Username: u.Username, Err: errors.New("scope: not RFC 6749 scope tokens separated by single spaces")})
				continue
			}
			if sc == nil {
				sc = []string{}
			}
			u.Scopes, u.HasScopes = sc, true
		}
		if v, ok := field("claims"); ok && strings.TrimSpace(v) != "" {
			claims, err := claimsObject([]byte(v))
			if err != nil {
				errs = append(errs, account.LineError{Line: line, Username: u.Username, Err: err})
				continue
			}
			u.Claims, u.HasClaims = claims, true
		}
		if v, ok := field("disabled"); ok && strings.TrimSpace(v) != "" {
			d, err := parseBool(v)
			if err != nil {
				errs = append(errs, account.LineError{Line: line, Username: u.Username, Err: err})
				continue
			}
			u.Disabled, u.HasDisabled = d, true
		}
		users = append(users, u)
	}
	return users, errs, nil
}

// parseBool reads a CSV boolean: true/false, 1/0, yes/no, any case.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "t", "y":
		return true, nil
	case "false", "0", "no", "f", "n":
		return false, nil
	}
	return false, fmt.Errorf("disabled: %s is not true or false", strconv.Quote(v))
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
