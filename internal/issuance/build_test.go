package issuance

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net"
	"slices"
	"testing"
	"time"

	zx509 "github.com/zmap/zcrypto/x509"
)

var (
	oidCustomTest = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1}
	oidPolicyTest = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 2, 1}
)

// tlv is an independent DER encoder for expected values (short and long
// lengths up to 65535 bytes).
func tlv(tag byte, content ...[]byte) []byte {
	body := bytes.Join(content, nil)
	out := []byte{tag}
	switch n := len(body); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, body...)
}

func TestMarshalGeneralNames(t *testing.T) {
	upn := []byte{0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x14, 0x02, 0x03} // 1.3.6.1.4.1.311.20.2.3
	cn := []byte{0x06, 0x03, 0x55, 0x04, 0x03}
	country := []byte{0x06, 0x03, 0x55, 0x04, 0x06}
	tests := []struct {
		name    string
		gn      GeneralName
		want    []byte // one GeneralName
		wantErr bool
	}{
		{name: "otherName", gn: GeneralName{OtherName: &OtherName{TypeID: "1.3.6.1.4.1.311.20.2.3", Value: "user@example.internal"}},
			want: tlv(0xa0, upn, tlv(0xa0, tlv(0x0c, []byte("user@example.internal"))))},
		{name: "rfc822Name", gn: GeneralName{RFC822Name: "ops@example.internal"}, want: tlv(0x81, []byte("ops@example.internal"))},
		{name: "dNSName", gn: GeneralName{DNSName: "svc.example.internal"}, want: tlv(0x82, []byte("svc.example.internal"))},
		{name: "directoryName", gn: GeneralName{DirectoryName: &Name{Country: "US", CommonName: "Dir Name"}},
			want: tlv(0xa4, tlv(0x30,
				tlv(0x31, tlv(0x30, country, tlv(0x13, []byte("US")))),
				tlv(0x31, tlv(0x30, cn, tlv(0x13, []byte("Dir Name")))),
			))},
		{name: "ediPartyName with assigner", gn: GeneralName{EdiPartyName: &EdiPartyName{NameAssigner: "assigner", PartyName: "party"}},
			want: tlv(0xa5, tlv(0xa0, tlv(0x0c, []byte("assigner"))), tlv(0xa1, tlv(0x0c, []byte("party"))))},
		{name: "ediPartyName without assigner", gn: GeneralName{EdiPartyName: &EdiPartyName{PartyName: "party"}},
			want: tlv(0xa5, tlv(0xa1, tlv(0x0c, []byte("party"))))},
		{name: "uniformResourceIdentifier", gn: GeneralName{UniformResourceIdentifier: "spiffe://example.internal/svc"},
			want: tlv(0x86, []byte("spiffe://example.internal/svc"))},
		{name: "iPAddress v4", gn: GeneralName{IPAddress: "192.0.2.10"}, want: tlv(0x87, []byte{192, 0, 2, 10})},
		{name: "iPAddress v6", gn: GeneralName{IPAddress: "2001:db8::1"},
			want: tlv(0x87, []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})},
		{name: "registeredID", gn: GeneralName{RegisteredID: "1.2.840.113549"}, want: tlv(0x88, []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d})},

		{name: "two choices", gn: GeneralName{DNSName: "a.internal", IPAddress: "192.0.2.1"}, wantErr: true},
		{name: "no choice", gn: GeneralName{}, wantErr: true},
		{name: "bad IP", gn: GeneralName{IPAddress: "192.0.2"}, wantErr: true},
		{name: "IP with zone", gn: GeneralName{IPAddress: "fe80::1%eth0"}, wantErr: true},
		{name: "non-ASCII DNS name", gn: GeneralName{DNSName: "bücher.internal"}, wantErr: true},
		{name: "bad registeredID", gn: GeneralName{RegisteredID: "1.2.x"}, wantErr: true},
		{name: "bad otherName OID", gn: GeneralName{OtherName: &OtherName{TypeID: "3.1", Value: "v"}}, wantErr: true},
		{name: "ediPartyName without party", gn: GeneralName{EdiPartyName: &EdiPartyName{NameAssigner: "a"}}, wantErr: true},
		{name: "empty directoryName", gn: GeneralName{DirectoryName: &Name{}}, wantErr: true},
		{name: "directoryName mixing custom and standard", gn: GeneralName{DirectoryName: &Name{
			CommonName: "x", CustomAttributes: []Attribute{{ObjectIdentifier: "2.5.4.3", Value: "y"}},
		}}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MarshalGeneralNames([]GeneralName{tc.gn})
			if tc.wantErr {
				var ae *ArgError
				if !errors.As(err, &ae) {
					t.Fatalf("error = %v, want *ArgError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := tlv(0x30, tc.want); !bytes.Equal(got, want) {
				t.Errorf("DER = %x\nwant  %x", got, want)
			}
		})
	}
	t.Run("empty list", func(t *testing.T) {
		var ae *ArgError
		if _, err := MarshalGeneralNames(nil); !errors.As(err, &ae) {
			t.Errorf("error = %v, want *ArgError", err)
		}
	})
}

func TestSubjectInfoAccessExtension(t *testing.T) {
	uri := func(s string) GeneralName { return GeneralName{UniformResourceIdentifier: s} }
	tests := []struct {
		name    string
		ads     []AccessDescription
		want    []byte
		wantErr bool
	}{
		{
			name: "AWS access method types and a custom OID",
			ads: []AccessDescription{
				{MethodType: "CA_REPOSITORY", Location: uri("rsync://r.internal/repo/")},
				{MethodType: "RESOURCE_PKI_MANIFEST", Location: uri("rsync://r.internal/repo/m.mft")},
				{MethodType: "RESOURCE_PKI_NOTIFY", Location: uri("https://r.internal/notify.xml")},
				{MethodOID: "1.3.6.1.5.5.7.48.11", Location: uri("rsync://r.internal/signed")},
			},
			want: tlv(0x30,
				tlv(0x30, []byte{0x06, 0x08, 0x2b, 6, 1, 5, 5, 7, 48, 5}, tlv(0x86, []byte("rsync://r.internal/repo/"))),
				tlv(0x30, []byte{0x06, 0x08, 0x2b, 6, 1, 5, 5, 7, 48, 10}, tlv(0x86, []byte("rsync://r.internal/repo/m.mft"))),
				tlv(0x30, []byte{0x06, 0x08, 0x2b, 6, 1, 5, 5, 7, 48, 13}, tlv(0x86, []byte("https://r.internal/notify.xml"))),
				tlv(0x30, []byte{0x06, 0x08, 0x2b, 6, 1, 5, 5, 7, 48, 11}, tlv(0x86, []byte("rsync://r.internal/signed"))),
			),
		},
		{name: "both method fields", ads: []AccessDescription{{MethodType: "CA_REPOSITORY", MethodOID: "1.2.3", Location: uri("x:y")}}, wantErr: true},
		{name: "no method", ads: []AccessDescription{{Location: uri("x:y")}}, wantErr: true},
		{name: "unknown method type", ads: []AccessDescription{{MethodType: "OCSP", Location: uri("x:y")}}, wantErr: true},
		{name: "location with two choices", ads: []AccessDescription{{MethodType: "CA_REPOSITORY", Location: GeneralName{DNSName: "a", RFC822Name: "b"}}}, wantErr: true},
		{name: "empty", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SubjectInfoAccessExtension(tc.ads)
			if tc.wantErr {
				var ae *ArgError
				if !errors.As(err, &ae) {
					t.Fatalf("error = %v, want *ArgError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Id.Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 11}) || got.Critical {
				t.Errorf("extension %s critical %v, want 1.3.6.1.5.5.7.1.11 non-critical", got.Id, got.Critical)
			}
			if !bytes.Equal(got.Value, tc.want) {
				t.Errorf("value = %x\nwant    %x", got.Value, tc.want)
			}
		})
	}
}

// TestBuildSANKinds issues a certificate carrying every GeneralName choice
// through API passthrough, and checks what crypto/x509 and zcrypto read back.
func TestBuildSANKinds(t *testing.T) {
	root := newRoot(t, "RootCACertificate")
	key := newKey(t)
	sans := []GeneralName{
		{OtherName: &OtherName{TypeID: "1.3.6.1.4.1.311.20.2.3", Value: "user@example.internal"}},
		{RFC822Name: "ops@example.internal"},
		{DNSName: "svc.example.internal"},
		{DirectoryName: &Name{Organization: "openpca", CommonName: "dir"}},
		{EdiPartyName: &EdiPartyName{NameAssigner: "assigner", PartyName: "party"}},
		{UniformResourceIdentifier: "spiffe://example.internal/svc"},
		{IPAddress: "192.0.2.10"},
		{IPAddress: "2001:db8::1"},
		{RegisteredID: "1.2.840.113549"},
	}
	tpl, err := Build(Request{
		Template:     mustTemplate(t, "EndEntityCertificate_APIPassthrough"),
		CSR:          newCSR(t, key, pkix.Name{CommonName: "csr.internal"}, []string{"csr.internal"}),
		SubjectKeyID: keyID(t, key.Public()),
		Issuer:       root.cert,
		Passthrough:  &Passthrough{Extensions: &Extensions{SubjectAlternativeNames: sans}},
		SerialNumber: big.NewInt(9),
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.AddDate(0, 1, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	der, cert := sign(t, tpl, &root, key)
	want, err := MarshalGeneralNames(sans)
	if err != nil {
		t.Fatal(err)
	}
	if san := ext(cert, oidExtSubjectAltName); san == nil || !bytes.Equal(san.Value, want) || san.Critical {
		t.Fatalf("SAN extension = %+v, want the API names, non-critical", san)
	}
	zc, err := zx509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"rfc822Name", slices.Equal(cert.EmailAddresses, []string{"ops@example.internal"})},
		{"dNSName", slices.Equal(cert.DNSNames, []string{"svc.example.internal"})},
		{"uniformResourceIdentifier", len(cert.URIs) == 1 && cert.URIs[0].String() == "spiffe://example.internal/svc"},
		{"iPAddress", len(cert.IPAddresses) == 2 && cert.IPAddresses[0].Equal(net.ParseIP("192.0.2.10")) &&
			len(cert.IPAddresses[0]) == net.IPv4len && cert.IPAddresses[1].Equal(net.ParseIP("2001:db8::1"))},
		{"otherName", len(zc.OtherNames) == 1 && zc.OtherNames[0].TypeID.String() == "1.3.6.1.4.1.311.20.2.3" &&
			bytes.Equal(zc.OtherNames[0].Value.Bytes, tlv(0x0c, []byte("user@example.internal")))},
		{"directoryName", len(zc.DirectoryNames) == 1 && zc.DirectoryNames[0].CommonName == "dir" &&
			slices.Equal(zc.DirectoryNames[0].Organization, []string{"openpca"})},
		{"ediPartyName", len(zc.EDIPartyNames) == 1 && zc.EDIPartyNames[0].NameAssigner == "assigner" &&
			zc.EDIPartyNames[0].PartyName == "party"},
		{"registeredID", len(zc.RegisteredIDs) == 1 && zc.RegisteredIDs[0].String() == "1.2.840.113549"},
		{"mirrored typed fields", slices.Equal(tpl.DNSNames, cert.DNSNames) && slices.Equal(tpl.EmailAddresses, cert.EmailAddresses) &&
			len(tpl.IPAddresses) == 2 && len(tpl.URIs) == 1},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("%s not read back as issued (x509 %v %v %v %v; zcrypto %+v %+v %+v %+v)", c.name,
					cert.EmailAddresses, cert.DNSNames, cert.URIs, cert.IPAddresses,
					zc.OtherNames, zc.DirectoryNames, zc.EDIPartyNames, zc.RegisteredIDs)
			}
		})
	}
	if err := Lint(der); err != nil {
		t.Errorf("Lint: %v", err)
	}
}

// TestBuildPrecedence covers template > API passthrough > CSR passthrough.
func TestBuildPrecedence(t *testing.T) {
	root := newRoot(t, "RootCACertificate")
	oidEKUCodeSigning := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 3}
	csrCustom := pkix.Extension{Id: oidCustomTest, Value: mustDER(t, "from the CSR")}
	csrEKU := pkix.Extension{Id: oidExtExtKeyUsage, Value: mustDER(t, []asn1.ObjectIdentifier{oidEKUCodeSigning})}
	csrPolicy := pkix.Extension{Id: oidExtCertificatePolicies, Value: mustDER(t, []struct{ ID asn1.ObjectIdentifier }{{oidPolicyTest}})}
	csrKU := func() pkix.Extension {
		e, err := keyUsageExtension(x509.KeyUsageKeyAgreement, false)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}()
	apiSubject := &Name{Country: "DE", Organization: "API Org", CommonName: "api.internal"}
	apiSAN := []GeneralName{{DNSName: "api.internal"}}

	tests := []struct {
		name     string
		template string
		csrExts  []pkix.Extension
		pt       *Passthrough
		check    func(t *testing.T, cert *x509.Certificate)
	}{
		{
			name:     "API passthrough ignored on a base template",
			template: "EndEntityCertificate",
			pt: &Passthrough{Subject: apiSubject, Extensions: &Extensions{
				SubjectAlternativeNames: apiSAN,
				CustomExtensions:        []CustomExtension{{OID: "1.3.6.1.4.1.55555.1", Value: mustDER(t, "api")}},
			}},
			check: func(t *testing.T, c *x509.Certificate) {
				wantCSRIdentity(t, c)
				if ext(c, oidCustomTest) != nil {
					t.Error("API custom extension copied on a base template")
				}
			},
		},
		{
			name:     "invalid API passthrough ignored on a base template",
			template: "EndEntityCertificate",
			pt:       &Passthrough{Extensions: &Extensions{SubjectAlternativeNames: []GeneralName{{DNSName: "a", IPAddress: "192.0.2.1"}}}},
			check:    wantCSRIdentity,
		},
		{
			name:     "API subject and SAN on an APIPassthrough template",
			template: "EndEntityCertificate_APIPassthrough",
			pt:       &Passthrough{Subject: apiSubject, Extensions: &Extensions{SubjectAlternativeNames: apiSAN}},
			check: func(t *testing.T, c *x509.Certificate) {
				if c.Subject.CommonName != "api.internal" || !slices.Equal(c.Subject.Country, []string{"DE"}) ||
					!slices.Equal(c.DNSNames, []string{"api.internal"}) {
					t.Errorf("subject %v SAN %v, want the API's", c.Subject, c.DNSNames)
				}
			},
		},
		{
			name:     "API SAN beats CSR SAN on an APICSRPassthrough template",
			template: "EndEntityClientAuthCertificate_APICSRPassthrough",
			pt:       &Passthrough{Extensions: &Extensions{SubjectAlternativeNames: apiSAN}},
			check: func(t *testing.T, c *x509.Certificate) {
				if !slices.Equal(c.DNSNames, []string{"api.internal"}) || c.Subject.CommonName != "csr.internal" {
					t.Errorf("SAN %v subject %v, want API SAN and CSR subject", c.DNSNames, c.Subject)
				}
			},
		},
		{
			name:     "empty API subject keeps the CSR subject",
			template: "EndEntityCertificate_APIPassthrough",
			pt:       &Passthrough{Subject: &Name{}},
			check:    wantCSRIdentity,
		},
		{
			name:     "template EKU beats CSR EKU",
			template: "EndEntityServerAuthCertificate_CSRPassthrough",
			csrExts:  []pkix.Extension{csrEKU, csrKU},
			check: func(t *testing.T, c *x509.Certificate) {
				if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
					t.Errorf("EKU = %v, want serverAuth only", c.ExtKeyUsage)
				}
				if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
					t.Errorf("KU = %b, want the template's", c.KeyUsage)
				}
			},
		},
		{
			name:     "template EKU beats API EKU",
			template: "EndEntityClientAuthCertificate_APIPassthrough",
			pt:       &Passthrough{Extensions: &Extensions{ExtendedKeyUsage: []ExtendedKeyUsage{{Type: "SERVER_AUTH"}}, KeyUsage: &KeyUsage{KeyAgreement: true}}},
			check: func(t *testing.T, c *x509.Certificate) {
				if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
					t.Errorf("EKU = %v, want clientAuth only", c.ExtKeyUsage)
				}
				if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
					t.Errorf("KU = %b, want the template's", c.KeyUsage)
				}
			},
		},
		{
			name:     "template basicConstraints beats an API custom extension",
			template: "EndEntityCertificate_APIPassthrough",
			pt: &Passthrough{Extensions: &Extensions{CustomExtensions: []CustomExtension{{
				OID: "2.5.29.19", Critical: true, Value: mustDER(t, struct{ CA bool }{true}),
			}}}},
			check: func(t *testing.T, c *x509.Certificate) {
				if c.IsCA || ext(c, oidExtBasicConstraints).Critical {
					t.Error("API basicConstraints overrode the template's")
				}
			},
		},
		{
			name:     "CSR extensions copied on a CSRPassthrough template",
			template: "EndEntityCertificate_CSRPassthrough",
			csrExts:  []pkix.Extension{csrCustom, csrPolicy},
			check: func(t *testing.T, c *x509.Certificate) {
				if e := ext(c, oidCustomTest); e == nil || !bytes.Equal(e.Value, csrCustom.Value) {
					t.Errorf("custom CSR extension = %+v, want copied", e)
				}
				if !slices.ContainsFunc(c.PolicyIdentifiers, oidPolicyTest.Equal) {
					t.Errorf("policies = %v, want the CSR's", c.PolicyIdentifiers)
				}
			},
		},
		{
			name:     "CSR extensions not copied on a base template",
			template: "EndEntityCertificate",
			csrExts:  []pkix.Extension{csrCustom, csrPolicy},
			check: func(t *testing.T, c *x509.Certificate) {
				if ext(c, oidCustomTest) != nil || ext(c, oidExtCertificatePolicies) != nil {
					t.Error("CSR extensions copied on a base template")
				}
				wantCSRIdentity(t, c)
			},
		},
		{
			name:     "CSR extensions not copied on an APIPassthrough template",
			template: "EndEntityCertificate_APIPassthrough",
			csrExts:  []pkix.Extension{csrCustom},
			check: func(t *testing.T, c *x509.Certificate) {
				if ext(c, oidCustomTest) != nil {
					t.Error("CSR extension copied on an API-only template")
				}
			},
		},
		{
			name:     "API custom extension beats the CSR's on an APICSRPassthrough template",
			template: "EndEntityCertificate_APICSRPassthrough",
			csrExts:  []pkix.Extension{csrCustom},
			pt:       &Passthrough{Extensions: &Extensions{CustomExtensions: []CustomExtension{{OID: "1.3.6.1.4.1.55555.1", Value: mustDER(t, "api")}}}},
			check: func(t *testing.T, c *x509.Certificate) {
				if e := ext(c, oidCustomTest); e == nil || !bytes.Equal(e.Value, mustDER(t, "api")) {
					t.Errorf("custom extension = %+v, want the API's", e)
				}
			},
		},
		{
			name:     "API policies with a CPS qualifier beat the CSR's",
			template: "EndEntityCertificate_APICSRPassthrough",
			csrExts:  []pkix.Extension{csrPolicy},
			pt: &Passthrough{Extensions: &Extensions{CertificatePolicies: []PolicyInformation{{
				PolicyOID: "2.23.140.1.2.1", Qualifiers: []PolicyQualifier{{QualifierID: "CPS", CPSURI: "https://cps.internal/"}},
			}}}},
			check: func(t *testing.T, c *x509.Certificate) {
				want := tlv(0x30, tlv(0x30,
					[]byte{0x06, 0x06, 0x67, 0x81, 0x0c, 0x01, 0x02, 0x01},
					tlv(0x30, tlv(0x30, []byte{0x06, 0x08, 0x2b, 6, 1, 5, 5, 7, 2, 1}, tlv(0x16, []byte("https://cps.internal/")))),
				))
				if e := ext(c, oidExtCertificatePolicies); e == nil || !bytes.Equal(e.Value, want) {
					t.Errorf("policies = %x, want %x", e.Value, want)
				}
			},
		},
		{
			name:     "Blank template: API key usage beats the CSR's",
			template: "BlankEndEntityCertificate_APICSRPassthrough",
			csrExts:  []pkix.Extension{csrKU, csrEKU},
			pt: &Passthrough{Extensions: &Extensions{
				KeyUsage:         &KeyUsage{DigitalSignature: true, NonRepudiation: true},
				ExtendedKeyUsage: []ExtendedKeyUsage{{Type: "CLIENT_AUTH"}, {Type: "SMART_CARD_LOGIN"}, {OID: "1.3.6.1.4.1.55555.3"}},
			}},
			check: func(t *testing.T, c *x509.Certificate) {
				if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment {
					t.Errorf("KU = %b, want the API's", c.KeyUsage)
				}
				if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) || len(c.UnknownExtKeyUsage) != 2 ||
					!c.UnknownExtKeyUsage[0].Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 2}) {
					t.Errorf("EKU = %v %v, want clientAuth, smart card logon, custom", c.ExtKeyUsage, c.UnknownExtKeyUsage)
				}
			},
		},
		{
			name:     "Blank template: CSR key usage used when the API gives none",
			template: "BlankEndEntityCertificate_APICSRPassthrough",
			csrExts:  []pkix.Extension{csrKU, csrEKU},
			check: func(t *testing.T, c *x509.Certificate) {
				if c.KeyUsage != x509.KeyUsageKeyAgreement || ext(c, oidExtKeyUsage).Critical {
					t.Errorf("KU = %b (critical %v), want the CSR's as requested", c.KeyUsage, ext(c, oidExtKeyUsage).Critical)
				}
				if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}) {
					t.Errorf("EKU = %v, want the CSR's", c.ExtKeyUsage)
				}
			},
		},
		{
			name:     "Blank template without CSR passthrough ignores CSR key usage",
			template: "BlankEndEntityCertificate_APIPassthrough",
			csrExts:  []pkix.Extension{csrKU, csrEKU},
			check: func(t *testing.T, c *x509.Certificate) {
				if ext(c, oidExtKeyUsage) != nil || ext(c, oidExtExtKeyUsage) != nil {
					t.Error("CSR KU/EKU copied on an API-only blank template")
				}
			},
		},
		{
			name:     "API subject with custom attributes",
			template: "EndEntityCertificate_APIPassthrough",
			pt: &Passthrough{Subject: &Name{CustomAttributes: []Attribute{
				{ObjectIdentifier: "2.5.4.3", Value: "custom cn"},
				{ObjectIdentifier: "1.3.6.1.4.1.55555.4", Value: "ünïcode"},
			}}},
			check: func(t *testing.T, c *x509.Certificate) {
				want := tlv(0x30,
					tlv(0x31, tlv(0x30, []byte{0x06, 0x03, 0x55, 0x04, 0x03}, tlv(0x13, []byte("custom cn")))),
					tlv(0x31, tlv(0x30, mustDER(t, asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 4}), tlv(0x0c, []byte("ünïcode")))),
				)
				if !bytes.Equal(c.RawSubject, want) {
					t.Errorf("subject = %x\nwant      %x", c.RawSubject, want)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := newKey(t)
			tpl, err := Build(Request{
				Template:     mustTemplate(t, tc.template),
				CSR:          newCSR(t, key, pkix.Name{CommonName: "csr.internal"}, []string{"csr.internal"}, tc.csrExts...),
				SubjectKeyID: keyID(t, key.Public()),
				Passthrough:  tc.pt,
				Issuer:       root.cert,
				SerialNumber: big.NewInt(11),
				NotBefore:    testNow.Add(-time.Hour),
				NotAfter:     testNow.AddDate(0, 1, 0),
			})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			_, cert := sign(t, tpl, &root, key)
			tc.check(t, cert)
		})
	}
}

func wantCSRIdentity(t *testing.T, c *x509.Certificate) {
	t.Helper()
	if c.Subject.CommonName != "csr.internal" || len(c.Subject.Country) != 0 || !slices.Equal(c.DNSNames, []string{"csr.internal"}) {
		t.Errorf("subject %v SAN %v, want the CSR's", c.Subject, c.DNSNames)
	}
}

func TestBuildSubjectAndSAN(t *testing.T) {
	root := newRoot(t, "RootCACertificate")
	tests := []struct {
		name         string
		template     string
		subject      pkix.Name
		dns          []string
		pt           *Passthrough
		wantErr      bool
		wantCritical bool
	}{
		{name: "subject and SAN", template: "EndEntityCertificate", subject: pkix.Name{CommonName: "a"}, dns: []string{"a.internal"}},
		{name: "subject only", template: "EndEntityCertificate", subject: pkix.Name{CommonName: "a"}},
		{name: "SAN only: critical SAN", template: "EndEntityCertificate", dns: []string{"a.internal"}, wantCritical: true},
		{name: "neither", template: "EndEntityCertificate", wantErr: true},
		{name: "neither, API SAN ignored on a base template", template: "EndEntityCertificate",
			pt: &Passthrough{Extensions: &Extensions{SubjectAlternativeNames: []GeneralName{{DNSName: "a.internal"}}}}, wantErr: true},
		{name: "API SAN fills an empty CSR", template: "EndEntityCertificate_APIPassthrough", wantCritical: true,
			pt: &Passthrough{Extensions: &Extensions{SubjectAlternativeNames: []GeneralName{{DNSName: "a.internal"}}}}},
		{name: "API subject fills an empty CSR", template: "EndEntityCertificate_APIPassthrough",
			pt: &Passthrough{Subject: &Name{CommonName: "a"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := newKey(t)
			tpl, err := Build(Request{
				Template:     mustTemplate(t, tc.template),
				CSR:          newCSR(t, key, tc.subject, tc.dns),
				SubjectKeyID: keyID(t, key.Public()),
				Passthrough:  tc.pt,
				Issuer:       root.cert,
				SerialNumber: big.NewInt(12),
				NotBefore:    testNow.Add(-time.Hour),
				NotAfter:     testNow.AddDate(0, 1, 0),
			})
			if tc.wantErr {
				var ae *ArgError
				if !errors.As(err, &ae) {
					t.Fatalf("Build error = %v, want *ArgError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			der, cert := sign(t, tpl, &root, key)
			if san := ext(cert, oidExtSubjectAltName); san != nil && san.Critical != tc.wantCritical {
				t.Errorf("SAN critical = %v, want %v", san.Critical, tc.wantCritical)
			}
			if err := Lint(der); err != nil {
				t.Errorf("Lint: %v", err)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	root := newRoot(t, "RootCACertificate")
	key := newKey(t)
	csr := newCSR(t, key, pkix.Name{CommonName: "a"}, []string{"a.internal"})
	base := func(template string, pt *Passthrough) Request {
		return Request{
			Template: mustTemplate(t, template), CSR: csr, SubjectKeyID: keyID(t, key.Public()), Passthrough: pt,
			Issuer: root.cert, SerialNumber: big.NewInt(13), NotBefore: testNow, NotAfter: testNow.Add(time.Hour),
		}
	}
	api := func(e *Extensions) Request {
		return base("EndEntityCertificate_APIPassthrough", &Passthrough{Extensions: e})
	}

	tests := []struct {
		name    string
		req     Request
		wantArg bool // *ArgError; otherwise a plain precondition error
	}{
		{name: "GeneralName with two choices", req: api(&Extensions{SubjectAlternativeNames: []GeneralName{{DNSName: "a", IPAddress: "192.0.2.1"}}}), wantArg: true},
		{name: "custom attributes mixed with standard ones", wantArg: true, req: base("EndEntityCertificate_APIPassthrough", &Passthrough{Subject: &Name{
			CommonName: "a", CustomAttributes: []Attribute{{ObjectIdentifier: "2.5.4.10", Value: "o"}},
		}})},
		{name: "custom attribute with a bad OID", wantArg: true, req: base("EndEntityCertificate_APIPassthrough", &Passthrough{Subject: &Name{
			CustomAttributes: []Attribute{{ObjectIdentifier: "2.5.4", Value: "o"}, {ObjectIdentifier: "x", Value: "o"}},
		}})},
		{name: "SAN twice (structured and custom)", wantArg: true, req: api(&Extensions{
			SubjectAlternativeNames: []GeneralName{{DNSName: "a"}},
			CustomExtensions:        []CustomExtension{{OID: "2.5.29.17", Value: mustDER(t, []asn1.RawValue{{Class: 2, Tag: 2, Bytes: []byte("b")}})}},
		})},
		{name: "custom extension value not DER", wantArg: true, req: api(&Extensions{CustomExtensions: []CustomExtension{{OID: "1.2.3.4", Value: []byte{0x04, 0x05, 0x01}}}})},
		{name: "custom extension with a bad OID", wantArg: true, req: api(&Extensions{CustomExtensions: []CustomExtension{{OID: "1", Value: []byte{0x05, 0x00}}}})},
		{name: "EKU with type and OID", wantArg: true, req: api(&Extensions{ExtendedKeyUsage: []ExtendedKeyUsage{{Type: "SERVER_AUTH", OID: "1.2.3"}}})},
		{name: "unknown EKU type", wantArg: true, req: api(&Extensions{ExtendedKeyUsage: []ExtendedKeyUsage{{Type: "ANY"}}})},
		{name: "unsupported policy qualifier", wantArg: true, req: api(&Extensions{CertificatePolicies: []PolicyInformation{{
			PolicyOID: "1.2.3", Qualifiers: []PolicyQualifier{{QualifierID: "USER_NOTICE", CPSURI: "x"}},
		}}})},
		{name: "missing issuer for a non-root template", req: func() Request { r := base("EndEntityCertificate", nil); r.Issuer = nil; return r }()},
		{name: "missing SKI", req: func() Request { r := base("EndEntityCertificate", nil); r.SubjectKeyID = nil; return r }()},
		{name: "zero serial", req: func() Request { r := base("EndEntityCertificate", nil); r.SerialNumber = new(big.Int); return r }()},
		{name: "inverted validity", req: func() Request { r := base("EndEntityCertificate", nil); r.NotAfter = r.NotBefore; return r }()},
		{name: "no template", req: func() Request { r := base("EndEntityCertificate", nil); r.Template = nil; return r }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.req)
			if err == nil {
				t.Fatal("Build succeeded")
			}
			var ae *ArgError
			if errors.As(err, &ae) != tc.wantArg {
				t.Errorf("Build error = %v (%T), want ArgError %v", err, err, tc.wantArg)
			}
		})
	}
}

func TestBuildPathLen(t *testing.T) {
	root := newRoot(t, "RootCACertificate")
	// issueSub issues a subordinate CA with template from parent.
	issueSub := func(t *testing.T, parent ca, template string) (ca, error) {
		key := newKey(t)
		tpl, err := Build(Request{
			Template:     mustTemplate(t, template),
			CSR:          newCSR(t, key, pkix.Name{CommonName: template}, nil),
			SubjectKeyID: keyID(t, key.Public()),
			Issuer:       parent.cert,
			SerialNumber: big.NewInt(14),
			NotBefore:    testNow.Add(-time.Hour),
			NotAfter:     testNow.AddDate(1, 0, 0),
			Passthrough:  &Passthrough{Extensions: &Extensions{KeyUsage: &KeyUsage{KeyCertSign: true, CRLSign: true}}},
		})
		if err != nil {
			return ca{}, err
		}
		_, cert := sign(t, tpl, &parent, key)
		return ca{cert: cert, key: key}, nil
	}
	mustSub := func(t *testing.T, parent ca, template string) ca {
		t.Helper()
		c, err := issueSub(t, parent, template)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		parent   func(t *testing.T) ca
		template string
		wantErr  bool
	}{
		{name: "pathlen 3 below a root without constraint", parent: func(*testing.T) ca { return root }, template: "SubordinateCACertificate_PathLen3"},
		{name: "pathlen 0 below pathlen 0", parent: func(t *testing.T) ca { return mustSub(t, root, "SubordinateCACertificate_PathLen0") },
			template: "SubordinateCACertificate_PathLen0", wantErr: true},
		{name: "blank CA below pathlen 0", parent: func(t *testing.T) ca { return mustSub(t, root, "SubordinateCACertificate_PathLen0") },
			template: "BlankSubordinateCACertificate_PathLen0_APIPassthrough", wantErr: true},
		{name: "end entity below pathlen 0", parent: func(t *testing.T) ca { return mustSub(t, root, "SubordinateCACertificate_PathLen0") },
			template: "EndEntityCertificate"},
		{name: "pathlen 0 below pathlen 1", parent: func(t *testing.T) ca { return mustSub(t, root, "SubordinateCACertificate_PathLen1") },
			template: "SubordinateCACertificate_PathLen0"},
		{name: "pathlen 1 below pathlen 1", parent: func(t *testing.T) ca { return mustSub(t, root, "SubordinateCACertificate_PathLen1") },
			template: "SubordinateCACertificate_PathLen1", wantErr: true},
		{name: "pathlen 2 below pathlen 3", parent: func(t *testing.T) ca { return mustSub(t, root, "SubordinateCACertificate_PathLen3") },
			template: "SubordinateCACertificate_PathLen2"},
		{name: "unconstrained root template below pathlen 1", parent: func(t *testing.T) ca { return mustSub(t, root, "SubordinateCACertificate_PathLen1") },
			template: "RootCACertificate", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := issueSub(t, tc.parent(t), tc.template)
			var pe *PathLenError
			if got := errors.As(err, &pe); got != tc.wantErr {
				t.Errorf("error = %v, want PathLenError %v", err, tc.wantErr)
			}
			if !tc.wantErr && err != nil {
				t.Errorf("unexpected error %v", err)
			}
		})
	}
	t.Run("sub CA certificate (check 23)", func(t *testing.T) {
		sub := mustSub(t, root, "SubordinateCACertificate_PathLen0")
		c := sub.cert
		if !c.IsCA || c.MaxPathLen != 0 || !c.MaxPathLenZero || !ext(c, oidExtBasicConstraints).Critical {
			t.Errorf("basicConstraints CA %v pathlen %d zero %v, want critical CA:TRUE pathlen 0", c.IsCA, c.MaxPathLen, c.MaxPathLenZero)
		}
		if !bytes.Equal(c.AuthorityKeyId, root.cert.SubjectKeyId) {
			t.Errorf("AKI = %x, want the root's SKI %x", c.AuthorityKeyId, root.cert.SubjectKeyId)
		}
		if err := c.CheckSignatureFrom(root.cert); err != nil {
			t.Error(err)
		}
	})
}

func TestBuildAuthorityKeyIDFallback(t *testing.T) {
	root := newRoot(t, "RootCACertificate")
	// An imported CA certificate without a subject key identifier.
	issuer := *root.cert
	issuer.SubjectKeyId = nil
	key := newKey(t)
	tpl, err := Build(Request{
		Template: mustTemplate(t, "EndEntityCertificate"), CSR: newCSR(t, key, pkix.Name{CommonName: "a"}, nil),
		SubjectKeyID: keyID(t, key.Public()), Issuer: &issuer, SerialNumber: big.NewInt(2),
		NotBefore: testNow, NotAfter: testNow.Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	// RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits,
	// which is how the root's own SKI was computed.
	if !bytes.Equal(tpl.AuthorityKeyId, root.cert.SubjectKeyId) {
		t.Errorf("AKI = %x, want SHA-1 of the issuer key %x", tpl.AuthorityKeyId, root.cert.SubjectKeyId)
	}
	if e := findExt(tpl.ExtraExtensions, oidExtAuthorityKeyID); e == nil || !bytes.Equal(e.Value, tlv(0x30, tlv(0x80, root.cert.SubjectKeyId))) {
		t.Errorf("AKI extension = %+v", e)
	}
}

func TestBuildOCSPAndRoot(t *testing.T) {
	root := newRoot(t, "RootCACertificate")
	const ocspURL = "http://ocsp.internal/"
	tests := []struct {
		name     string
		template string
		issuer   bool
		wantOCSP bool
	}{
		{name: "end entity gets the OCSP URL", template: "EndEntityCertificate", issuer: true, wantOCSP: true},
		{name: "root gets neither OCSP nor CDP", template: "RootCACertificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := newKey(t)
			req := Request{
				Template: mustTemplate(t, tc.template), CSR: newCSR(t, key, pkix.Name{CommonName: "a"}, nil),
				SubjectKeyID: keyID(t, key.Public()), SerialNumber: big.NewInt(3),
				NotBefore: testNow, NotAfter: testNow.AddDate(1, 0, 0),
				OCSPServer: []string{ocspURL}, CRLDistributionPoints: []string{"http://crl.internal/a.crl"},
			}
			var issuer *ca
			if tc.issuer {
				req.Issuer, issuer = root.cert, &root
			}
			tpl, err := Build(req)
			if err != nil {
				t.Fatal(err)
			}
			der, cert := sign(t, tpl, issuer, key)
			if got := slices.Equal(cert.OCSPServer, []string{ocspURL}); got != tc.wantOCSP {
				t.Errorf("OCSPServer = %v, want present %v", cert.OCSPServer, tc.wantOCSP)
			}
			if !tc.wantOCSP && (ext(cert, oidExtAuthorityInfoAccess) != nil || ext(cert, oidExtCRLDistributionPoints) != nil) {
				t.Error("root certificate has AIA or CDP")
			}
			if err := Lint(der); err != nil {
				t.Errorf("Lint: %v", err)
			}
		})
	}
}
