package server

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openpca/openpca/internal/pca"
)

// The tests here send what a CA must not certify (names a relying party
// could misread, keys outside AWS's set or known to be weak) through the
// real SDK and check each is refused with AWS's error code and that no
// certificate was stored.

// storedCertificates counts the certificates the CA's store holds.
func storedCertificates(t *testing.T, e *testEnv, caArn string) int {
	t.Helper()
	n := 0
	err := e.srv.store.Certificates(context.Background(), caArn[strings.LastIndex(caArn, "/")+1:], func(*pca.Certificate) error {
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// wantRefused asserts an IssueCertificate error and that it stored nothing.
func wantRefused(t *testing.T, e *testEnv, caArn string, before int, err error, code, msg string) {
	t.Helper()
	wantAPIError(t, err, code, msg)
	if n := storedCertificates(t, e, caArn); n != before {
		t.Fatalf("%d certificates stored after a refused request, want %d", n, before)
	}
}

func csrPEM(t testing.TB, tmpl *x509.CertificateRequest, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestCSRNamesRefused: names from the CSR, on the CSR passthrough template
// and on the base template (which keeps the CSR's SAN), are
// MalformedCSRException, the value quoted in the message.
func TestCSRNamesRefused(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		sig := types.SigningAlgorithmSha256withecdsa
		rootArn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig)
		key := newKey(t, types.KeyAlgorithmEcPrime256v1)
		cn := pkix.Name{CommonName: "svc.example.internal"}
		passthrough, base := templatePrefix+"EndEntityCertificate_CSRPassthrough/V1", templatePrefix+"EndEntityCertificate/V1"
		tests := []struct {
			name, template string
			csr            x509.CertificateRequest
			quoted         string // in the message, %q-quoted
		}{
			{"DNS CR", passthrough, x509.CertificateRequest{Subject: cn, DNSNames: []string{"\r"}}, "\r"},
			{"DNS LF", passthrough, x509.CertificateRequest{Subject: cn, DNSNames: []string{"a.example", "\n"}}, "\n"},
			{"DNS ESC", passthrough, x509.CertificateRequest{Subject: cn, DNSNames: []string{"\x1b"}}, "\x1b"},
			{"DNS spaces", passthrough, x509.CertificateRequest{Subject: cn, DNSNames: []string{"   "}}, "   "},
			{"DNS header injection", passthrough, x509.CertificateRequest{Subject: cn, DNSNames: []string{"a.example\r\nX-Evil: 1"}}, "a.example\r\nX-Evil: 1"},
			{"DNS empty label", passthrough, x509.CertificateRequest{Subject: cn, DNSNames: []string{"a..b"}}, "a..b"},
			{"DNS leading hyphen", passthrough, x509.CertificateRequest{Subject: cn, DNSNames: []string{"-a.example"}}, "-a.example"},
			{"DNS trailing dot", passthrough, x509.CertificateRequest{Subject: cn, DNSNames: []string{"example.com."}}, "example.com."},
			{"DNS double wildcard", passthrough, x509.CertificateRequest{Subject: cn, DNSNames: []string{"*.*.example"}}, "*.*.example"},
			{"DNS underscore", passthrough, x509.CertificateRequest{Subject: cn, DNSNames: []string{"a_b.example"}}, "a_b.example"},
			{"DNS LF on the base template", base, x509.CertificateRequest{Subject: cn, DNSNames: []string{"a\nb"}}, "a\nb"},
			{"email LF", passthrough, x509.CertificateRequest{Subject: cn, EmailAddresses: []string{"ops@example.com\n"}}, "ops@example.com\n"},
			{"email without domain", passthrough, x509.CertificateRequest{Subject: cn, EmailAddresses: []string{"nobody"}}, "nobody"},
			{"relative URI", passthrough, x509.CertificateRequest{Subject: cn, URIs: []*url.URL{mustURL(t, "relative/path")}}, "relative/path"},
			{"subject NUL", passthrough, x509.CertificateRequest{Subject: pkix.Name{CommonName: "root\x00.evil"}}, "root\x00.evil"},
			{"subject ESC", passthrough, x509.CertificateRequest{Subject: pkix.Name{CommonName: "a", Organization: []string{"\x1b[31mred"}}}, "\x1b[31mred"},
			{"subject spaces", base, x509.CertificateRequest{Subject: pkix.Name{CommonName: "   "}, DNSNames: []string{"a.example"}}, "   "},
			{"subject email", passthrough, x509.CertificateRequest{Subject: pkix.Name{CommonName: "a", ExtraNames: []pkix.AttributeTypeAndValue{
				{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "not an email"}}}}, "not an email"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := storedCertificates(t, e, rootArn)
				_, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
					CertificateAuthorityArn: &rootArn, Csr: csrPEM(t, &tc.csr, key), SigningAlgorithm: sig, TemplateArn: aws.String(tc.template),
					Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)},
				})
				wantRefused(t, e, rootArn, before, err, "MalformedCSRException", strconv.Quote(tc.quoted))
			})
		}
	})
}

// TestAPIPassthroughNamesRefused: subject alternative names from
// ApiPassthrough that are only whitespace or hold a control character are
// MalformedCSRException, as AWS's certificate request validation documents
// for any source; other bad names and subjects from the API are
// InvalidArgsException.
func TestAPIPassthroughNamesRefused(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		sig := types.SigningAlgorithmSha256withecdsa
		rootArn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig)
		csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "svc.example.internal", "svc.example.internal")
		san := func(g ...types.GeneralName) *types.ApiPassthrough {
			return &types.ApiPassthrough{Extensions: &types.Extensions{SubjectAlternativeNames: g}}
		}
		dns := func(s string) *types.ApiPassthrough { return san(types.GeneralName{DnsName: aws.String(s)}) }
		customSAN := func(s string) *types.ApiPassthrough {
			der, err := asn1.Marshal([]asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(s)}})
			if err != nil {
				t.Fatal(err)
			}
			return &types.ApiPassthrough{Extensions: &types.Extensions{CustomExtensions: []types.CustomExtension{{
				ObjectIdentifier: aws.String("2.5.29.17"), Value: aws.String(base64.StdEncoding.EncodeToString(der))}}}}
		}
		tests := []struct {
			name, code, quoted string
			pt                 *types.ApiPassthrough
		}{
			{"DNS CR", "MalformedCSRException", "\r", dns("\r")},
			{"DNS LF", "MalformedCSRException", "a\n.example", dns("a\n.example")},
			{"DNS ESC", "MalformedCSRException", "\x1b", dns("\x1b")},
			{"DNS spaces", "MalformedCSRException", "   ", dns("   ")},
			{"DNS empty label", "InvalidArgsException", "a..b", dns("a..b")},
			{"DNS leading hyphen", "InvalidArgsException", "-a.example", dns("-a.example")},
			{"DNS bare wildcard", "InvalidArgsException", "*", dns("*")},
			{"email NUL", "MalformedCSRException", "ops\x00@example.com", san(types.GeneralName{Rfc822Name: aws.String("ops\x00@example.com")})},
			{"email without domain", "InvalidArgsException", "nobody", san(types.GeneralName{Rfc822Name: aws.String("nobody")})},
			{"relative URI", "InvalidArgsException", "relative/path", san(types.GeneralName{UniformResourceIdentifier: aws.String("relative/path")})},
			{"directory name NUL", "MalformedCSRException", "a\x00", san(types.GeneralName{DirectoryName: &types.ASN1Subject{CommonName: aws.String("a\x00")}})},
			{"custom extension SAN CR", "MalformedCSRException", "a\r", customSAN("a\r")},
			{"custom extension SAN empty label", "InvalidArgsException", "a..b", customSAN("a..b")},
			{"subject NUL", "InvalidArgsException", "root\x00.evil", &types.ApiPassthrough{Subject: &types.ASN1Subject{CommonName: aws.String("root\x00.evil")}}},
			{"subject ESC", "InvalidArgsException", "\x1b[2J", &types.ApiPassthrough{Subject: &types.ASN1Subject{CommonName: aws.String("a"), Title: aws.String("\x1b[2J")}}},
			{"subject spaces", "InvalidArgsException", "  ", &types.ApiPassthrough{Subject: &types.ASN1Subject{CommonName: aws.String("  ")}}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := storedCertificates(t, e, rootArn)
				_, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
					CertificateAuthorityArn: &rootArn, Csr: csr, SigningAlgorithm: sig, ApiPassthrough: tc.pt,
					TemplateArn: aws.String(templatePrefix + "EndEntityCertificate_APIPassthrough/V1"),
					Validity:    &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)},
				})
				wantRefused(t, e, rootArn, before, err, tc.code, strconv.Quote(tc.quoted))
			})
		}
	})
}

// TestCASubjectRefused: a CA's own names come from the API, and
// CreateCertificateAuthority has no MalformedCSRException: every bad one is
// InvalidArgsException, and no CA is created.
func TestCASubjectRefused(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		config := func(s types.ASN1Subject) *types.CertificateAuthorityConfiguration {
			return &types.CertificateAuthorityConfiguration{KeyAlgorithm: types.KeyAlgorithmEcPrime256v1,
				SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Subject: &s}
		}
		sia := func(loc types.GeneralName) *types.CertificateAuthorityConfiguration {
			cfg := config(types.ASN1Subject{CommonName: aws.String("Root")})
			cfg.CsrExtensions = &types.CsrExtensions{SubjectInformationAccess: []types.AccessDescription{{
				AccessMethod: &types.AccessMethod{AccessMethodType: types.AccessMethodTypeCaRepository}, AccessLocation: &loc}}}
			return cfg
		}
		tests := []struct {
			name, quoted string
			cfg          *types.CertificateAuthorityConfiguration
		}{
			{"CommonName NUL", "Root\x00.evil", config(types.ASN1Subject{CommonName: aws.String("Root\x00.evil")})},
			{"Organization ESC", "\x1b]0;pwned\x07", config(types.ASN1Subject{CommonName: aws.String("Root"), Organization: aws.String("\x1b]0;pwned\x07")})},
			{"Locality LF", "a\nb", config(types.ASN1Subject{CommonName: aws.String("Root"), Locality: aws.String("a\nb")})},
			{"CommonName spaces", "   ", config(types.ASN1Subject{CommonName: aws.String("   ")})},
			{"custom attribute NUL", "a\x00", config(types.ASN1Subject{CustomAttributes: []types.CustomAttribute{{
				ObjectIdentifier: aws.String("2.5.4.3"), Value: aws.String("a\x00")}}})},
			{"custom emailAddress", "nobody", config(types.ASN1Subject{CustomAttributes: []types.CustomAttribute{{
				ObjectIdentifier: aws.String("1.2.840.113549.1.9.1"), Value: aws.String("nobody")}}})},
			{"SIA location DNS CR", "\r", sia(types.GeneralName{DnsName: aws.String("\r")})},
			{"SIA location relative URI", "repo", sia(types.GeneralName{UniformResourceIdentifier: aws.String("repo")})},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{
					CertificateAuthorityType: types.CertificateAuthorityTypeRoot, CertificateAuthorityConfiguration: tc.cfg})
				wantAPIError(t, err, "InvalidArgsException", strconv.Quote(tc.quoted))
			})
		}
		out, err := c.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
		if err != nil || len(out.CertificateAuthorities) != 0 {
			t.Fatalf("ListCertificateAuthorities after refusals: %v, %d CAs", err, len(out.CertificateAuthorities))
		}
	})
}

// crtSigner signs PKCS #1 v1.5 with SHA-256 for an RSA key of many primes,
// by the Chinese remainder theorem over the primes. crypto/rsa signs with
// such keys without CRT, which takes seconds at 16384 bits; this takes
// milliseconds and yields the same, verifiable, signature.
type crtSigner struct {
	pub    rsa.PublicKey
	primes []*big.Int
	d      *big.Int
}

func (s *crtSigner) Public() crypto.PublicKey { return &s.pub }

func (s *crtSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts.HashFunc() != crypto.SHA256 {
		return nil, errors.New("crtSigner signs SHA-256 digests only")
	}
	// EMSA-PKCS1-v1_5 (RFC 8017 section 9.2) with the SHA-256 DigestInfo.
	t := append([]byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}, digest...)
	k := (s.pub.N.BitLen() + 7) / 8
	em := bytes.Repeat([]byte{0xff}, k)
	em[0], em[1], em[k-len(t)-1] = 0, 1, 0
	copy(em[k-len(t):], t)
	m, sig := new(big.Int).SetBytes(em), new(big.Int)
	for _, p := range s.primes {
		sp := new(big.Int).Exp(m, new(big.Int).Mod(s.d, new(big.Int).Sub(p, big.NewInt(1))), p)
		np := new(big.Int).Div(s.pub.N, p)
		inv := new(big.Int).ModInverse(np, p)
		sig.Add(sig, sp.Mul(sp, inv).Mul(sp, np))
	}
	return sig.Mod(sig, s.pub.N).FillBytes(make([]byte, k)), nil
}

// rsaFromPrimes builds an RSA key of public exponent e over primes, each
// of which must have p-1 prime to e; false when one has not.
func rsaFromPrimes(primes []*big.Int, e int) (*crtSigner, bool) {
	one := big.NewInt(1)
	n, lambda := big.NewInt(1), big.NewInt(1)
	for _, p := range primes {
		pm1 := new(big.Int).Sub(p, one)
		if new(big.Int).GCD(nil, nil, pm1, big.NewInt(int64(e))).Cmp(one) != 0 {
			return nil, false
		}
		n.Mul(n, p)
		g := new(big.Int).GCD(nil, nil, lambda, pm1)
		lambda.Mul(lambda, pm1).Div(lambda, g)
	}
	return &crtSigner{pub: rsa.PublicKey{N: n, E: e}, primes: primes, d: new(big.Int).ModInverse(big.NewInt(int64(e)), lambda)}, true
}

func mustPrime(t testing.TB, bits int) *big.Int {
	t.Helper()
	p, err := rand.Prime(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rsa16384 is an honest 16384-bit RSA key, made of sixteen primes: two
// 8192-bit primes take minutes to find, sixteen of about 1024 bits a
// second, and the modulus size is what the CA judges.
func rsa16384(t testing.TB) crypto.Signer {
	for {
		var primes []*big.Int
		n := big.NewInt(1)
		for n.BitLen() < 16384-1100 {
			p := mustPrime(t, 1024)
			primes, n = append(primes, p), n.Mul(n, p)
		}
		last := mustPrime(t, 16384-n.BitLen())
		if n.Mul(n, last).BitLen() != 16384 {
			continue
		}
		if k, ok := rsaFromPrimes(append(primes, last), 65537); ok {
			return k
		}
	}
}

// rsaWithExponent is a 2048-bit key with public exponent e.
func rsaWithExponent(t testing.TB, e int) crypto.Signer {
	for {
		if k, ok := rsaFromPrimes([]*big.Int{mustPrime(t, 1024), mustPrime(t, 1024)}, e); ok && k.pub.N.BitLen() == 2048 {
			return k
		}
	}
}

// rsaClosePrimes is a 2048-bit key whose primes are neighbours, which
// Fermat's method factors at once.
func rsaClosePrimes(t testing.TB) crypto.Signer {
	for {
		p := mustPrime(t, 1024)
		q := new(big.Int).Add(p, big.NewInt(2))
		for !q.ProbablyPrime(20) {
			q.Add(q, big.NewInt(2))
		}
		if k, ok := rsaFromPrimes([]*big.Int{p, q}, 65537); ok && k.pub.N.BitLen() == 2048 {
			return k
		}
	}
}

// evenExponentCSR is a CSR whose RSA key has exponent 65538. No RSA key can
// have an even exponent (it must be prime to p-1), so no signature over it
// verifies: the CSR carries the signature of the same modulus with 65537.
// The refusal must name the exponent, which shows the key is judged before
// the signature.
func evenExponentCSR(t testing.TB) []byte {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "even"}}, k)
	if err != nil {
		t.Fatal(err)
	}
	even, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: k.N, E: 65538})
	if err != nil {
		t.Fatal(err)
	}
	odd, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if len(even) != len(odd) || bytes.Count(der, odd) != 1 {
		t.Fatal("cannot swap the public key in place")
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: bytes.Replace(der, odd, even, 1)})
}

func sigFor(k crypto.Signer) x509.SignatureAlgorithm {
	if _, ok := k.Public().(*rsa.PublicKey); ok {
		return x509.SHA256WithRSA
	}
	return x509.UnknownSignatureAlgorithm
}

// TestCSRKeysRefused: subject keys outside AWS's set or known to be weak
// are MalformedCSRException, and nothing is stored. Each CSR's signature
// verifies (but the even exponent's, which cannot).
func TestCSRKeysRefused(t *testing.T) {
	// Made once for both protocols: some keys take a second to make.
	csr := func(k crypto.Signer) []byte {
		return csrPEM(t, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "key.example.internal"}, SignatureAlgorithm: sigFor(k)}, k)
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsa2056, err := rsa.GenerateKey(rand.Reader, 2056)
	if err != nil {
		t.Fatal(err)
	}
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	csrs := map[string][]byte{
		"RSA-1024":   csr(rsa1024),
		"RSA-2056":   csr(rsa2056),
		"RSA-16384":  csr(rsa16384(t)),
		"RSA-e3":     csr(rsaWithExponent(t, 3)),
		"RSA-e65538": evenExponentCSR(t),
		"RSA-close":  csr(rsaClosePrimes(t)),
		"EC-P224":    csr(p224),
		"Ed25519":    csr(ed),
	}
	for name, pemCSR := range csrs {
		if name == "RSA-e65538" {
			continue
		}
		block, _ := pem.Decode(pemCSR)
		parsed, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil || parsed.CheckSignature() != nil {
			t.Fatalf("%s: the test CSR itself is broken: %v", name, err)
		}
	}
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		sig := types.SigningAlgorithmSha256withecdsa
		rootArn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig)
		endEntity, subCA := templatePrefix+"EndEntityCertificate/V1", templatePrefix+"SubordinateCACertificate_PathLen0/V1"
		tests := []struct {
			csr, template, msg string
		}{
			{"RSA-1024", endEntity, "1024-bit RSA"},
			{"RSA-16384", endEntity, "16384-bit RSA"},
			{"RSA-2056", subCA, "2048, 3072 or 4096 bits"},
			{"RSA-e3", endEntity, "exponent is 3;"},
			{"RSA-e65538", endEntity, "exponent is 65538"},
			{"RSA-close", endEntity, "Fermat"},
			{"EC-P224", endEntity, "P-224"},
			{"Ed25519", endEntity, "Ed25519"},
		}
		for _, tc := range tests {
			t.Run(tc.csr, func(t *testing.T) {
				before := storedCertificates(t, e, rootArn)
				_, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
					CertificateAuthorityArn: &rootArn, Csr: csrs[tc.csr], SigningAlgorithm: sig, TemplateArn: aws.String(tc.template),
					Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)},
				})
				wantRefused(t, e, rootArn, before, err, "MalformedCSRException", tc.msg)
			})
		}
		// A 2056-bit key is fine for an end entity: a multiple of 8 within 2048-4096.
		issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csrs["RSA-2056"], SigningAlgorithm: sig})
	})
}

// TestLegitimateNamesIssue: what real deployments ask for still issues,
// from the CSR and from the API: wildcards, A-labels, IP addresses, URIs,
// email addresses, non-ASCII subjects.
func TestLegitimateNamesIssue(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		sig := types.SigningAlgorithmSha256withecdsa
		rootArn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig)
		key := newKey(t, types.KeyAlgorithmEcPrime256v1)
		dns := []string{"*.example.com", "xn--bcher-kva.example", "localhost", "svc-1.internal"}
		ips := []net.IP{net.ParseIP("192.0.2.1").To4(), net.ParseIP("2001:db8::1")}
		uris := []string{"spiffe://example.internal/ns/default/sa/web", "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"}
		emails := []string{"ops@example.com", "first.last+tag@xn--bcher-kva.example"}
		check := func(t *testing.T, cert *x509.Certificate) {
			t.Helper()
			var gotURIs []string
			for _, u := range cert.URIs {
				gotURIs = append(gotURIs, u.String())
			}
			if !slices.Equal(cert.DNSNames, dns) || len(cert.IPAddresses) != 2 || !slices.Equal(gotURIs, uris) || !slices.Equal(cert.EmailAddresses, emails) {
				t.Fatalf("SAN %v %v %v %v", cert.DNSNames, cert.IPAddresses, gotURIs, cert.EmailAddresses)
			}
		}

		var parsedURIs []*url.URL
		for _, u := range uris {
			parsedURIs = append(parsedURIs, mustURL(t, u))
		}
		fromCSR := issue(t, c, rootArn, &acmpca.IssueCertificateInput{
			Csr: csrPEM(t, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "Zürich web", Organization: []string{"O'Brien & Co."}},
				DNSNames: dns, IPAddresses: ips, URIs: parsedURIs, EmailAddresses: emails}, key),
			SigningAlgorithm: sig, TemplateArn: aws.String(templatePrefix + "EndEntityCertificate_CSRPassthrough/V1"),
		})
		check(t, fromCSR.cert)
		if fromCSR.cert.Subject.CommonName != "Zürich web" {
			t.Fatalf("subject %v", fromCSR.cert.Subject)
		}

		var names []types.GeneralName
		for _, d := range dns {
			names = append(names, types.GeneralName{DnsName: aws.String(d)})
		}
		names = append(names, types.GeneralName{IpAddress: aws.String("192.0.2.1")}, types.GeneralName{IpAddress: aws.String("2001:db8::1")})
		for _, u := range uris {
			names = append(names, types.GeneralName{UniformResourceIdentifier: aws.String(u)})
		}
		for _, m := range emails {
			names = append(names, types.GeneralName{Rfc822Name: aws.String(m)})
		}
		fromAPI := issue(t, c, rootArn, &acmpca.IssueCertificateInput{
			Csr: newCSR(t, key, sig, "ignored"), SigningAlgorithm: sig, TemplateArn: aws.String(templatePrefix + "EndEntityCertificate_APIPassthrough/V1"),
			ApiPassthrough: &types.ApiPassthrough{Subject: &types.ASN1Subject{CommonName: aws.String("Zürich web"), Country: aws.String("CH")},
				Extensions: &types.Extensions{SubjectAlternativeNames: names}},
		})
		check(t, fromAPI.cert)
	})
}

// Every certificate is linted before it is stored: one that only zlint
// refuses (name constraints in an end-entity certificate, from an API
// passthrough custom extension) is InvalidArgsException, and nothing is
// stored.
func TestLintRefusesIssuance(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	sig := types.SigningAlgorithmSha256withecdsa
	rootArn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig)
	// NameConstraints ::= SEQUENCE { permittedSubtrees [0] { GeneralSubtree { dNSName "example.com" } } }
	nc, err := asn1.Marshal(struct {
		Permitted []struct {
			Base asn1.RawValue
		} `asn1:"optional,tag:0"`
	}{Permitted: []struct{ Base asn1.RawValue }{{Base: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte("example.com")}}}})
	if err != nil {
		t.Fatal(err)
	}
	before := storedCertificates(t, e, rootArn)
	_, err = c.IssueCertificate(context.Background(), &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: &rootArn, SigningAlgorithm: sig,
		Csr:         newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "lint.example.com", "lint.example.com"),
		TemplateArn: aws.String(templatePrefix + "BlankEndEntityCertificate_APIPassthrough/V1"),
		ApiPassthrough: &types.ApiPassthrough{Extensions: &types.Extensions{CustomExtensions: []types.CustomExtension{{
			ObjectIdentifier: aws.String("2.5.29.30"), Critical: aws.Bool(true), Value: aws.String(base64.StdEncoding.EncodeToString(nc))}}}},
		Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)},
	})
	wantRefused(t, e, rootArn, before, err, "InvalidArgsException", "RFC 5280")
}
