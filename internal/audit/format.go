package audit

import (
	"errors"
	"time"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendSerial writes a hex serial as AWS prints it: the big-endian bytes
// of the integer, no leading zero bytes (nor the DER sign byte), lowercase,
// colon-separated.
func appendSerial(b []byte, serial string) ([]byte, error) {
	if serial == "" {
		return b, errors.New("no serial")
	}
	s := serial
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	for i := 0; i < len(s); i++ {
		if fromHex(s[i]) < 0 {
			return b, errors.New("serial is not hex")
		}
	}
	i := 0
	if len(s)%2 == 1 {
		b = append(b, '0', hexDigits[fromHex(s[0])])
		i = 1
	}
	for ; i < len(s); i += 2 {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[fromHex(s[i])], hexDigits[fromHex(s[i+1])])
	}
	return b, nil
}

func fromHex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// timeLayout is Java's yyyy-MM-dd'T'HH:mm:ssZ in UTC, which AWS uses.
const timeLayout = "2006-01-02T15:04:05+0000"

// appendTime writes t in UTC as yyyy-MM-ddTHH:mm:ss+0000, truncating
// fractions of a second. Hand-rolled because it runs four times a record.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	h, mi, s := t.Clock()
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append2(b, int(mo))
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	return append(b, "+0000"...)
}

func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// jsonPlain marks the ASCII bytes a JSON string holds as they are.
var jsonPlain = func() [256]bool {
	var t [256]bool
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString writes s as a JSON string the way Jackson does: only
// quote, backslash and control characters are escaped; other characters,
// including non-ASCII ones, are written as UTF-8. Invalid UTF-8 becomes
// U+FFFD so the output always parses.
func appendJSONString[T string | []byte](b []byte, s T) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonPlain[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
			if r == utf8.RuneError && n == 1 {
				b = append(b, s[start:i]...)
				b = append(b, "\ufffd"...)
				start = i + 1
			}
			i += n
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendCSVField writes one RFC 4180 field, quoted when always is set or
// when the value needs it.
func appendCSVField[T string | []byte](b []byte, s T, always bool) []byte {
	quote := always
	for i := 0; i < len(s) && !quote; i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			quote = true
		}
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, s[start:i+1]...)
			b = append(b, '"')
			start = i + 1
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
