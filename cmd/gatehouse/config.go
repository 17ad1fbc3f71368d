package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// configFlag names the configuration file (docs/configuration.md). Its
// keys are the flag names of the command; flags and env twins override it.
const configFlag = "config"

// Where a setting's value comes from, in order of precedence.
const (
	sourceFlag    = "flag"
	sourceEnv     = "env"
	sourceFile    = "file"
	sourceDefault = "default"
)

// prepare fills in the flags of cmd that the command line left out: from
// their env twins, then (for a command with --config) from the
// configuration file, and records where each value came from in
// c.sources. It runs before every command.
func (c *cli) prepare(cmd *cobra.Command) error {
	c.sources = map[string]string{}
	flags := cmd.Flags()
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			c.sources[f.Name] = sourceFlag
		}
	})
	if err := applyEnv(cmd, c.lookupEnv); err != nil {
		return err
	}
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Changed && c.sources[f.Name] == "" {
			c.sources[f.Name] = sourceEnv
		}
	})
	if flags.Lookup(configFlag) == nil {
		return nil
	}
	path, _ := flags.GetString(configFlag)
	if path == "" {
		return nil
	}
	set, err := applyConfigFile(flags, path)
	if err != nil {
		return err
	}
	for _, name := range set {
		c.sources[name] = sourceFile
	}
	return nil
}

// source is where the value of flag name came from.
func (c *cli) source(name string) string {
	if s := c.sources[name]; s != "" {
		return s
	}
	return sourceDefault
}

// A configEntry is one key of a configuration file, its value decoded to
// one of string, bool, int64, float64 or []any, and its line.
type configEntry struct {
	key   string
	value any
	line  int
}

// applyConfigFile sets every flag of flags that the command line and the
// environment left unset from the file at path (TOML for .toml, YAML for
// .yaml and .yml), and returns the names it set. It fails closed: an
// unknown key, a value of the wrong type, a duplicate key or a value the
// flag refuses is an error naming the file and line, and the command
// stops.
func applyConfigFile(flags *pflag.FlagSet, path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	var entries []configEntry
	switch strings.ToLower(filepath.Ext(path)) {
	case ".toml":
		entries, err = parseTOML(data)
	case ".yaml", ".yml":
		entries, err = parseYAML(data)
	default:
		return nil, fmt.Errorf("--config %q: want a .toml, .yaml or .yml file", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	type setting struct {
		f    *pflag.Flag
		line int
		val  string
		list []string
	}
	var todo []setting
	seen := map[string]int{}
	for _, e := range entries {
		at := fmt.Sprintf("%s:%d", path, e.line)
		if first, dup := seen[e.key]; dup {
			return nil, fmt.Errorf("%s: duplicate key %q (first at line %d)", at, e.key, first)
		}
		seen[e.key] = e.line
		f := flags.Lookup(e.key)
		if f == nil || e.key == "help" || e.key == configFlag {
			msg := fmt.Sprintf("%s: unknown key %q", at, e.key)
			if e.key == configFlag {
				msg = fmt.Sprintf("%s: %q cannot be set in a configuration file", at, e.key)
			} else if s := suggestFlag(flags, e.key); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return nil, errors.New(msg)
		}
		s := setting{f: f, line: e.line}
		if s.val, s.list, err = configValue(f, e.value); err != nil {
			return nil, fmt.Errorf("%s: %s: %v", at, e.key, err)
		}
		todo = append(todo, s)
	}
	// Every key and type is checked before any value is set.
	var set []string
	for _, s := range todo {
		if s.f.Changed {
			continue // the flag or its env twin wins
		}
		if err := setFromFile(s.f, s.val, s.list); err != nil {
			return nil, fmt.Errorf("%s:%d: %s %v", path, s.line, s.f.Name, err)
		}
		set = append(set, s.f.Name)
	}
	sort.Strings(set)
	return set, nil
}

// setFromFile sets f to val (or the list) and marks it changed: a value
// from the file counts as given, like one from the environment.
func setFromFile(f *pflag.Flag, val string, list []string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok && list != nil {
		if err := sv.Replace(list); err != nil {
			return err
		}
	} else if err := f.Value.Set(val); err != nil {
		return fmt.Errorf("%q: %v", maskValue(f.Name, val), err)
	}
	f.Changed = true
	return nil
}

// configValue converts a decoded file value to what flag f takes: a bool
// for a bool flag, an array of strings for a list, an integer for a number
// and a string for the rest (durations are strings: "15m").
func configValue(f *pflag.Flag, v any) (string, []string, error) {
	typ := f.Value.Type()
	switch typ {
	case "bool":
		if b, ok := v.(bool); ok {
			return fmt.Sprint(b), nil, nil
		}
		return "", nil, fmt.Errorf("want true or false, got %s", typeName(v))
	case "stringSlice", "stringArray":
		items, ok := v.([]any)
		if !ok {
			return "", nil, fmt.Errorf("want an array of strings, got %s", typeName(v))
		}
		list := make([]string, 0, len(items))
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				return "", nil, fmt.Errorf("want an array of strings, got an array holding %s", typeName(it))
			}
			list = append(list, s)
		}
		return "", list, nil
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		if n, ok := v.(int64); ok {
			return fmt.Sprint(n), nil, nil
		}
		return "", nil, fmt.Errorf("want an integer, got %s", typeName(v))
	case "duration":
		if s, ok := v.(string); ok {
			return s, nil, nil
		}
		return "", nil, fmt.Errorf(`want a duration as a string, such as "15m" or "336h", got %s`, typeName(v))
	default:
		if s, ok := v.(string); ok {
			return s, nil, nil
		}
		return "", nil, fmt.Errorf("want a string, got %s", typeName(v))
	}
}

// typeName names the type of a decoded file value, for errors.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing (null)"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// suggestFlag is the flag name closest to a misspelt key, or "".
func suggestFlag(flags *pflag.FlagSet, key string) string {
	best, bestD := "", 3
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" || f.Name == configFlag {
			return
		}
		if d := editDistance(key, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
