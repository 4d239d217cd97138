package issuance

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
)

// errKind names the type of a check's error: "" for nil, "arg" for
// *ArgError, "malformed" for *MalformedError.
func errKind(t *testing.T, err error) string {
	t.Helper()
	var ae *ArgError
	var me *MalformedError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return "arg"
	case errors.As(err, &me):
		return "malformed"
	}
	t.Fatalf("untyped error %T: %v", err, err)
	return ""
}

func TestCheckDNSName(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	long := strings.Repeat(label63+".", 3) + strings.Repeat("b", 61) // 253 characters
	tests := []struct {
		name, want string
	}{
		{"example.com", ""},
		{"a", ""},
		{"localhost", ""},
		{"EXAMPLE.Com", ""},
		{"*.example.com", ""},
		{"xn--bcher-kva.example", ""},
		{"1.example", ""},
		{"a-b--c.example", ""},
		{label63 + ".example", ""},
		{long, ""},
		{"", "malformed"},
		{"\r", "malformed"},
		{"\n", "malformed"},
		{"\x1b", "malformed"},
		{"   ", "malformed"},
		{"\t", "malformed"},
		{"a\x00.example", "malformed"},
		{"evil.example\r\nX-Injected: 1", "malformed"},
		{"a\x7f.example", "malformed"},
		{"a..b", "arg"},
		{".a", "arg"},
		{"-a.example", "arg"},
		{"a-.example", "arg"},
		{"example.com.", "arg"},
		{"a b.example", "arg"},
		{"a_b.example", "arg"},
		{"*", "arg"},
		{"*.*.example", "arg"},
		{"a.*.example", "arg"},
		{"f*.example", "arg"},
		{"*example.com", "arg"},
		{strings.Repeat("a", 64) + ".example", "arg"},
		{long + "b", "arg"},
		{"a/b", "arg"},
	}
	for _, tc := range tests {
		err := checkDNSName("DnsName", tc.name)
		if got := errKind(t, err); got != tc.want {
			t.Errorf("checkDNSName(%q) = %v (%s), want %q", tc.name, err, got, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), strconv.Quote(tc.name)) {
			t.Errorf("checkDNSName(%q): message %q does not quote the name", tc.name, err)
		}
	}
}

func TestCheckRFC822Name(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"ops@example.internal", ""},
		{"first.last+tag@example.com", ""},
		{"o'brien@example.com", ""},
		{"a@b", ""},
		{"ops@xn--bcher-kva.example", ""},
		{"", "malformed"},
		{"  ", "malformed"},
		{"ops@example.com\n", "malformed"},
		{"ops\x00@example.com", "malformed"},
		{"ops", "arg"},
		{"@example.com", "arg"},
		{"ops@", "arg"},
		{"a@@example.com", "arg"},
		{"a@b@example.com", "arg"},
		{".a@example.com", "arg"},
		{"a.@example.com", "arg"},
		{"a..b@example.com", "arg"},
		{"a b@example.com", "arg"},
		{`"a b"@example.com`, "arg"},
		{"a@-b.example", "arg"},
		{"a@*.example", "arg"},
		{"a@example.com.", "arg"},
		{strings.Repeat("a", 65) + "@example.com", "arg"},
		{"<a@example.com>", "arg"},
	}
	for _, tc := range tests {
		err := checkRFC822Name("Rfc822Name", tc.name)
		if got := errKind(t, err); got != tc.want {
			t.Errorf("checkRFC822Name(%q) = %v (%s), want %q", tc.name, err, got, tc.want)
		}
	}
}

func TestCheckURI(t *testing.T) {
	tests := []struct {
		uri, want string
	}{
		{"spiffe://example.internal/ns/default/sa/web", ""},
		{"https://example.com/a?b=c#d", ""},
		{"urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", ""},
		{"ldap://ldap.example.com/cn=CA,dc=example,dc=com", ""},
		{"", "malformed"},
		{" ", "malformed"},
		{"https://example.com/\r\n", "malformed"},
		{"relative/path", "arg"},
		{"//example.com/x", "arg"},
		{"https://example.com/a b", "arg"},
		{"mailto:", "arg"},
		{"http://[::1", "arg"},
	}
	for _, tc := range tests {
		err := checkURI("UniformResourceIdentifier", tc.uri)
		if got := errKind(t, err); got != tc.want {
			t.Errorf("checkURI(%q) = %v (%s), want %q", tc.uri, err, got, tc.want)
		}
	}
}

// rdn encodes one single-attribute RDNSequence with a value of the given
// universal string tag.
func rdn(t *testing.T, oid asn1.ObjectIdentifier, tag int, value []byte) []byte {
	t.Helper()
	return mustDER(t, []asn1.RawValue{{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true,
		Bytes: mustDER(t, struct {
			Type  asn1.ObjectIdentifier
			Value asn1.RawValue
		}{oid, asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: value}})}})
}

func TestCheckRDNSequence(t *testing.T) {
	bmp := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r>>8), byte(r))
		}
		return b
	}
	tests := []struct {
		name string
		der  []byte
		want string
	}{
		{"plain CN", rdn(t, oidAttrCommonName, asn1.TagUTF8String, []byte("My Root")), ""},
		{"non-ASCII CN", rdn(t, oidAttrCommonName, asn1.TagUTF8String, []byte("Zürich Root")), ""},
		{"email", rdn(t, oidAttrEmailAddress, asn1.TagIA5String, []byte("ops@example.com")), ""},
		{"NUL in CN", rdn(t, oidAttrCommonName, asn1.TagUTF8String, []byte("Root\x00.evil")), "malformed"},
		{"ESC in O", rdn(t, oidAttrOrganization, asn1.TagPrintableString, []byte("\x1b[31m")), "malformed"},
		{"C1 control in CN", rdn(t, oidAttrCommonName, asn1.TagUTF8String, []byte("a\u0085b")), "malformed"},
		{"BMP string with LF", rdn(t, oidAttrCommonName, asn1.TagBMPString, bmp("a\nb")), "malformed"},
		{"T61 string with CR", rdn(t, oidAttrCommonName, asn1.TagT61String, []byte("a\rb")), "malformed"},
		{"whitespace CN", rdn(t, oidAttrCommonName, asn1.TagUTF8String, []byte("   ")), "malformed"},
		{"empty CN", rdn(t, oidAttrCommonName, asn1.TagUTF8String, nil), "malformed"},
		{"bad email", rdn(t, oidAttrEmailAddress, asn1.TagIA5String, []byte("not an email")), "arg"},
		{"invalid UTF-8", rdn(t, oidAttrCommonName, asn1.TagUTF8String, []byte{0xff}), ""},
		{"not a name", []byte{0x05, 0x00}, "arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkRDNSequence("subject", tc.der)
			if got := errKind(t, err); got != tc.want {
				t.Errorf("checkRDNSequence = %v (%s), want %q", err, got, tc.want)
			}
		})
	}
}

// TestNameValidateText: API subjects (CreateCertificateAuthority and
// ApiPassthrough) refuse bad text as invalid arguments.
func TestNameValidateText(t *testing.T) {
	tests := []struct {
		name string
		n    Name
		want string
	}{
		{"plain", Name{CommonName: "My Root", Organization: "openpca"}, ""},
		{"NUL in CommonName", Name{CommonName: "Root\x00"}, "arg"},
		{"ESC in Organization", Name{CommonName: "Root", Organization: "\x1b]0;pwned\x07"}, "arg"},
		{"whitespace Locality", Name{CommonName: "Root", Locality: "  "}, "arg"},
		{"NUL in custom attribute", Name{CustomAttributes: []Attribute{{ObjectIdentifier: "2.5.4.3", Value: "a\x00"}}}, "arg"},
		{"bad emailAddress", Name{CustomAttributes: []Attribute{{ObjectIdentifier: "1.2.840.113549.1.9.1", Value: "x"}}}, "arg"},
		{"good emailAddress", Name{CustomAttributes: []Attribute{{ObjectIdentifier: "1.2.840.113549.1.9.1", Value: "ops@example.com"}}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.n.Validate()
			if got := errKind(t, err); got != tc.want {
				t.Errorf("Validate = %v (%s), want %q", err, got, tc.want)
			}
		})
	}
}

// TestBuildNames: Build refuses bad names from the CSR as malformed, and
// from the API as invalid arguments except for the SAN text AWS refuses as
// malformed whatever its source.
func TestBuildNames(t *testing.T) {
	root := newRoot(t, "RootCACertificate")
	key := newKey(t)
	build := func(template string, csr pkix.Name, dns []string, pt *Passthrough) error {
		_, err := Build(Request{
			Template: mustTemplate(t, template), CSR: newCSR(t, key, csr, dns), SubjectKeyID: keyID(t, key.Public()), Passthrough: pt,
			Issuer: root.cert, SerialNumber: big.NewInt(1), NotBefore: testNow, NotAfter: testNow.Add(time.Hour),
		})
		return err
	}
	cn := pkix.Name{CommonName: "svc.example.internal"}
	apiSAN := func(g ...GeneralName) *Passthrough {
		return &Passthrough{Extensions: &Extensions{SubjectAlternativeNames: g}}
	}
	customSAN := func(dns string) *Passthrough {
		der := mustDER(t, []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: tagDNSName, Bytes: []byte(dns)}})
		return &Passthrough{Extensions: &Extensions{CustomExtensions: []CustomExtension{{OID: "2.5.29.17", Value: der}}}}
	}
	tests := []struct {
		name, template string
		csr            pkix.Name
		dns            []string
		pt             *Passthrough
		want           string
	}{
		{"CSR wildcard and A-label", "EndEntityCertificate_CSRPassthrough", cn, []string{"*.example.com", "xn--bcher-kva.example"}, nil, ""},
		{"CSR SAN with LF", "EndEntityCertificate_CSRPassthrough", cn, []string{"a\n.example"}, nil, "malformed"},
		{"CSR SAN a..b", "EndEntityCertificate_CSRPassthrough", cn, []string{"a..b"}, nil, "malformed"},
		{"CSR SAN on a base template", "EndEntityCertificate", cn, []string{"-a.example"}, nil, "malformed"},
		{"CSR subject with NUL", "EndEntityCertificate_CSRPassthrough", pkix.Name{CommonName: "a\x00b"}, []string{"a.example"}, nil, "malformed"},
		{"CSR SAN replaced by API SAN", "EndEntityCertificate_APIPassthrough", cn, []string{"a..b"}, apiSAN(GeneralName{DNSName: "ok.example"}), ""},
		{"API SAN with ESC", "EndEntityCertificate_APIPassthrough", cn, nil, apiSAN(GeneralName{DNSName: "\x1b"}), "malformed"},
		{"API SAN only spaces", "EndEntityCertificate_APIPassthrough", cn, nil, apiSAN(GeneralName{DNSName: "   "}), "malformed"},
		{"API SAN a..b", "EndEntityCertificate_APIPassthrough", cn, nil, apiSAN(GeneralName{DNSName: "a..b"}), "arg"},
		{"API SAN bad email", "EndEntityCertificate_APIPassthrough", cn, nil, apiSAN(GeneralName{RFC822Name: "nobody"}), "arg"},
		{"API SAN relative URI", "EndEntityCertificate_APIPassthrough", cn, nil, apiSAN(GeneralName{UniformResourceIdentifier: "a/b"}), "arg"},
		{"API SAN directory name with NUL", "EndEntityCertificate_APIPassthrough", cn, nil, apiSAN(GeneralName{DirectoryName: &Name{CommonName: "a\x00"}}), "malformed"},
		{"API SAN other name with CR", "EndEntityCertificate_APIPassthrough", cn, nil, apiSAN(GeneralName{OtherName: &OtherName{TypeID: "1.3.6.1.4.1.311.20.2.3", Value: "u@a\r"}}), "malformed"},
		{"API custom-extension SAN a..b", "EndEntityCertificate_APIPassthrough", cn, nil, customSAN("a..b"), "arg"},
		{"API custom-extension SAN with CR", "EndEntityCertificate_APIPassthrough", cn, nil, customSAN("a\r"), "malformed"},
		{"API subject with NUL", "EndEntityCertificate_APIPassthrough", cn, nil, &Passthrough{Subject: &Name{CommonName: "a\x00"}}, "arg"},
		{"API subject replaces bad CSR subject", "EndEntityCertificate_APIPassthrough", pkix.Name{CommonName: "a\x00"}, []string{"a.example"}, &Passthrough{Subject: &Name{CommonName: "ok"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := build(tc.template, tc.csr, tc.dns, tc.pt)
			if got := errKind(t, err); got != tc.want {
				t.Errorf("Build = %v (%s), want %q", err, got, tc.want)
			}
		})
	}
}
