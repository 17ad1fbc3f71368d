package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
	"go.yaml.in/yaml/v3"
)

// The configuration file is read with well-kept libraries: go-toml for
// TOML (its decoder refuses duplicate keys and bad syntax with a position,
// its parser gives the line of every key) and yaml.v3 for YAML (its node
// tree gives the line of every key). What is Gatehouse's own is the
// mapping of keys onto flags (config.go). Errors here begin with the line:
// "LINE: what".

// parseTOML reads the top-level keys of a TOML document. Tables are
// refused: every key is a flag name.
func parseTOML(data []byte) ([]configEntry, error) {
	var values map[string]any
	if err := toml.Unmarshal(data, &values); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, fmt.Errorf("%d: %s", row, de.Error())
		}
		return nil, fmt.Errorf(" %w", err)
	}
	var p unstable.Parser
	p.Reset(data)
	var out []configEntry
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			it := e.Key()
			it.Next()
			line := p.Shape(it.Node().Raw).Start.Line
			return nil, fmt.Errorf("%d: tables are not supported: every key is a flag name at the top level", line)
		case unstable.KeyValue:
			var parts []string
			it := e.Key()
			line := 0
			for it.Next() {
				if line == 0 {
					line = p.Shape(it.Node().Raw).Start.Line
				}
				parts = append(parts, string(it.Node().Data))
			}
			key := strings.Join(parts, ".")
			v, ok := values[key]
			if len(parts) > 1 || !ok {
				return nil, fmt.Errorf("%d: unknown key %q", line, key)
			}
			out = append(out, configEntry{key: key, value: v, line: line})
		}
	}
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf(" %w", err) // the decoder above has seen every syntax error
	}
	return out, nil
}

// yamlLine finds the line in a yaml.v3 error ("yaml: line 3: …").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parseYAML reads the top-level keys of a YAML mapping. Duplicate keys
// are refused here (yaml.v3 checks them only when it decodes into Go
// values).
func parseYAML(data []byte) ([]configEntry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			return nil, fmt.Errorf("%s: %s", m[1], strings.TrimPrefix(msg, m[0]))
		}
		return nil, fmt.Errorf(" %s", msg)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil // an empty file sets nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%d: want a mapping of flag names to values", root.Line)
	}
	var out []configEntry
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
			return nil, fmt.Errorf("%d: a key must be a flag name", k.Line)
		}
		val, err := yamlValue(v)
		if err != nil {
			return nil, fmt.Errorf("%d: %s: %v", v.Line, k.Value, err)
		}
		out = append(out, configEntry{key: k.Value, value: val, line: k.Line})
	}
	return out, nil
}

// yamlValue decodes a value node to the types parseTOML gives: string,
// bool, int64, float64, nil or []any of them; a mapping is a map.
func yamlValue(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return map[string]any{}, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	if i, ok := v.(int); ok {
		return int64(i), nil
	}
	return v, nil
}
