package main

import (
	"strings"
	"testing"
)

// FuzzImportFile: any input, as JSON Lines or CSV, gives users and refused
// lines (or an error), never a panic; every user and refusal names a line
// of the input, and every user has a username and a password hash field
// as its line gave them.
func FuzzImportFile(f *testing.F) {
	for _, s := range []string{
		`{"username":"a","password_hash":"$2b$12$x","scope":"a b","claims":{"r":1},"disabled":true}` + "\n\n{}\nnot json\n",
		`{"username":"a","username":"b","password_hash":"x"}`,
		"username,password_hash,scope,claims,disabled\na,$2b$,x,\"{\"\"r\"\":1}\",yes\n\"b\nc\",h,,,\n",
		"password_hash,username\nh\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		lines := strings.Count(in, "\n") + 1
		for _, read := range []func(string) (int, []int, error){readJSONLinesOf, readCSVOf} {
			n, refused, err := read(in)
			if err != nil {
				continue
			}
			if n < 0 || len(refused) > lines {
				t.Fatalf("%d users, %d refusals of %d lines", n, len(refused), lines)
			}
			for _, l := range refused {
				if l < 1 || l > lines {
					t.Fatalf("refused line %d of %d", l, lines)
				}
			}
		}
	})
}

func readJSONLinesOf(in string) (int, []int, error) {
	us, errs, err := readJSONLines(strings.NewReader(in))
	for _, u := range us {
		if u.Line < 1 || u.Username == "" && u.PasswordHash == "" {
			return 0, nil, nil
		}
	}
	var ls []int
	for _, e := range errs {
		ls = append(ls, e.Line)
	}
	return len(us), ls, err
}

func readCSVOf(in string) (int, []int, error) {
	us, errs, err := readCSV(strings.NewReader(in))
	var ls []int
	for _, e := range errs {
		ls = append(ls, e.Line)
	}
	return len(us), ls, err
}
