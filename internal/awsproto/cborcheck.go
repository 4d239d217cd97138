package awsproto

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// checkCBOR reports whether body is exactly one well-formed CBOR data item
// (RFC 8949 Appendix C) of the kinds smithy-go decodes, with text-string map
// keys as RPC v2 CBOR requires. It walks the encoding without building
// anything, and runs before cbor.Decode because that decoder (smithy-go
// v1.28.9, encoding/cbor/decode.go) trusts its input:
//   - decodeList and decodeMap convert a length with int(), so a length of
//     2^63 or more wraps negative and the loop decodes an empty list or map;
//   - Decode ignores what follows the first data item;
//   - lengths are checked against the input only one item at a time.
//
// Once checkCBOR has passed, every length fits in the rest of the input,
// so those conversions are safe.
func checkCBOR(body []byte) error {
	_, err := walkCBOR(body)
	return err
}

// scanCBOR is checkCBOR that also counts the items as budgets count them
// (see InputLimits) and keeps the top-level map's short text members. An
// empty body, an empty input in RPC v2 CBOR, passes.
func scanCBOR(body []byte) (*bodyStats, error) {
	if len(body) == 0 {
		return &bodyStats{members: map[string]string{}}, nil
	}
	return walkCBOR(body)
}

func walkCBOR(body []byte) (*bodyStats, error) {
	c := cborChecker{p: body, st: &bodyStats{members: map[string]string{}}}
	if _, err := c.item(0, false); err != nil {
		c.st.members = nil
		return c.st, err
	}
	if c.off != len(body) {
		c.st.members = nil
		return c.st, fmt.Errorf("%d bytes follow the data item that ends at offset %d", len(body)-c.off, c.off)
	}
	return c.st, nil
}

// maxCBORDepth is the nesting cbor.Decode accepts: arrays, maps and tags
// deeper than this are refused before the stack grows with them.
const maxCBORDepth = 128

const (
	cborUint = iota
	cborNegInt
	cborBytes
	cborText
	cborArray
	cborMap
	cborTag
	cborSimple

	cborIndefinite = 31
	cborBreakByte  = 0xff
	isBreak        = -1 // item's result for a break where one may stand
)

var errCBOREnd = errors.New("unexpected end of input")

type cborChecker struct {
	p   []byte
	off int
	st  *bodyStats
}

// head reads an item's initial byte and argument. For additional
// information 31 (indefinite length, or break) the argument is 0.
func (c *cborChecker) head() (major, info byte, arg uint64, err error) {
	if c.off >= len(c.p) {
		return 0, 0, 0, errCBOREnd
	}
	b := c.p[c.off]
	c.off++
	major, info = b>>5, b&0x1f
	switch {
	case info < 24:
		return major, info, uint64(info), nil
	case info <= 27:
		n := 1 << (info - 24)
		if len(c.p)-c.off < n {
			return 0, 0, 0, errCBOREnd
		}
		for _, x := range c.p[c.off : c.off+n] {
			arg = arg<<8 | uint64(x)
		}
		c.off += n
		return major, info, arg, nil
	case info == cborIndefinite:
		return major, info, 0, nil
	default: // 28-30 are reserved
		return 0, 0, 0, fmt.Errorf("reserved additional information %d at offset %d", info, c.off-1)
	}
}

// item checks one data item and returns its major type, or isBreak when it
// is a break and breakable says one may stand there.
func (c *cborChecker) item(depth int, breakable bool) (int, error) {
	start := c.off
	major, info, arg, err := c.head()
	if err != nil {
		return 0, err
	}
	if info == cborIndefinite {
		switch major {
		case cborSimple:
			if breakable {
				return isBreak, nil
			}
			return 0, fmt.Errorf("unexpected break at offset %d", start)
		case cborUint, cborNegInt, cborTag:
			return 0, fmt.Errorf("major type %d at offset %d cannot have an indefinite length", major, start)
		}
	}
	c.st.visit(depth + 1)
	switch major {
	case cborBytes, cborText:
		if info == cborIndefinite {
			return int(major), c.chunks(major, start)
		}
		return int(major), c.skip(arg, start)
	case cborArray, cborMap:
		if depth >= maxCBORDepth {
			return 0, fmt.Errorf("nesting deeper than %d at offset %d", maxCBORDepth, start)
		}
		if info == cborIndefinite {
			return int(major), c.indefinite(major, depth)
		}
		// Every item takes at least one byte: a count beyond that cannot be
		// honest, and checking it first keeps the count within an int.
		perItem := uint64(1)
		if major == cborMap {
			perItem = 2
		}
		if arg > uint64(len(c.p)-c.off)/perItem {
			return 0, fmt.Errorf("%d items at offset %d exceed the remaining input", arg, start)
		}
		for i := uint64(0); i < arg; i++ {
			keyAt := c.off
			if major == cborMap {
				if err := c.key(depth); err != nil {
					return 0, err
				}
			}
			valueAt := c.off
			if _, err := c.item(depth+1, false); err != nil {
				return 0, err
			}
			if major == cborMap && depth == 0 {
				c.record(keyAt, valueAt)
			}
		}
	case cborTag:
		if depth >= maxCBORDepth {
			return 0, fmt.Errorf("nesting deeper than %d at offset %d", maxCBORDepth, start)
		}
		if _, err := c.item(depth+1, false); err != nil {
			return 0, err
		}
	case cborSimple:
		// false, true, null, undefined and the three float widths: the
		// other simple values have no meaning in this protocol.
		if info < 20 || info == 24 {
			return 0, fmt.Errorf("unsupported simple value at offset %d", start)
		}
	}
	return int(major), nil
}

// key checks a map key, which RPC v2 CBOR requires to be a text string.
func (c *cborChecker) key(depth int) error {
	start := c.off
	major, err := c.item(depth+1, false)
	if err != nil {
		return err
	}
	if major != cborText {
		return fmt.Errorf("map key at offset %d is of major type %d, not a text string", start, major)
	}
	return nil
}

// indefinite checks the items of an indefinite-length array or map up to
// and including its break.
func (c *cborChecker) indefinite(major byte, depth int) error {
	for {
		start := c.off
		m, err := c.item(depth+1, true)
		if err != nil {
			return err
		}
		if m == isBreak {
			return nil
		}
		if major != cborMap {
			continue
		}
		if m != cborText {
			return fmt.Errorf("map key at offset %d is of major type %d, not a text string", start, m)
		}
		valueAt := c.off
		if _, err := c.item(depth+1, false); err != nil {
			return err
		}
		if depth == 0 {
			c.record(start, valueAt)
		}
	}
}

// record notes a member of the top-level map whose key and value, both
// already checked, start at keyAt and valueAt.
func (c *cborChecker) record(keyAt, valueAt int) {
	key, ok := c.text(keyAt)
	if !ok { // an indefinite-length key: too rare to be worth joining
		c.st.members = nil
		return
	}
	value, ok := c.text(valueAt)
	c.st.member(key, value, ok)
}

// text returns the definite-length, valid UTF-8 text string at offset at.
func (c *cborChecker) text(at int) (string, bool) {
	saved := c.off
	defer func() { c.off = saved }()
	c.off = at
	major, info, n, err := c.head()
	if err != nil || major != cborText || info == cborIndefinite || n > maxMemberLen || !utf8.Valid(c.p[c.off:c.off+int(n)]) {
		return "", false
	}
	return string(c.p[c.off : c.off+int(n)]), true
}

// chunks checks the chunks of an indefinite-length string up to and
// including its break: each must be a definite-length string of the same
// major type.
func (c *cborChecker) chunks(major byte, start int) error {
	for {
		if c.off >= len(c.p) {
			return fmt.Errorf("indefinite-length string at offset %d has no break", start)
		}
		if c.p[c.off] == cborBreakByte {
			c.off++
			return nil
		}
		at := c.off
		m, info, n, err := c.head()
		if err != nil {
			return err
		}
		if m != major || info == cborIndefinite {
			return fmt.Errorf("chunk at offset %d of the indefinite-length string at offset %d is not a definite-length string of major type %d", at, start, major)
		}
		if err := c.skip(n, at); err != nil {
			return err
		}
	}
}

// skip passes over the n bytes of a string whose head is at start.
func (c *cborChecker) skip(n uint64, start int) error {
	if n > uint64(len(c.p)-c.off) {
		return fmt.Errorf("length %d of the string at offset %d exceeds the remaining input", n, start)
	}
	c.off += int(n)
	return nil
}
