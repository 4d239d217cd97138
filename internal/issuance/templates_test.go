package issuance

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"testing"
	"time"
)

// templateSpec is one row of the template table: what the issued
// certificate must carry. kuFromPassthrough/ekuFromPassthrough mark Blank
// templates, whose KU/EKU the test supplies through passthrough.
type templateSpec struct {
	isCA        bool
	bcCritical  bool
	pathLen     int // -1: none
	ku          x509.KeyUsage
	eku         []x509.ExtKeyUsage
	ekuCritical bool
	root        bool
	blank       bool
	api, csr    bool
}

// expectedTemplates spells out the template table independently of the
// implementation.
func expectedTemplates() map[string]templateSpec {
	ee := x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	caKU := x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	base := map[string]templateSpec{
		"EndEntityCertificate":           {pathLen: -1, ku: ee, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		"EndEntityClientAuthCertificate": {pathLen: -1, ku: ee, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		"EndEntityServerAuthCertificate": {pathLen: -1, ku: ee, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		"CodeSigningCertificate":         {pathLen: -1, ku: x509.KeyUsageDigitalSignature, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, ekuCritical: true},
		"OCSPSigningCertificate":         {pathLen: -1, ku: x509.KeyUsageDigitalSignature, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}, ekuCritical: true},
	}
	for n := 0; n <= 3; n++ {
		base[fmt.Sprintf("SubordinateCACertificate_PathLen%d", n)] = templateSpec{isCA: true, bcCritical: true, pathLen: n, ku: caKU}
	}
	out := map[string]templateSpec{
		"RootCACertificate":                {isCA: true, bcCritical: true, pathLen: -1, ku: caKU, root: true},
		"RootCACertificate_APIPassthrough": {isCA: true, bcCritical: true, pathLen: -1, ku: caKU, root: true, api: true},
		"BlankRootCACertificate_APIPassthrough": {
			isCA: true, bcCritical: true, pathLen: -1, root: true, blank: true, api: true,
		},
	}
	for n := 0; n <= 3; n++ {
		out[fmt.Sprintf("BlankRootCACertificate_PathLen%d_APIPassthrough", n)] = templateSpec{
			isCA: true, bcCritical: true, pathLen: n, root: true, blank: true, api: true,
		}
	}
	variants := []struct {
		suffix   string
		api, csr bool
	}{{"", false, false}, {"_CSRPassthrough", false, true}, {"_APIPassthrough", true, false}, {"_APICSRPassthrough", true, true}}
	for name, s := range base {
		for _, v := range variants {
			s.api, s.csr = v.api, v.csr
			out[name+v.suffix] = s
		}
	}
	for _, v := range variants[1:] {
		out["BlankEndEntityCertificate"+v.suffix] = templateSpec{pathLen: -1, blank: true, api: v.api, csr: v.csr}
		out["BlankEndEntityCertificate_CriticalBasicConstraints"+v.suffix] = templateSpec{
			bcCritical: true, pathLen: -1, blank: true, api: v.api, csr: v.csr,
		}
		for n := 0; n <= 3; n++ {
			out[fmt.Sprintf("BlankSubordinateCACertificate_PathLen%d%s", n, v.suffix)] = templateSpec{
				isCA: true, bcCritical: true, pathLen: n, blank: true, api: v.api, csr: v.csr,
			}
		}
	}
	return out
}

func TestTemplateCatalogue(t *testing.T) {
	want := expectedTemplates()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	if got := TemplateNames(); !slices.Equal(got, names) {
		t.Fatalf("TemplateNames() = %v\nwant %v", got, names)
	}
	if len(names) != 61 {
		t.Errorf("%d templates, want 61", len(names))
	}
}

func TestLookupTemplate(t *testing.T) {
	tests := []struct {
		name    string
		arn     string
		want    string
		wantErr bool
	}{
		{name: "empty selects the default", arn: "", want: "EndEntityCertificate"},
		{name: "aws partition", arn: "arn:aws:acm-pca:::template/CodeSigningCertificate/V1", want: "CodeSigningCertificate"},
		{name: "GovCloud partition", arn: "arn:aws-us-gov:acm-pca:::template/RootCACertificate/V1", want: "RootCACertificate"},
		{name: "China partition", arn: "arn:aws-cn:acm-pca:::template/BlankEndEntityCertificate_APICSRPassthrough/V1", want: "BlankEndEntityCertificate_APICSRPassthrough"},
		{name: "unknown template", arn: "arn:aws:acm-pca:::template/NoSuchCertificate/V1", wantErr: true},
		{name: "no root CSR passthrough", arn: "arn:aws:acm-pca:::template/RootCACertificate_CSRPassthrough/V1", wantErr: true},
		{name: "no root APICSR passthrough", arn: "arn:aws:acm-pca:::template/RootCACertificate_APICSRPassthrough/V1", wantErr: true},
		{name: "wrong version", arn: "arn:aws:acm-pca:::template/EndEntityCertificate/V2", wantErr: true},
		{name: "region set", arn: "arn:aws:acm-pca:us-east-1::template/EndEntityCertificate/V1", wantErr: true},
		{name: "account set", arn: "arn:aws:acm-pca::123456789012:template/EndEntityCertificate/V1", wantErr: true},
		{name: "other service", arn: "arn:aws:acm:::template/EndEntityCertificate/V1", wantErr: true},
		{name: "bare name", arn: "EndEntityCertificate", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LookupTemplate(tc.arn)
			if tc.wantErr {
				var ae *ArgError
				if !errors.As(err, &ae) {
					t.Fatalf("LookupTemplate(%q) error = %v, want *ArgError", tc.arn, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tc.want {
				t.Errorf("Name = %q, want %q", got.Name, tc.want)
			}
		})
	}
	t.Run("returns a copy", func(t *testing.T) {
		a := mustTemplate(t, "EndEntityCertificate")
		a.ExtKeyUsage[0] = x509.ExtKeyUsageAny
		a.KeyUsage = 0
		b := mustTemplate(t, "EndEntityCertificate")
		if b.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth || b.KeyUsage == 0 {
			t.Error("changing a returned template changed the catalogue")
		}
	})
}

// TestTemplates issues one certificate per template and checks exactly the
// extensions the template table lists, then lints it.
func TestTemplates(t *testing.T) {
	root := newRoot(t, "RootCACertificate")
	rootSKI := root.cert.SubjectKeyId
	const crlURL = "http://crl.example.internal/ca.crl"
	blankEEKU := x509.KeyUsageDigitalSignature
	blankCAKU := x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign

	specs := expectedTemplates()
	for _, name := range TemplateNames() {
		spec := specs[name]
		t.Run(name, func(t *testing.T) {
			tpl := mustTemplate(t, name)
			if tpl.Root != spec.root || tpl.Blank != spec.blank || tpl.APIPassthrough != spec.api || tpl.CSRPassthrough != spec.csr {
				t.Errorf("template flags = root %v blank %v api %v csr %v, want %v %v %v %v",
					tpl.Root, tpl.Blank, tpl.APIPassthrough, tpl.CSRPassthrough, spec.root, spec.blank, spec.api, spec.csr)
			}
			for _, withCDP := range []bool{false, true} {
				t.Run(fmt.Sprintf("cdp=%v", withCDP), func(t *testing.T) {
					key := newKey(t)
					// Blank templates get KU (and for end entities an EKU)
					// from the API when they honour it, else from the CSR.
					wantKU, wantEKU, wantEKUCritical := spec.ku, spec.eku, spec.ekuCritical
					var csrExts []pkix.Extension
					var pt *Passthrough
					if spec.blank {
						wantKU, wantEKU, wantEKUCritical = blankEEKU, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, false
						if spec.isCA {
							wantKU, wantEKU = blankCAKU, nil
						}
						if spec.api {
							pt = &Passthrough{Extensions: &Extensions{KeyUsage: &KeyUsage{
								DigitalSignature: true, KeyCertSign: spec.isCA, CRLSign: spec.isCA,
							}}}
							if !spec.isCA {
								pt.Extensions.ExtendedKeyUsage = []ExtendedKeyUsage{{Type: "CLIENT_AUTH"}}
							}
						} else {
							kuExt, err := keyUsageExtension(wantKU, true)
							if err != nil {
								t.Fatal(err)
							}
							csrExts = append(csrExts, kuExt)
							if !spec.isCA {
								csrExts = append(csrExts, pkix.Extension{
									Id: oidExtExtKeyUsage, Value: mustDER(t, []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 2}}),
								})
							}
						}
					}
					req := Request{
						Template:     tpl,
						CSR:          newCSR(t, key, pkix.Name{CommonName: "subject.internal", Organization: []string{"openpca"}}, []string{"subject.internal"}, csrExts...),
						SubjectKeyID: keyID(t, key.Public()),
						Passthrough:  pt,
						SerialNumber: big.NewInt(7),
						NotBefore:    testNow.Add(-time.Hour),
						NotAfter:     testNow.AddDate(1, 0, 0),
					}
					if withCDP {
						req.CRLDistributionPoints = []string{crlURL}
					}
					issuer := &root
					if spec.root {
						issuer = nil // a root signs its own certificate
					} else {
						req.Issuer = root.cert
					}
					tplCert, err := Build(req)
					if err != nil {
						t.Fatalf("Build: %v", err)
					}
					der, cert := sign(t, tplCert, issuer, key)

					// basicConstraints
					bc := ext(cert, oidExtBasicConstraints)
					if bc == nil || bc.Critical != spec.bcCritical || cert.IsCA != spec.isCA {
						t.Errorf("basicConstraints = %+v IsCA %v, want critical %v CA %v", bc, cert.IsCA, spec.bcCritical, spec.isCA)
					}
					gotPathLen := cert.MaxPathLen
					if gotPathLen == 0 && !cert.MaxPathLenZero {
						gotPathLen = -1
					}
					if gotPathLen != spec.pathLen {
						t.Errorf("pathLen = %d, want %d", gotPathLen, spec.pathLen)
					}
					// key usage: always critical when present
					if ku := ext(cert, oidExtKeyUsage); (ku != nil) != (wantKU != 0) || (ku != nil && !ku.Critical) {
						t.Errorf("keyUsage extension = %+v, want critical with %b", ku, wantKU)
					}
					if cert.KeyUsage != wantKU {
						t.Errorf("KeyUsage = %b, want %b", cert.KeyUsage, wantKU)
					}
					// extended key usage
					eku := ext(cert, oidExtExtKeyUsage)
					if (eku != nil) != (len(wantEKU) > 0) {
						t.Errorf("EKU extension present = %v, want %v", eku != nil, len(wantEKU) > 0)
					}
					if eku != nil && eku.Critical != wantEKUCritical {
						t.Errorf("EKU critical = %v, want %v", eku.Critical, wantEKUCritical)
					}
					if !slices.Equal(cert.ExtKeyUsage, wantEKU) || len(cert.UnknownExtKeyUsage) != 0 {
						t.Errorf("EKU = %v %v, want %v", cert.ExtKeyUsage, cert.UnknownExtKeyUsage, wantEKU)
					}
					// identifiers
					if !bytes.Equal(cert.SubjectKeyId, req.SubjectKeyID) {
						t.Errorf("SKI = %x, want %x", cert.SubjectKeyId, req.SubjectKeyID)
					}
					wantAKI := rootSKI
					if spec.root {
						wantAKI = nil // self-signed: no AKI
					}
					if !bytes.Equal(cert.AuthorityKeyId, wantAKI) {
						t.Errorf("AKI = %x, want %x", cert.AuthorityKeyId, wantAKI)
					}
					// subject and SAN from the CSR
					if cert.Subject.CommonName != "subject.internal" || !slices.Equal(cert.DNSNames, []string{"subject.internal"}) {
						t.Errorf("subject %v SAN %v, want the CSR's", cert.Subject, cert.DNSNames)
					}
					if san := ext(cert, oidExtSubjectAltName); san == nil || san.Critical {
						t.Errorf("SAN extension = %+v, want non-critical", san)
					}
					// CDP only from configuration, never on roots
					wantCDP := withCDP && !spec.root
					if got := ext(cert, oidExtCRLDistributionPoints) != nil; got != wantCDP {
						t.Errorf("CDP present = %v, want %v", got, wantCDP)
					}
					if wantCDP && !slices.Equal(cert.CRLDistributionPoints, []string{crlURL}) {
						t.Errorf("CDP = %v, want [%s]", cert.CRLDistributionPoints, crlURL)
					}
					// nothing else
					allowed := []asn1.ObjectIdentifier{
						oidExtBasicConstraints, oidExtKeyUsage, oidExtExtKeyUsage, oidExtSubjectKeyID,
						oidExtAuthorityKeyID, oidExtSubjectAltName, oidExtCRLDistributionPoints,
					}
					for _, e := range cert.Extensions {
						if !slices.ContainsFunc(allowed, e.Id.Equal) {
							t.Errorf("unexpected extension %s", e.Id)
						}
					}
					if err := Lint(der); err != nil {
						t.Errorf("Lint: %v", err)
					}
				})
			}
		})
	}
}
