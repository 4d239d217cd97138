package pca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/x509util"
)

// FuzzParseCAArn: every accepted ARN re-formats to itself and names a CA by
// a 12-character account and a lowercase UUID; every refused one is
// InvalidArn, quoting the ARN.
func FuzzParseCAArn(f *testing.F) {
	f.Add("arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555")
	f.Add("arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555/certificate/0a")
	f.Add("arn:aws-cn:acm-pca:::certificate-authority/11111111-2222-3333-4444-555555555555")
	f.Fuzz(func(t *testing.T, arn string) {
		ref, err := parseCAArn(arn)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindInvalidArn {
				t.Fatalf("error %v (%T), want KindInvalidArn", err, err)
			}
			if _, again := parseCAArn(arn); again == nil || again.Error() != err.Error() {
				t.Fatalf("refused once with %v, then %v", err, again)
			}
			return
		}
		got := "arn:" + ref.Partition + ":acm-pca:" + ref.Region + ":" + ref.Account + ":certificate-authority/" + ref.ID
		if got != arn {
			t.Fatalf("%q parsed to %+v, which formats as %q", arn, ref, got)
		}
		if len(ref.Account) != 12 || !uuidPattern.MatchString(ref.ID) {
			t.Fatalf("%q: account %q, id %q", arn, ref.Account, ref.ID)
		}
		for _, p := range []string{ref.Partition, ref.Region, ref.Account} {
			if strings.Contains(p, ":") {
				t.Fatalf("%q: field %q holds a colon", arn, p)
			}
		}
		s := &Service{Region: ref.Region}
		if ref.Partition == s.partition() {
			if own := s.CAArn(&CA{Account: ref.Account, ID: ref.ID}); own != arn {
				t.Fatalf("CAArn = %q, want %q", own, arn)
			}
		}
	})
}

// FuzzListToken: a NextToken that decodes re-encodes to a token that decodes
// to the same position, and every position encodes to a token that decodes
// back to it.
func FuzzListToken(f *testing.F) {
	id := "11111111-2222-3333-4444-555555555555"
	f.Add(encodeListToken(ListPosition{CreatedAt: time.Unix(1700000000, 123), ID: id}), int64(0), id)
	f.Add("MTcwMDAwMDAwMDAwMDAwMDAwMC8xMTExMTExMS0yMjIyLTMzMzMtNDQ0NC01NTU1NTU1NTU1NTU", int64(-1), id)
	f.Add("", int64(1<<62), "x")
	f.Fuzz(func(t *testing.T, tok string, ns int64, id string) {
		if p, ok := decodeListToken(tok); ok {
			if !uuidPattern.MatchString(p.ID) {
				t.Fatalf("%q decoded to id %q", tok, p.ID)
			}
			again := encodeListToken(p)
			q, ok := decodeListToken(again)
			if !ok || q.ID != p.ID || !q.CreatedAt.Equal(p.CreatedAt) {
				t.Fatalf("%q decoded to %+v, re-encoded to %q, which decodes to %+v, %v", tok, p, again, q, ok)
			}
			if encodeListToken(q) != again {
				t.Fatalf("encoding is not stable: %q then %q", again, encodeListToken(q))
			}
		}
		p := ListPosition{CreatedAt: time.Unix(0, ns), ID: id}
		q, ok := decodeListToken(encodeListToken(p))
		if ok != uuidPattern.MatchString(id) {
			t.Fatalf("position %+v: token decodes: %v", p, ok)
		}
		if ok && (q.ID != id || q.CreatedAt.UnixNano() != ns) {
			t.Fatalf("position %+v came back as %+v", p, q)
		}
	})
}

// FuzzParseCSR: parseCSR sniffs PEM and DER. A DER CSR and its PEM
// encoding are accepted or refused alike, and parse to the same request;
// refusals are MalformedCSR.
func FuzzParseCSR(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "fuzz"}}, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "NEW CERTIFICATE REQUEST", Bytes: der[:len(der)-1]}))
	f.Fuzz(func(t *testing.T, in []byte) {
		csr, err := parseCSR(in)
		if err != nil {
			if KindOf(err) != KindMalformedCSR {
				t.Fatalf("error %v, kind %d, want MalformedCSR", err, KindOf(err))
			}
		} else if csr.PublicKey == nil || len(csr.RawSubjectPublicKeyInfo) == 0 {
			t.Fatalf("accepted CSR without a public key")
		}
		if bytes.Contains(in, []byte("-----BEGIN")) {
			return // already PEM, or DER that holds a PEM block
		}
		wrapped, err2 := parseCSR(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: in}))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("DER: %v; the same as PEM: %v", err, err2)
		}
		if err == nil && !bytes.Equal(csr.Raw, wrapped.Raw) {
			t.Fatal("DER and PEM forms parse to different requests")
		}
	})
}

type importFixture struct {
	root, sub, leaf *x509.Certificate
}

func newImportFixture(f testing.TB) importFixture {
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			f.Fatal(err)
		}
		return k
	}
	cert := func(serial int64, cn string, pathLen int, pub *ecdsa.PublicKey, parent *x509.Certificate, signer *ecdsa.PrivateKey) *x509.Certificate {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(1700000000, 0).AddDate(10, 0, 0),
			IsCA: true, BasicConstraintsValid: true, MaxPathLen: pathLen, MaxPathLenZero: pathLen == 0,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			f.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			f.Fatal(err)
		}
		return c
	}
	rootKey, subKey, leafKey := key(), key(), key()
	root := cert(1, "Fuzz Root", 1, &rootKey.PublicKey, nil, rootKey)
	sub := cert(2, "Fuzz Sub", 0, &subKey.PublicKey, root, rootKey)
	leaf := cert(3, "Fuzz Issuing", 0, &leafKey.PublicKey, sub, subKey)
	// The seeds reach the accepting paths.
	if err := checkChain(TypeRoot, root, nil); err != nil {
		f.Fatal(err)
	}
	if err := checkChain(TypeSubordinate, sub, []*x509.Certificate{root}); err != nil {
		f.Fatal(err)
	}
	if err := checkCAExtensions(leaf, "certificate"); err != nil {
		f.Fatal(err)
	}
	return importFixture{root, sub, leaf}
}

func pemOf(certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

// FuzzImportCACertificate runs the checks ImportCertificateAuthorityCertificate
// applies to its input. A parsed chain re-encodes to the same certificates;
// every refusal is a domain error of an import kind; whatever a ROOT accepts
// is self-signed, and whatever a SUBORDINATE accepts is a chain that ends in
// a self-signed root with each certificate signed by the next.
func FuzzImportCACertificate(f *testing.F) {
	fx := newImportFixture(f)
	f.Add(pemOf(fx.root), []byte(nil))
	f.Add(pemOf(fx.root), pemOf(fx.root))
	f.Add(pemOf(fx.sub), pemOf(fx.root))
	f.Add(pemOf(fx.leaf), pemOf(fx.sub, fx.root))
	f.Add(pemOf(fx.leaf), pemOf(fx.root, fx.sub))
	f.Add(pemOf(fx.leaf), pemOf(fx.sub))
	importKinds := []Kind{KindMalformedCertificate, KindInvalidRequest, KindCertificateMismatch}
	f.Fuzz(func(t *testing.T, certPEM, chainPEM []byte) {
		chain, err := parsePEMChain(chainPEM)
		if err == nil {
			var raws [][]byte
			for _, c := range chain {
				raws = append(raws, c.Raw)
			}
			again, err := parsePEMChain(pemOf(chain...))
			if err != nil || len(again) != len(chain) {
				t.Fatalf("re-encoded chain: %d certificates, %v; want %d", len(again), err, len(chain))
			}
			for i := range again {
				if !bytes.Equal(again[i].Raw, raws[i]) {
					t.Fatalf("certificate %d changed in the round trip", i)
				}
			}
		}
		one, errOne := parseOnePEM(certPEM)
		all, errAll := parsePEMChain(certPEM)
		if (errOne == nil) != (errAll == nil && len(all) == 1) {
			t.Fatalf("parseOnePEM: %v; parsePEMChain: %d certificates, %v", errOne, len(all), errAll)
		}
		if errOne != nil || err != nil {
			return
		}
		if err := checkCAExtensions(one, "certificate"); err != nil {
			if KindOf(err) != KindMalformedCertificate {
				t.Fatalf("checkCAExtensions: %v, kind %d", err, KindOf(err))
			}
			return
		}
		if !one.IsCA || !one.BasicConstraintsValid {
			t.Fatal("checkCAExtensions accepted a certificate that is not a CA")
		}
		for _, e := range one.Extensions {
			if e.Critical && !allowedCritical[e.Id.String()] {
				t.Fatalf("checkCAExtensions accepted critical %s", e.Id)
			}
		}
		selfSigned := func(c *x509.Certificate) bool {
			return bytes.Equal(c.RawIssuer, c.RawSubject) && x509util.CheckSignatureFrom(c, c) == nil
		}
		errRoot := checkChain(TypeRoot, one, chain)
		errSub := checkChain(TypeSubordinate, one, chain)
		for _, e := range []error{errRoot, errSub} {
			if e != nil && !slices.Contains(importKinds, KindOf(e)) {
				t.Fatalf("checkChain: %v, kind %d", e, KindOf(e))
			}
		}
		if errRoot == nil && errSub == nil {
			t.Fatal("accepted as both a ROOT and a SUBORDINATE certificate")
		}
		if errRoot == nil && !selfSigned(one) {
			t.Fatal("ROOT accepted a certificate that is not self-signed")
		}
		if errSub == nil {
			if len(chain) == 0 || !selfSigned(chain[len(chain)-1]) || selfSigned(one) {
				t.Fatal("SUBORDINATE accepted a chain that does not end in a root")
			}
			below := one
			for i, c := range chain {
				if x509util.CheckSignatureFrom(below, c) != nil {
					t.Fatalf("SUBORDINATE accepted a chain whose certificate %d did not sign the one below", i+1)
				}
				if !c.IsCA || !c.BasicConstraintsValid {
					t.Fatalf("SUBORDINATE accepted chain certificate %d that is not a CA", i+1)
				}
				below = c
			}
		}
	})
}
