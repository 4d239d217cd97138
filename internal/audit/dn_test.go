package audit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"
	"unicode/utf8"
)

// tlv encodes one DER element around the concatenated parts.
func tlv(tag byte, parts ...[]byte) []byte {
	content := bytes.Join(parts, nil)
	n := len(content)
	b := []byte{tag}
	switch {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	default:
		b = append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, content...)
}

func oidDER(arcs ...int) []byte {
	b, err := asn1.Marshal(asn1.ObjectIdentifier(arcs))
	if err != nil {
		panic(err)
	}
	return b
}

// atv is an AttributeTypeAndValue whose value has the given string tag.
func atv(oid []byte, tag byte, value string) []byte {
	return tlv(tagSequence, oid, tlv(tag, []byte(value)))
}

func rdn(atvs ...[]byte) []byte { return tlv(tagSet, atvs...) }

func name(rdns ...[]byte) []byte { return tlv(tagSequence, rdns...) }

var (
	oidCN           = oidDER(2, 5, 4, 3)
	oidSurname      = oidDER(2, 5, 4, 4)
	oidSerialNumber = oidDER(2, 5, 4, 5)
	oidC            = oidDER(2, 5, 4, 6)
	oidL            = oidDER(2, 5, 4, 7)
	oidST           = oidDER(2, 5, 4, 8)
	oidStreet       = oidDER(2, 5, 4, 9)
	oidO            = oidDER(2, 5, 4, 10)
	oidOU           = oidDER(2, 5, 4, 11)
	oidTitle        = oidDER(2, 5, 4, 12)
	oidGivenName    = oidDER(2, 5, 4, 42)
	oidInitials     = oidDER(2, 5, 4, 43)
	oidGeneration   = oidDER(2, 5, 4, 44)
	oidDNQualifier  = oidDER(2, 5, 4, 46)
	oidPseudonym    = oidDER(2, 5, 4, 65)
	oidEmail        = oidDER(1, 2, 840, 113549, 1, 9, 1)
	oidDC           = oidDER(0, 9, 2342, 19200300, 100, 1, 25)
	oidUID          = oidDER(0, 9, 2342, 19200300, 100, 1, 1)
)

// awsOrder is the DN of the AWS samples, encoded C first as AWS Private CA
// encodes it.
var awsOrder = name(
	rdn(atv(oidC, tagPrintableString, "US")),
	rdn(atv(oidST, tagUTF8String, "Washington")),
	rdn(atv(oidL, tagUTF8String, "Seattle")),
	rdn(atv(oidO, tagUTF8String, "Example Company")),
	rdn(atv(oidOU, tagUTF8String, "Sales")),
	rdn(atv(oidCN, tagUTF8String, "www.example1.com")),
)

func TestSubject(t *testing.T) {
	tests := []struct {
		name string
		der  []byte
		want string
	}{
		{"empty name", name(), ""},
		{"RDNs last to first", awsOrder, "CN=www.example1.com,OU=Sales,O=Example Company,L=Seattle,ST=Washington,C=US"},
		{
			"attributes without an RFC 2253 keyword as OID=#hex",
			name(
				rdn(atv(oidDNQualifier, tagPrintableString, "q1")),
				rdn(atv(oidTitle, tagUTF8String, "Boss")),
				rdn(atv(oidSurname, tagUTF8String, "Doe")),
				rdn(atv(oidGivenName, tagUTF8String, "Jane")),
				rdn(atv(oidInitials, tagUTF8String, "J")),
				rdn(atv(oidPseudonym, tagUTF8String, "Pseudo")),
				rdn(atv(oidGeneration, tagUTF8String, "Jr")),
				rdn(atv(oidSerialNumber, tagPrintableString, "1234")),
				rdn(atv(oidEmail, tagIA5String, "jane@example.com")),
			),
			"1.2.840.113549.1.9.1=#16106a616e65406578616d706c652e636f6d,2.5.4.5=#130431323334," +
				"2.5.4.44=#0c024a72,2.5.4.65=#0c0650736575646f,2.5.4.43=#0c014a,2.5.4.42=#0c044a616e65," +
				"2.5.4.4=#0c03446f65,2.5.4.12=#0c04426f7373,2.5.4.46=#13027131",
		},
		{
			"the other RFC 2253 keywords by name",
			name(
				rdn(atv(oidDC, tagIA5String, "com")),
				rdn(atv(oidDC, tagIA5String, "example")),
				rdn(atv(oidStreet, tagUTF8String, "1 Main St")),
				rdn(atv(oidUID, tagUTF8String, "jdoe")),
			),
			"UID=jdoe,STREET=1 Main St,DC=example,DC=com",
		},
		{
			"multi-valued RDN in encoded order",
			name(rdn(atv(oidOU, tagUTF8String, "b"), atv(oidCN, tagUTF8String, "a")), rdn(atv(oidC, tagPrintableString, "US"))),
			"C=US,OU=b+CN=a",
		},
		{"comma", name(rdn(atv(oidO, tagUTF8String, "Example, Inc."))), `O=Example\, Inc.`},
		{"plus", name(rdn(atv(oidOU, tagUTF8String, "R+D"))), `OU=R\+D`},
		{"quotes", name(rdn(atv(oidCN, tagUTF8String, `say "hi"`))), `CN=say \"hi\"`},
		{
			"every character Java escapes",
			name(rdn(atv(oidCN, tagUTF8String, `a,b=c+d<e>f#g;h"i\j`))),
			`CN=a\,b\=c\+d\<e\>f\#g\;h\"i\\j`,
		},
		{"leading hash", name(rdn(atv(oidCN, tagUTF8String, "#1"))), `CN=\#1`},
		{"leading and trailing spaces, inner ones kept", name(rdn(atv(oidCN, tagUTF8String, "  a  b  "))), `CN=\ \ a  b\ \ `},
		{"only spaces", name(rdn(atv(oidCN, tagUTF8String, "  "))), `CN=\ \ `},
		{"trailing carriage return", name(rdn(atv(oidCN, tagUTF8String, "a\r"))), "CN=a\\\r"},
		{"NUL", name(rdn(atv(oidCN, tagUTF8String, "a\x00b"))), `CN=a\00b`},
		{"non-ASCII UTF-8 kept", name(rdn(atv(oidL, tagUTF8String, "Zürich"))), "L=Zürich"},
		{"invalid UTF-8 replaced", name(rdn(atv(oidL, tagUTF8String, "a\xffb"))), "L=a\ufffdb"},
		{"IA5String keyword", name(rdn(atv(oidCN, tagIA5String, "x"))), "CN=x"},
		{"T61String read as UTF-8", name(rdn(atv(oidCN, tagT61String, "x"))), "CN=x"},
		{"BMPString read as UTF-8, as Java does", name(rdn(atv(oidCN, tagBMPString, "\x00A\x00B"))), `CN=\00A\00B`},
		{"keyword with a non-string value", name(rdn(atv(oidCN, 0x1c, "\x00\x00\x00A"))), "CN=#1c0400000041"},
		{"keyword with an OCTET STRING", name(rdn(tlv(tagSequence, oidC, tlv(0x04, []byte{1, 2})))), "C=#04020102"},
		{"large first arc", name(rdn(atv(oidDER(2, 999, 3), tagUTF8String, "x"))), "2.999.3=#0c0178"},
		{"high tag number value", name(rdn(tlv(tagSequence, oidTitle, []byte{0x1f, 0x81, 0x00, 0x01, 0xaa}))), "2.5.4.12=#1f810001aa"},
	}
	var f subjectFormatter
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.format(tc.der)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestSubjectMalformed(t *testing.T) {
	good := atv(oidCN, tagUTF8String, "a")
	tests := []struct {
		name string
		der  []byte
	}{
		{"nil", nil},
		{"not a SEQUENCE", tlv(tagSet, rdn(good))},
		{"trailing data", append(name(rdn(good)), 0)},
		{"truncated", name(rdn(good))[:8]},
		{"length past the end", []byte{0x30, 0x05, 0x31, 0x00}},
		{"indefinite length", []byte{0x30, 0x80, 0x00, 0x00}},
		{"RDN not a SET", name(tlv(tagSequence, good))},
		{"empty RDN", name(rdn())},
		{"ATV not a SEQUENCE", name(rdn(tlv(tagSet, oidCN, tlv(tagUTF8String, []byte("a")))))},
		{"type not an OID", name(rdn(tlv(tagSequence, tlv(0x02, []byte{1}), tlv(tagUTF8String, []byte("a")))))},
		{"no value", name(rdn(tlv(tagSequence, oidCN)))},
		{"two values", name(rdn(tlv(tagSequence, oidCN, tlv(tagUTF8String, []byte("a")), tlv(tagUTF8String, []byte("b")))))},
		{"empty OID", name(rdn(tlv(tagSequence, []byte{tagOID, 0}, tlv(tagUTF8String, []byte("a")))))},
		{"OID ends mid-arc", name(rdn(tlv(tagSequence, []byte{tagOID, 2, 0x55, 0x84}, tlv(tagUTF8String, []byte("a")))))},
		{"OID arc past 64 bits", name(rdn(tlv(tagSequence, tlv(tagOID, bytes.Repeat([]byte{0xff}, 10), []byte{1}), tlv(tagUTF8String, []byte("a")))))},
	}
	var f subjectFormatter
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := f.format(tc.der); err == nil {
				t.Errorf("got %q, want an error", got)
			}
		})
	}
}

// TestSubjectFromCertificate runs a subject as crypto/x509 encodes it.
func TestSubjectFromCertificate(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject: pkix.Name{
			Country:            []string{"US"},
			Organization:       []string{"Example, Inc."},
			OrganizationalUnit: []string{"R+D"},
			CommonName:         "www.example.com",
			SerialNumber:       "1234",
			ExtraNames: []pkix.AttributeTypeAndValue{
				{Type: asn1.ObjectIdentifier{2, 5, 4, 12}, Value: "Boss"},
				{Type: asn1.ObjectIdentifier{2, 5, 4, 42}, Value: "Jane"},
			},
		},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:  time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	var f subjectFormatter
	got, err := f.format(cert.RawSubject)
	if err != nil {
		t.Fatal(err)
	}
	// crypto/x509 encodes C, O, OU, CN, serialNumber, then the extra names,
	// each in its own RDN and as PrintableString where it can.
	want := `2.5.4.42=#13044a616e65,2.5.4.12=#1304426f7373,2.5.4.5=#130431323334,CN=www.example.com,OU=R\+D,O=Example\, Inc.,C=US`
	if string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func FuzzSubject(f *testing.F) {
	f.Add(awsOrder)
	f.Add(name(rdn(atv(oidEmail, tagIA5String, "a@b")), rdn(atv(oidCN, tagUTF8String, " #,+\"\\<>;=\x00\xff "))))
	f.Add(name(rdn(atv(oidOU, tagUTF8String, "b"), atv(oidCN, tagBMPString, "\x00a"))))
	f.Fuzz(func(t *testing.T, der []byte) {
		var sf subjectFormatter
		got, err := sf.format(der)
		if err != nil {
			return
		}
		got = bytes.Clone(got) // the next call reuses the buffer
		if !utf8.Valid(got) {
			t.Fatalf("invalid UTF-8 %q", got)
		}
		again, err := sf.format(der)
		if err != nil || !bytes.Equal(got, again) {
			t.Fatalf("not repeatable: %q then %q, %v", got, again, err)
		}
	})
}
