package awsproto

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// InputLimits bound one operation's request: its body's bytes, the values
// it may hold (map keys and containers included) and how deeply they may
// nest (the top-level structure is 1). Decoding builds a value tree whose
// size is a small multiple of the body only when the values are few: a 4 MiB
// array of two million zeros costs hundreds of megabytes as a tree. Bodies
// are therefore walked first, without building anything, and refused when
// over budget. A zero field means the protocol layer's default.
type InputLimits struct {
	Bytes    int64
	Elements int64
	Depth    int64
}

// Defaults for operations without limits of their own.
const (
	DefaultMaxElements = 100_000
	DefaultMaxDepth    = 32
)

// maxScanDepth stops a walk before its stack grows with hostile nesting;
// no limit may exceed it.
const maxScanDepth = maxCBORDepth

// Top-level text members are kept for Authorize when the body's structure
// has at most maxMembers members and the text is at most maxMemberLen bytes:
// enough for ARNs, bounded whatever the body.
const (
	maxMembers   = 64
	maxMemberLen = 2048
)

// bodyStats is what a walk over a body learns without building a tree.
type bodyStats struct {
	elements int64
	depth    int
	// members holds the top-level structure's short text members, last
	// occurrence winning as in decoding; nil when unknown.
	members map[string]string
	count   int // top-level members seen
}

// visit counts a value at depth (the top level is 1).
func (st *bodyStats) visit(depth int) {
	st.elements++
	st.depth = max(st.depth, depth)
}

// member records top-level member key: its text value, or ok false when it
// has another kind (or too long a text), which forgets any earlier one.
func (st *bodyStats) member(key, text string, ok bool) {
	st.count++
	if st.count > maxMembers {
		st.members = nil
	}
	if st.members == nil {
		return
	}
	if ok && len(text) <= maxMemberLen {
		st.members[key] = text
	} else {
		delete(st.members, key)
	}
}

// Member returns a top-level text member of the body if the walk could tell
// it: absent, not text, too long, or in a body too large to tell all give "", false.
func (st *bodyStats) Member(name string) (string, bool) {
	v, ok := st.members[name]
	return v, ok
}

// check refuses a body beyond l.
func (st *bodyStats) check(l InputLimits) error {
	maxElements, maxDepth := l.Elements, l.Depth
	if maxElements <= 0 {
		maxElements = DefaultMaxElements
	}
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	if st.elements > maxElements {
		return serializationf("", "The request body holds more than %d values", maxElements)
	}
	if int64(st.depth) > maxDepth {
		return serializationf("", "The request body nests deeper than %d levels", maxDepth)
	}
	return nil
}

// scanJSON walks an AWS JSON 1.1 body. It refuses what is not JSON and what
// follows the first value; what the value is (an object or not) is for the
// decoder to say.
func scanJSON(body []byte) (*bodyStats, error) {
	s := jsonScanner{p: body, st: &bodyStats{members: map[string]string{}}}
	s.space()
	if s.off == len(body) {
		return s.st, nil // empty input
	}
	if err := s.value(1); err != nil {
		s.st.members = nil
		return s.st, serializationf("", "The request body is not valid JSON: %v", err)
	}
	s.space()
	if s.off != len(body) {
		s.st.members = nil
		return s.st, serializationf("", "The request body has data after the JSON value")
	}
	return s.st, nil
}

type jsonScanner struct {
	p   []byte
	off int
	st  *bodyStats
}

func (s *jsonScanner) space() {
	for s.off < len(s.p) {
		switch s.p[s.off] {
		case ' ', '\t', '\n', '\r':
			s.off++
		default:
			return
		}
	}
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf(format+" at offset %d", append(args, s.off)...)
}

// value walks one value at depth.
func (s *jsonScanner) value(depth int) error {
	if depth > maxScanDepth {
		return s.errorf("nesting deeper than %d", maxScanDepth)
	}
	s.st.visit(depth)
	if s.off >= len(s.p) {
		return s.errorf("unexpected end of input")
	}
	switch c := s.p[s.off]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		s.off++
		s.space()
		if s.off < len(s.p) && s.p[s.off] == ']' {
			s.off++
			return nil
		}
		for {
			s.space()
			if err := s.value(depth + 1); err != nil {
				return err
			}
			if done, err := s.separator(']', "array"); done || err != nil {
				return err
			}
		}
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if len(s.p)-s.off >= len(lit) && string(s.p[s.off:s.off+len(lit)]) == lit {
				s.off += len(lit)
				return nil
			}
		}
		return s.errorf("invalid character %q looking for a value", c)
	}
}

func (s *jsonScanner) object(depth int) error {
	s.off++ // {
	s.space()
	if s.off < len(s.p) && s.p[s.off] == '}' {
		s.off++
		return nil
	}
	for {
		s.space()
		if s.off >= len(s.p) || s.p[s.off] != '"' {
			return s.errorf("expected a member name")
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		s.st.visit(depth + 1) // keys cost as values do
		s.space()
		if s.off >= len(s.p) || s.p[s.off] != ':' {
			return s.errorf("expected ':' after a member name")
		}
		s.off++
		s.space()
		start := s.off
		if err := s.value(depth + 1); err != nil {
			return err
		}
		if depth == 1 {
			k, _ := unquote(key)
			text, ok := "", false
			if s.p[start] == '"' && s.off-start <= 6*maxMemberLen+2 {
				text, ok = unquote(s.p[start:s.off])
			}
			s.st.member(k, text, ok)
		}
		if done, err := s.separator('}', "object"); done || err != nil {
			return err
		}
	}
}

// separator passes over the ',' between the elements of an array or the
// members of an object, or over the end that closes it (done).
func (s *jsonScanner) separator(end byte, in string) (done bool, err error) {
	s.space()
	if s.off >= len(s.p) {
		return false, s.errorf("unexpected end of input")
	}
	switch s.p[s.off] {
	case ',':
		s.off++
		return false, nil
	case end:
		s.off++
		return true, nil
	}
	return false, s.errorf("invalid character %q in an %s", s.p[s.off], in)
}

// str passes over a string and returns it as written, quotes included.
func (s *jsonScanner) str() ([]byte, error) {
	start := s.off
	s.off++ // "
	for s.off < len(s.p) {
		switch c := s.p[s.off]; {
		case c == '"':
			s.off++
			return s.p[start:s.off], nil
		case c == '\\':
			if s.off+1 >= len(s.p) {
				return nil, s.errorf("unexpected end of input")
			}
			switch s.p[s.off+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.off += 2
			case 'u':
				if len(s.p)-s.off < 6 || !isHex4(s.p[s.off+2:s.off+6]) {
					return nil, s.errorf("invalid \\u escape")
				}
				s.off += 6
			default:
				return nil, s.errorf("invalid escape")
			}
		case c < 0x20:
			return nil, s.errorf("control character in a string")
		default:
			s.off++
		}
	}
	return nil, s.errorf("unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *jsonScanner) digits() int {
	n := 0
	for s.off < len(s.p) && s.p[s.off] >= '0' && s.p[s.off] <= '9' {
		s.off++
		n++
	}
	return n
}

// number passes over a number in JSON's grammar.
func (s *jsonScanner) number() error {
	if s.p[s.off] == '-' {
		s.off++
	}
	if s.off < len(s.p) && s.p[s.off] == '0' {
		s.off++
	} else if s.digits() == 0 {
		return s.errorf("invalid number")
	}
	if s.off < len(s.p) && s.p[s.off] == '.' {
		s.off++
		if s.digits() == 0 {
			return s.errorf("invalid number")
		}
	}
	if s.off < len(s.p) && (s.p[s.off] == 'e' || s.p[s.off] == 'E') {
		s.off++
		if s.off < len(s.p) && (s.p[s.off] == '+' || s.p[s.off] == '-') {
			s.off++
		}
		if s.digits() == 0 {
			return s.errorf("invalid number")
		}
	}
	return nil
}

// unquote decodes a JSON string as encoding/json does, invalid UTF-8
// becoming U+FFFD.
func unquote(quoted []byte) (string, bool) {
	inner := quoted[1 : len(quoted)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return string(inner), true
	}
	var v string
	if err := json.Unmarshal(quoted, &v); err != nil {
		return "", false
	}
	return v, true
}
