package issuance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

// oidMLDSA65 is id-ml-dsa-65 (RFC 9881).
var oidMLDSA65 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}

// toMLDSA rewrites a certificate so that both its subject key and its
// signature are ML-DSA-65 (self-consistent: the new key signs), keeping every
// other TBS field as it was. withParams adds a (forbidden) NULL parameter to
// the AlgorithmIdentifiers.
func toMLDSA(t testing.TB, der []byte, withParams bool) []byte {
	t.Helper()
	var cert struct {
		TBS asn1.RawValue
		Alg asn1.RawValue
		Sig asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &cert); err != nil {
		t.Fatal(err)
	}
	var fields []asn1.RawValue
	for rest := cert.TBS.Bytes; len(rest) > 0; {
		var f asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &f); err != nil {
			t.Fatal(err)
		}
		fields = append(fields, f)
	}
	pub, priv, err := mldsa65.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	alg := mustDER(t, struct{ Algorithm asn1.ObjectIdentifier }{oidMLDSA65})
	if withParams {
		alg = mustDER(t, pkix.AlgorithmIdentifier{Algorithm: oidMLDSA65, Parameters: asn1.NullRawValue})
	}
	spki := mustDER(t, struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}{asn1.RawValue{FullBytes: alg}, asn1.BitString{Bytes: pub.Bytes(), BitLength: 8 * len(pub.Bytes())}})
	// version, serial, signature, issuer, validity, subject, spki, extensions
	fields[2] = asn1.RawValue{FullBytes: alg}
	fields[6] = asn1.RawValue{FullBytes: spki}
	var body []byte
	for _, f := range fields {
		body = append(body, f.FullBytes...)
	}
	tbs := mustDER(t, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	sig := make([]byte, mldsa65.SignatureSize)
	if err := mldsa65.SignTo(priv, tbs, nil, false, sig); err != nil {
		t.Fatal(err)
	}
	return mustDER(t, struct {
		TBS asn1.RawValue
		Alg asn1.RawValue
		Sig asn1.BitString
	}{asn1.RawValue{FullBytes: tbs}, asn1.RawValue{FullBytes: alg}, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
}

func TestLint(t *testing.T) {
	root := newRoot(t, "RootCACertificate")
	leafFor := func(t *testing.T, key *ecdsa.PrivateKey, mutate func(*x509.Certificate)) []byte {
		tpl, err := Build(Request{
			Template:     mustTemplate(t, "EndEntityCertificate"),
			CSR:          newCSR(t, key, pkix.Name{CommonName: "svc.internal"}, []string{"svc.internal"}),
			SubjectKeyID: keyID(t, key.Public()),
			Issuer:       root.cert,
			SerialNumber: big.NewInt(42),
			NotBefore:    testNow.Add(-time.Hour),
			NotAfter:     testNow.AddDate(0, 1, 0),
		})
		if err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(tpl)
		}
		der, _ := sign(t, tpl, &root, key)
		return der
	}
	leaf := func(t *testing.T, mutate func(*x509.Certificate)) []byte { return leafFor(t, newKey(t), mutate) }
	smallKey := func(t *testing.T, d int64) *ecdsa.PrivateKey {
		key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), big.NewInt(d).FillBytes(make([]byte, 32)))
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	badSAN := func(t *testing.T) func(*x509.Certificate) {
		return func(c *x509.Certificate) {
			for i, e := range c.ExtraExtensions {
				if e.Id.Equal(oidExtSubjectAltName) {
					c.ExtraExtensions[i].Value = mustDER(t, []asn1.RawValue{{Class: 2, Tag: 2, Bytes: []byte(".bad.internal")}})
				}
			}
		}
	}

	tests := []struct {
		name     string
		der      func(t *testing.T) []byte
		wantLint string // "" means Lint must pass
	}{
		{
			name: "clean end-entity certificate",
			der:  func(t *testing.T) []byte { return leaf(t, nil) },
		},
		{
			name: "ML-DSA certificate is linted structurally",
			der:  func(t *testing.T) []byte { return toMLDSA(t, leaf(t, nil), false) },
		},
		{
			name:     "ML-DSA certificate with a structural fault still fails",
			der:      func(t *testing.T) []byte { return toMLDSA(t, leaf(t, badSAN(t)), false) },
			wantLint: "e_san_dns_name_starts_with_period",
		},
		{
			name:     "ML-DSA AlgorithmIdentifier with parameters",
			der:      func(t *testing.T) []byte { return toMLDSA(t, leaf(t, nil), true) },
			wantLint: "e_mldsa_parameters_present",
		},
		{
			name:     "SAN with a bad DNS name",
			der:      func(t *testing.T) []byte { return leaf(t, badSAN(t)) },
			wantLint: "e_san_dns_name_starts_with_period",
		},
		{
			name: "subject with trailing whitespace is only a warning",
			der: func(t *testing.T) []byte {
				return leaf(t, func(c *x509.Certificate) {
					c.RawSubject = nil
					c.Subject = pkix.Name{CommonName: "svc.internal "}
				})
			},
		},
		{
			name:     "subject key with a tiny private scalar",
			der:      func(t *testing.T) []byte { return leafFor(t, smallKey(t, 200), nil) },
			wantLint: "e_ecdsa_small_private_key",
		},
		{
			name:     "garbage",
			der:      func(*testing.T) []byte { return []byte{0x30, 0x03, 0x02, 0x01, 0x01} },
			wantLint: "crypto/x509",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Lint(tc.der(t))
			if tc.wantLint == "" {
				if err != nil {
					t.Fatalf("Lint: %v", err)
				}
				return
			}
			var le *LintError
			if !errors.As(err, &le) {
				t.Fatalf("Lint = %v, want *LintError", err)
			}
			found := false
			for _, f := range le.Findings {
				if f.Lint == tc.wantLint {
					found = true
				}
				if f.Status != "error" && f.Status != "fatal" {
					t.Errorf("finding %+v has status %q", f, f.Status)
				}
			}
			if !found {
				t.Errorf("Lint = %v, want a finding %s", err, tc.wantLint)
			}
			if !strings.Contains(err.Error(), tc.wantLint) {
				t.Errorf("error text %q does not name %s", err, tc.wantLint)
			}
		})
	}
}
