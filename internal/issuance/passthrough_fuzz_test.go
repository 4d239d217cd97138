package issuance

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/openpca/openpca/internal/x509util"
)

// FuzzParseOID: an accepted dotted-decimal OID prints as a string that
// parses to the same OID, and its DER encoding decodes back to it.
// Every OID parseOID accepts must also decode: crypto/x509 and
// encoding/asn1 cannot decode an arc above 2^31-1.
func FuzzParseOID(f *testing.F) {
	for _, s := range []string{"1.2.3", "2.5.29.17", "0.39", "2.999.1", "1.40", "01.2", "1..2", "1.2.", "3.1", "1.2.99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		oid, err := parseOID(s)
		if err != nil {
			return
		}
		again, err := parseOID(oid.String())
		if err != nil || !again.Equal(oid) {
			t.Fatalf("%q parsed to %v, whose string parses to %v, %v", s, oid, again, err)
		}
		der, err := asn1.Marshal(oid)
		if err != nil {
			t.Fatalf("%q parsed to %v, which does not encode: %v", s, oid, err)
		}
		var back asn1.ObjectIdentifier
		if rest, err := asn1.Unmarshal(der, &back); err != nil || len(rest) != 0 || !back.Equal(oid) {
			t.Fatalf("%q parsed to %v, encoded as %x, which decodes to %v, %v", s, oid, der, back, err)
		}
	})
}

// refusal says err is one of the errors issuance refuses a request with:
// *ArgError for what the API says, *MalformedError for text no certificate
// may carry.
func refusal(err error) bool {
	var ae *ArgError
	var me *MalformedError
	return errors.As(err, &ae) || errors.As(err, &me)
}

// generalNameOf builds a GeneralName setting the choice picked by choice
// from a and b; choice 8 and above set two choices.
func generalNameOf(choice uint8, a, b string) GeneralName {
	switch choice % 10 {
	case 0:
		return GeneralName{OtherName: &OtherName{TypeID: a, Value: b}}
	case 1:
		return GeneralName{RFC822Name: a}
	case 2:
		return GeneralName{DNSName: a}
	case 3:
		return GeneralName{DirectoryName: &Name{CommonName: a, Organization: b}}
	case 4:
		return GeneralName{EdiPartyName: &EdiPartyName{PartyName: a, NameAssigner: b}}
	case 5:
		return GeneralName{UniformResourceIdentifier: a}
	case 6:
		return GeneralName{IPAddress: a}
	case 7:
		return GeneralName{RegisteredID: a}
	case 8:
		return GeneralName{DirectoryName: &Name{CustomAttributes: []Attribute{{ObjectIdentifier: a, Value: b}}}}
	default:
		return GeneralName{DNSName: a, UniformResourceIdentifier: b}
	}
}

// FuzzGeneralName: a GeneralName encodes exactly when Validate accepts it;
// every refusal is an *ArgError or a *MalformedError; what encodes is one GeneralName of the
// chosen tag carrying the value given, and a subject information access
// extension around it encodes too.
func FuzzGeneralName(f *testing.F) {
	f.Add(uint8(0), "1.3.6.1.4.1.311.20.2.3", "user@example.com")
	f.Add(uint8(2), "www.example.com", "")
	f.Add(uint8(3), "Directory", "Org")
	f.Add(uint8(6), "2001:db8::1", "")
	f.Add(uint8(6), "fe80::1%eth0", "")
	f.Add(uint8(7), "1.2.840.113549", "")
	f.Add(uint8(9), "a", "b")
	tags := []int{tagOtherName, tagRFC822Name, tagDNSName, tagDirectoryName, tagEdiPartyName, tagURI, tagIPAddress, tagRegisteredID, tagDirectoryName, tagDNSName}
	f.Fuzz(func(t *testing.T, choice uint8, a, b string) {
		g := generalNameOf(choice, a, b)
		verr := g.Validate()
		der, err := MarshalGeneralNames([]GeneralName{g})
		if (verr == nil) != (err == nil) {
			t.Fatalf("Validate: %v; MarshalGeneralNames: %v", verr, err)
		}
		sia, siaErr := SubjectInfoAccessExtension([]AccessDescription{{MethodType: "CA_REPOSITORY", Location: g}})
		if (siaErr == nil) != (err == nil) {
			t.Fatalf("MarshalGeneralNames: %v; SubjectInfoAccessExtension: %v", err, siaErr)
		}
		if err != nil {
			for _, e := range []error{verr, err, siaErr} {
				if !refusal(e) {
					t.Fatalf("refused with %v (%T), want *ArgError or *MalformedError", e, e)
				}
			}
			return
		}
		if g.choices() != 1 {
			t.Fatalf("encoded a GeneralName with %d choices", g.choices())
		}
		var rest asn1.RawValue
		if r, err := asn1.Unmarshal(sia.Value, &rest); err != nil || len(r) != 0 {
			t.Fatalf("subject information access %x is not one DER element: %v", sia.Value, err)
		}
		s := cryptobyte.String(der)
		var seq cryptobyte.String
		if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() {
			t.Fatalf("GeneralNames %x is not one SEQUENCE", der)
		}
		var tag cbasn1.Tag
		var content cryptobyte.String
		if !seq.ReadAnyASN1(&content, &tag) || !seq.Empty() {
			t.Fatalf("GeneralNames %x does not hold exactly one GeneralName", der)
		}
		want, value := tags[choice%10], a
		if choice%10 == 9 && a == "" {
			want, value = tagURI, b
		}
		if int(tag&0x1f) != want || tag&0xc0 != 0x80 {
			t.Fatalf("GeneralName tag %#x, want context-specific %d", tag, want)
		}
		switch want {
		case tagRFC822Name, tagDNSName, tagURI:
			if string(content) != value {
				t.Fatalf("GeneralName holds %q, want %q", content, value)
			}
		case tagIPAddress:
			ip, ok := netip.AddrFromSlice(content)
			if !ok || ip != netip.MustParseAddr(a).Unmap() && ip != netip.MustParseAddr(a) {
				t.Fatalf("IP %q encoded as %x", a, []byte(content))
			}
		case tagRegisteredID:
			var oid asn1.ObjectIdentifier
			full := append([]byte{0x06, byte(len(content))}, content...)
			if len(content) > 127 {
				return
			}
			if _, err := asn1.Unmarshal(full, &oid); err != nil || oid.String() != mustOID(t, a).String() {
				t.Fatalf("RegisteredID %q encoded as %x (%v, %v)", a, []byte(content), oid, err)
			}
		}
	})
}

func mustOID(t *testing.T, s string) asn1.ObjectIdentifier {
	oid, err := parseOID(s)
	if err != nil {
		t.Fatalf("accepted OID %q does not parse: %v", s, err)
	}
	return oid
}

type buildFixture struct {
	caKey  *ecdsa.PrivateKey
	ca     *x509.Certificate
	csr    *x509.CertificateRequest
	ski    []byte
	tmpl   *Template
	serial *big.Int
}

func newBuildFixture(f *testing.F) buildFixture {
	caKey, leafKey := newKey(f), newKey(f)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Fuzz CA"},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.AddDate(5, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SubjectKeyId: keyID(f, caKey.Public()),
	}
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		f.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		f.Fatal(err)
	}
	tmpl, err := LookupTemplate("arn:aws:acm-pca:::template/BlankEndEntityCertificate_APIPassthrough/V1")
	if err != nil {
		f.Fatal(err)
	}
	return buildFixture{
		caKey: caKey, ca: ca, tmpl: tmpl, serial: big.NewInt(0x1234),
		csr: newCSR(f, leafKey, pkix.Name{CommonName: "leaf"}, []string{"leaf.example"}),
		ski: keyID(f, leafKey.Public()),
	}
}

// FuzzPassthrough: an API passthrough with a custom extension, a
// certificate policy, an extended key usage and a DNS name. Validate agrees
// with Build; every refusal is an *ArgError or a *MalformedError; and whatever Build accepts signs
// into a certificate that parses and carries the custom extension as given,
// (unless the template owns its OID), so an accepted passthrough never
// becomes an internal failure.
func FuzzPassthrough(f *testing.F) {
	fx := newBuildFixture(f)
	f.Add("1.3.6.1.4.1.99999.1", []byte{0x05, 0x00}, false, "2.23.140.1.2.1", "https://cps.example/", "1.3.6.1.5.5.7.3.1", "www.example.com")
	f.Add("1.2.3", []byte{0x30, 0x03, 0x02, 0x01, 0x05}, true, "1.2.3.4", "", "1.3.6.1.5.5.7.3.1", "")
	f.Add("2.5.29.19", []byte{0x30, 0x00}, true, "", "", "", "x")
	f.Add("2.5.29.32", []byte{0x30, 0x00}, false, "1.2", "", "", "")
	f.Add("1.2.3", []byte{0x04, 0x81, 0x01, 0x00}, false, "", "", "", "")
	f.Fuzz(func(t *testing.T, oid string, value []byte, critical bool, policyOID, cpsURI, ekuOID, dns string) {
		ext := &Extensions{}
		if oid != "" || len(value) > 0 {
			ext.CustomExtensions = []CustomExtension{{OID: oid, Value: value, Critical: critical}}
		}
		if policyOID != "" {
			p := PolicyInformation{PolicyOID: policyOID}
			if cpsURI != "" {
				p.Qualifiers = []PolicyQualifier{{QualifierID: "CPS", CPSURI: cpsURI}}
			}
			ext.CertificatePolicies = []PolicyInformation{p}
		}
		if ekuOID != "" {
			ext.ExtendedKeyUsage = []ExtendedKeyUsage{{OID: ekuOID}}
		}
		if dns != "" {
			ext.SubjectAlternativeNames = []GeneralName{{DNSName: dns}}
		}
		p := &Passthrough{Extensions: ext}
		verr := p.Validate()
		tmpl, err := Build(Request{
			Template: fx.tmpl, CSR: fx.csr, SubjectKeyID: fx.ski, Passthrough: p, Issuer: fx.ca,
			SerialNumber: fx.serial, NotBefore: testNow, NotAfter: testNow.Add(24 * time.Hour),
		})
		if verr != nil {
			if !refusal(verr) {
				t.Fatalf("Validate: %v (%T), want *ArgError or *MalformedError", verr, verr)
			}
			if err == nil {
				t.Fatalf("Validate refused (%v), Build accepted", verr)
			}
		}
		if err != nil {
			if !refusal(err) {
				t.Fatalf("Build: %v (%T), want *ArgError or *MalformedError", err, err)
			}
			return
		}
		der, err := x509util.CreateCertificate(rand.Reader, tmpl, fx.ca, fx.csr.PublicKey, fx.caKey, x509util.SHA256WithECDSA)
		if err != nil {
			t.Fatalf("accepted passthrough does not sign: %v", err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			// x509.ParseCertificate checks the contents of the extensions
			// it knows; Lint would refuse such a certificate as invalid
			// arguments, not as an internal failure.
			return
		}
		seen := map[string]int{}
		for _, e := range cert.Extensions {
			seen[e.Id.String()]++
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("extension %s appears %d times", id, n)
			}
		}
		for _, c := range ext.CustomExtensions {
			id := mustOID(t, c.OID)
			switch {
			case id.Equal(oidExtBasicConstraints), id.Equal(oidExtSubjectKeyID), id.Equal(oidExtAuthorityKeyID):
				continue // the template's own extensions win
			case id.Equal(oidExtSubjectAltName):
				c.Critical = false // critical only with an empty subject, and the CSR has one
			}
			found := false
			for _, e := range cert.Extensions {
				if e.Id.Equal(id) {
					found = true
					if !bytes.Equal(e.Value, c.Value) || e.Critical != c.Critical {
						t.Fatalf("custom extension %s: got %x critical=%v, want %x critical=%v", id, e.Value, e.Critical, c.Value, c.Critical)
					}
				}
			}
			if !found {
				t.Fatalf("custom extension %s is missing", id)
			}
		}
	})
}
