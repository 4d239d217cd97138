package audit

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"
)

// subjectFormatter turns DER Names into RFC 2253 strings, reusing its
// buffers so that a report of any size formats subjects without allocating.
type subjectFormatter struct {
	rdns [][]byte // contents of each RDN's SET, in encoded order
	out  []byte
}

// keywords are the RFC 2253 attribute type names, keyed by the contents
// octets of their OIDs. Every other type is written in dotted form.
var keywords = []struct {
	oid  []byte
	name string
}{
	{[]byte{0x55, 0x04, 0x03}, "CN"},
	{[]byte{0x55, 0x04, 0x07}, "L"},
	{[]byte{0x55, 0x04, 0x08}, "ST"},
	{[]byte{0x55, 0x04, 0x0a}, "O"},
	{[]byte{0x55, 0x04, 0x0b}, "OU"},
	{[]byte{0x55, 0x04, 0x06}, "C"},
	{[]byte{0x55, 0x04, 0x09}, "STREET"},
	{[]byte{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, "DC"},
	{[]byte{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01}, "UID"},
}

// DER identifier octets.
const (
	tagOID             = 0x06
	tagUTF8String      = 0x0c
	tagPrintableString = 0x13
	tagT61String       = 0x14
	tagIA5String       = 0x16
	tagGeneralString   = 0x1b
	tagBMPString       = 0x1e
	tagSequence        = 0x30
	tagSet             = 0x31
)

var errSubject = errors.New("malformed subject")

// format returns the RFC 2253 string of the DER Name der. The result is
// valid until the next call.
func (f *subjectFormatter) format(der []byte) ([]byte, error) {
	tag, name, rest, _, ok := readTLV(der)
	if !ok || tag != tagSequence || len(rest) != 0 {
		return nil, errSubject
	}
	f.rdns = f.rdns[:0]
	for len(name) > 0 {
		var set []byte
		tag, set, name, _, ok = readTLV(name)
		if !ok || tag != tagSet || len(set) == 0 {
			return nil, errSubject
		}
		f.rdns = append(f.rdns, set)
	}
	b := f.out[:0]
	// RFC 2253 section 2.1: the last RDN comes first.
	for i := len(f.rdns) - 1; i >= 0; i-- {
		if i < len(f.rdns)-1 {
			b = append(b, ',')
		}
		set := f.rdns[i]
		for first := true; len(set) > 0; first = false {
			var atv []byte
			tag, atv, set, _, ok = readTLV(set)
			if !ok || tag != tagSequence {
				return nil, errSubject
			}
			if !first {
				b = append(b, '+')
			}
			var err error
			if b, err = appendATV(b, atv); err != nil {
				return nil, err
			}
		}
	}
	f.out = b
	return b, nil
}

// appendATV writes one AttributeTypeAndValue (RFC 2253 section 2.3).
func appendATV(b, atv []byte) ([]byte, error) {
	tag, oid, atv, _, ok := readTLV(atv)
	if !ok || tag != tagOID {
		return b, errSubject
	}
	vtag, value, rest, whole, ok := readTLV(atv)
	if !ok || len(rest) != 0 {
		return b, errSubject
	}
	name := ""
	for _, k := range keywords {
		if bytes.Equal(oid, k.oid) {
			name = k.name
			break
		}
	}
	if name == "" {
		var err error
		if b, err = appendOID(b, oid); err != nil {
			return b, err
		}
		return appendHexValue(append(b, '='), whole), nil
	}
	b = append(b, name...)
	b = append(b, '=')
	switch vtag {
	case tagUTF8String, tagPrintableString, tagT61String, tagIA5String, tagGeneralString, tagBMPString:
		return appendStringValue(b, value), nil
	}
	return appendHexValue(b, whole), nil
}

// appendHexValue writes the #hex form of a whole DER value (RFC 2253
// section 2.4), used for every attribute without a keyword.
func appendHexValue(b, der []byte) []byte {
	b = append(b, '#')
	for _, c := range der {
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

// appendStringValue writes a string value as Java's AVA.toRFC2253String
// does: the contents are read as UTF-8 whatever the string type (invalid
// sequences become U+FFFD), each of , = + < > # ; " \ gets a backslash, NUL
// becomes \00, and leading and trailing spaces and carriage returns get a
// backslash each.
func appendStringValue(b, s []byte) []byte {
	lead := 0
	for lead < len(s) && (s[lead] == ' ' || s[lead] == '\r') {
		lead++
	}
	trail := len(s)
	for trail > lead && (s[trail-1] == ' ' || s[trail-1] == '\r') {
		trail--
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, "\ufffd"...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch {
		case c == ',' || c == '=' || c == '+' || c == '<' || c == '>' ||
			c == '#' || c == ';' || c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == 0:
			b = append(b, `\00`...)
		case i < lead || i >= trail:
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
		i++
	}
	return b
}

// appendOID writes an OBJECT IDENTIFIER's contents in dotted decimal.
func appendOID(b, oid []byte) ([]byte, error) {
	if len(oid) == 0 || oid[len(oid)-1]&0x80 != 0 {
		return b, errSubject
	}
	var v uint64
	first := true
	for _, c := range oid {
		if v > 1<<56 {
			return b, errSubject // arcs past 63 bits do not occur in names
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			continue
		}
		if first {
			// The first subidentifier packs two arcs (X.690 section 8.19.4).
			switch {
			case v < 40:
				b = append(b, '0', '.')
			case v < 80:
				b = append(b, '1', '.')
				v -= 40
			default:
				b = append(b, '2', '.')
				v -= 80
			}
			first = false
		} else {
			b = append(b, '.')
		}
		b = strconv.AppendUint(b, v, 10)
		v = 0
	}
	return b, nil
}

// readTLV splits one BER/DER element off b: its first identifier octet, its
// contents, what follows it, and the whole element. Indefinite lengths and
// lengths over 32 bits are refused.
func readTLV(b []byte) (byte, []byte, []byte, []byte, bool) {
	if len(b) < 2 {
		return 0, nil, nil, nil, false
	}
	tag := b[0]
	i := 1
	if tag&0x1f == 0x1f { // high tag number form
		for i < len(b) && b[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return 0, nil, nil, nil, false
	}
	n := int(b[i])
	i++
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || i+k > len(b) {
			return 0, nil, nil, nil, false
		}
		n = 0
		for _, c := range b[i : i+k] {
			n = n<<8 | int(c)
		}
		i += k
	}
	if n < 0 || n > len(b)-i {
		return 0, nil, nil, nil, false
	}
	end := i + n
	return tag, b[i:end], b[end:], b[:end], true
}
