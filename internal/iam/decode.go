package iam

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A policy document is first decoded into a tree of nodes, walking
// encoding/json's tokens so that member order is kept and duplicate keys,
// which encoding/json would silently let the last one win, can be refused.
// The checks that need to say where something is wrong run on the tree.

type kind int

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

type node struct {
	kind kind
	text string // a string's value, a number as written, "true" or "false"
	arr  []*node
	obj  []member
	dup  string // the first key that appears twice in obj, if any
}

type member struct {
	key string
	val *node
}

// maxDepth bounds nesting: a valid policy nests five levels deep at most
// (Statement, [i], Condition, operator, key, [j]).
const maxDepth = 32

var errTooDeep = errors.New("policy document nests too deeply")

// decodeTree decodes exactly one JSON value from doc.
func decodeTree(doc string) (*node, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	n, err := decodeNode(dec, 0)
	if err != nil {
		return nil, jsonError(dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected data after the top-level value")
		}
		return nil, jsonError(dec, err)
	}
	return n, nil
}

func jsonError(dec *json.Decoder, err error) error {
	if err == errTooDeep {
		return err
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = errors.New("unexpected end of document")
	}
	return fmt.Errorf("policy document is not valid JSON: %v (at byte %d)", strings.TrimPrefix(err.Error(), "json: "), dec.InputOffset())
}

func decodeNode(dec *json.Decoder, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case bool:
		n := &node{kind: kindBool, text: "false"}
		if v {
			n.text = "true"
		}
		return n, nil
	case json.Number:
		return &node{kind: kindNumber, text: string(v)}, nil
	case string:
		return &node{kind: kindString, text: v}, nil
	case json.Delim:
		switch v {
		case '[':
			n := &node{kind: kindArray}
			for dec.More() {
				e, err := decodeNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, e)
			}
			_, err := dec.Token() // ']'
			return n, err
		case '{':
			n := &node{kind: kindObject}
			seen := make(map[string]bool)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is %v, not a string", kt)
				}
				val, err := decodeNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if seen[key] && n.dup == "" {
					n.dup = key
				}
				seen[key] = true
				n.obj = append(n.obj, member{key, val})
			}
			_, err := dec.Token() // '}'
			return n, err
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}
