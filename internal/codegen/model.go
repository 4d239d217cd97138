package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// model is the trimmed botocore model (see scripts/trim-model.py).
type model struct {
	BotocoreVersion string               `json:"botocoreVersion"`
	Metadata        metadata             `json:"metadata"`
	Operations      map[string]operation `json:"operations"`
	Shapes          map[string]*shape    `json:"shapes"`
}

type metadata struct {
	Protocol     string `json:"protocol"`
	JSONVersion  string `json:"jsonVersion"`
	TargetPrefix string `json:"targetPrefix"`
}

type operation struct {
	Name       string `json:"name"`
	Input      *ref   `json:"input"`
	Output     *ref   `json:"output"`
	Errors     []ref  `json:"errors"`
	Idempotent bool   `json:"idempotent"`
}

type ref struct {
	Shape        string `json:"shape"`
	LocationName string `json:"locationName"`
}

type shape struct {
	Type      string         `json:"type"`
	Members   map[string]ref `json:"members"`
	Required  []string       `json:"required"`
	Enum      []string       `json:"enum"`
	Min       *int64         `json:"min"`
	Max       *int64         `json:"max"`
	Pattern   string         `json:"pattern"`
	Member    *ref           `json:"member"`
	Key       *ref           `json:"key"`
	Value     *ref           `json:"value"`
	Exception bool           `json:"exception"`
	Error     *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
	} `json:"error"`

	name string // shape name in the model
}

func loadModel(path string) (*model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.Metadata.Protocol != "json" || m.Metadata.TargetPrefix == "" {
		return nil, fmt.Errorf("%s: protocol %q with target prefix %q; only JSON protocol models are supported",
			path, m.Metadata.Protocol, m.Metadata.TargetPrefix)
	}
	for name, s := range m.Shapes {
		s.name = name
	}
	return &m, m.check()
}

// check refuses what the generator does not support, so that a model change
// fails generation instead of producing code that mishandles it.
func (m *model) check() error {
	for _, name := range sortedKeys(m.Shapes) {
		s := m.Shapes[name]
		switch s.Type {
		case "string", "boolean", "integer", "long", "blob", "timestamp":
		case "structure":
			for _, mn := range sortedKeys(s.Members) {
				if _, ok := m.Shapes[s.Members[mn].Shape]; !ok {
					return fmt.Errorf("shape %s.%s: unknown shape %q", name, mn, s.Members[mn].Shape)
				}
			}
			for _, r := range s.Required {
				if _, ok := s.Members[r]; !ok {
					return fmt.Errorf("shape %s: required member %q does not exist", name, r)
				}
			}
			if s.Exception {
				for mn := range s.Members {
					if mn != "message" && mn != "Message" {
						return fmt.Errorf("exception %s: member %q is not supported (only message)", name, mn)
					}
				}
			}
		case "list":
			if s.Member == nil || m.Shapes[s.Member.Shape] == nil {
				return fmt.Errorf("list %s: missing or unknown member shape", name)
			}
		default:
			return fmt.Errorf("shape %s: type %q is not supported by the generator", name, s.Type)
		}
		if s.Pattern != "" && s.Type != "string" {
			return fmt.Errorf("shape %s: pattern on a %s is not supported", name, s.Type)
		}
		if len(s.Enum) > 0 && (s.Min != nil || s.Max != nil || s.Pattern != "") {
			return fmt.Errorf("shape %s: constraints besides enum are not supported on enums", name)
		}
	}
	for _, name := range sortedKeys(m.Operations) {
		op := m.Operations[name]
		if op.Input == nil {
			return fmt.Errorf("operation %s: operations without input are not supported", name)
		}
		for _, r := range append([]*ref{op.Input, op.Output}, refs(op.Errors)...) {
			if r != nil && m.Shapes[r.Shape] == nil {
				return fmt.Errorf("operation %s: unknown shape %q", name, r.Shape)
			}
		}
		for _, e := range op.Errors {
			if !m.Shapes[e.Shape].Exception {
				return fmt.Errorf("operation %s: error %s is not an exception shape", name, e.Shape)
			}
		}
	}
	return nil
}

func refs(rs []ref) []*ref {
	out := make([]*ref, len(rs))
	for i := range rs {
		out[i] = &rs[i]
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
