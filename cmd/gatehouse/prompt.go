package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/gatehouse/gatehouse/password"
)

// maxPasswordLine bounds what --password-stdin reads; the password policy
// refuses anything this long anyway.
const maxPasswordLine = 4096

// errHashAsPassword: what was given as a password is a password hash.
var errHashAsPassword = errors.New("this is a password hash, not a password: setting it would make the hash's text the password. " +
	"Bring users in with their hashes with \"gatehouse user import FILE\" (JSON Lines or CSV with username and password_hash; see docs/migrating-from-fastapi.md)")

// readPassword gets a new password: one line from stdin with fromStdin
// (the trailing newline, and a carriage return before it, are not part of
// it), otherwise a prompt on the terminal, typed twice. It never echoes.
// A password hash (password.LooksLikeHash) is refused, pointing at
// "user import".
func (c *cli) readPassword(fromStdin bool) (string, error) {
	pw, err := c.readPasswordText(fromStdin)
	if err == nil && password.LooksLikeHash(pw) {
		return "", errHashAsPassword
	}
	return pw, err
}

func (c *cli) readPasswordText(fromStdin bool) (string, error) {
	if fromStdin {
		return readLine(c.stdin)
	}
	f, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("stdin is not a terminal: pass the password on stdin with --password-stdin")
	}
	fmt.Fprint(c.stderr, "Password: ")
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	fmt.Fprint(c.stderr, "Repeat password: ")
	again, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(c.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if string(pw) != string(again) {
		return "", errors.New("the passwords do not match")
	}
	return string(pw), nil
}

// readLine reads one line (without its line ending) from r.
func readLine(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxPasswordLine+2), maxPasswordLine+2)
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	if errors.Is(err, io.EOF) && len(line) > maxPasswordLine {
		return "", fmt.Errorf("password on stdin is longer than %d bytes", maxPasswordLine)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", errors.New("no password on stdin")
	}
	return line, nil
}
