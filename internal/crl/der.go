package crl

import (
	"errors"
	"time"
)

// Hand-rolled DER: every encoder here has a matching size function, and
// the first pass of Create relies on the two agreeing byte for byte.

// ASN.1 universal tags used here.
const (
	tagBoolean         = 0x01
	tagInteger         = 0x02
	tagBitString       = 0x03
	tagOctetString     = 0x04
	tagOID             = 0x06
	tagEnumerated      = 0x0a
	tagUTCTime         = 0x17
	tagGeneralizedTime = 0x18
	tagSequence        = 0x30
)

// lengthSize returns the size of the DER length octets for n content bytes.
func lengthSize(n int64) int64 {
	if n < 0x80 {
		return 1
	}
	s := int64(1)
	for ; n > 0; n >>= 8 {
		s++
	}
	return s
}

// tlvSize returns the size of a DER element with n content bytes.
func tlvSize(n int64) int64 { return 1 + lengthSize(n) + n }

// appendHeader appends a tag and the DER length for n content bytes.
func appendHeader(b []byte, tag byte, n int64) []byte {
	b = append(b, tag)
	if n < 0x80 {
		return append(b, byte(n))
	}
	l := lengthSize(n) - 1
	b = append(b, 0x80|byte(l))
	for i := l - 1; i >= 0; i-- {
		b = append(b, byte(n>>(8*i)))
	}
	return b
}

// trimSerial strips leading zero octets from an unsigned big-endian
// magnitude and refuses zero, which is not a positive serial number.
func trimSerial(m []byte) ([]byte, error) {
	for len(m) > 0 && m[0] == 0 {
		m = m[1:]
	}
	if len(m) == 0 {
		return nil, errors.New("serial number is empty or zero; it must be positive")
	}
	return m, nil
}

// unsignedIntegerSize returns the INTEGER content size of a trimmed,
// non-empty unsigned magnitude: one more when the top bit is set, for the
// two's-complement sign octet.
func unsignedIntegerSize(m []byte) int64 {
	if m[0]&0x80 != 0 {
		return int64(len(m)) + 1
	}
	return int64(len(m))
}

func appendUnsignedInteger(b, m []byte) []byte {
	b = appendHeader(b, tagInteger, unsignedIntegerSize(m))
	if m[0]&0x80 != 0 {
		b = append(b, 0)
	}
	return append(b, m...)
}

// checkTime refuses times X.509 cannot encode.
func checkTime(t time.Time) error {
	if t.IsZero() {
		return errors.New("time is zero")
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return errors.New("time is outside years 0000-9999")
	}
	return nil
}

// useUTCTime is the RFC 5280 4.1.2.5 rule: UTCTime for 1950 through 2049,
// GeneralizedTime otherwise (as crypto/x509 and encoding/asn1 do).
func useUTCTime(year int) bool { return year >= 1950 && year < 2050 }

// timeSize returns the encoded size of a Time of t (already UTC).
func timeSize(t time.Time) int64 {
	if useUTCTime(t.Year()) {
		return 2 + 13 // YYMMDDHHMMSSZ
	}
	return 2 + 15 // YYYYMMDDHHMMSSZ
}

// appendTime appends t (already UTC) as a DER UTCTime or GeneralizedTime,
// whole seconds and "Z" as RFC 5280 requires; fractions are dropped.
func appendTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	if useUTCTime(year) {
		b = append(b, tagUTCTime, 13)
		b = append2(b, year%100)
	} else {
		b = append(b, tagGeneralizedTime, 15)
		b = append2(b, year/100)
		b = append2(b, year%100)
	}
	b = append2(b, int(month))
	b = append2(b, day)
	b = append2(b, hour)
	b = append2(b, minute)
	b = append2(b, sec)
	return append(b, 'Z')
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

// reasonCodeExtensions is the crlEntryExtensions of an entry with a reason:
// SEQUENCE { SEQUENCE { id-ce-cRLReasons, OCTET STRING { ENUMERATED r } } },
// the reason being the last octet. It is never critical.
var reasonCodeExtensions = [...]byte{
	tagSequence, 12,
	tagSequence, 10,
	tagOID, 3, 0x55, 0x1d, 0x15,
	tagOctetString, 3, tagEnumerated, 1, 0,
}

// checkReason accepts the RFC 5280 5.3.1 CRLReason values a base CRL may
// carry: not 7 (unused) and not removeFromCRL (8), which only delta CRLs
// use.
func checkReason(r int) error {
	switch r {
	case 0, 1, 2, 3, 4, 5, 6, 9, 10:
		return nil
	}
	return errors.New("reason is not an RFC 5280 CRLReason allowed in a base CRL")
}

// entry is an Entry checked and normalized for encoding.
type entry struct {
	serial []byte // trimmed magnitude
	at     time.Time
	reason int
}

func normalize(e Entry) (entry, error) {
	s, err := trimSerial(e.Serial)
	if err != nil {
		return entry{}, err
	}
	if err := checkTime(e.RevokedAt); err != nil {
		return entry{}, errors.New("revocation " + err.Error())
	}
	if err := checkReason(e.Reason); err != nil {
		return entry{}, err
	}
	return entry{s, e.RevokedAt.UTC(), e.Reason}, nil
}

// contentSize returns the size of the revokedCertificates element's
// contents (the SEQUENCE without its header).
func (e *entry) contentSize() int64 {
	n := tlvSize(unsignedIntegerSize(e.serial)) + timeSize(e.at)
	if e.reason != 0 {
		n += int64(len(reasonCodeExtensions))
	}
	return n
}

// size returns the full encoded size of the entry.
func (e *entry) size() int64 { return tlvSize(e.contentSize()) }

// appendEntry appends the DER of one revokedCertificates element.
func (e *entry) appendTo(b []byte) []byte {
	b = appendHeader(b, tagSequence, e.contentSize())
	b = appendUnsignedInteger(b, e.serial)
	b = appendTime(b, e.at)
	if e.reason != 0 {
		b = append(b, reasonCodeExtensions[:]...)
		b[len(b)-1] = byte(e.reason)
	}
	return b
}
