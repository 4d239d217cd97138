package issuance

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"sync"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"

	"github.com/openpca/openpca/internal/lintreport"
)

// lintFilter selects the zlint lints that apply to a private CA issuing what
// the AWS Private CA templates define.
//
// Included sources: the IETF profiles (RFC 5280; RFC 3279, 5480 and 5891 for
// keys and names; RFC 6962 for CT extensions) and zlint's community lints
// (encoding sanity such as whitespace, NUL bytes and misplaced wildcards).
// Left out: the CA/Browser Forum, root-programme (Mozilla, Apple, Chrome) and
// ETSI sources, which judge publicly trusted certificates and fire on what a
// private CA issues by design (no certificate policies or AIA, no country in
// a CA subject, internal names, a non-critical basicConstraints on end-entity
// certificates, a CDP on OCSP signing certificates); and RFC 8813, whose only
// lint, e_ecdsa_allowed_ku, rejects keyEncipherment on EC keys although the
// AWS end-entity templates fix digitalSignature+keyEncipherment for every key
// type. One RFC 5280 lint is excluded by name:
// e_key_usage_and_extended_key_usage_inconsistent reads the informative
// "key usage bits that may be consistent" comments of RFC 5280 4.2.1.12 as
// an exhaustive list, so it rejects the AWS EndEntityClientAuthCertificate
// template (clientAuth with digitalSignature+keyEncipherment). One community
// lint is excluded for cost, not findings: it verifies the certificate
// against one specific compromised public CA's P-384 key (eMudhra), a
// question that cannot arise for a private CA's own issuer.
//
// The community lint e_ecdsa_small_private_key stays: it rejects an EC
// subject key whose private scalar is tiny, which anyone can recover. Its
// search range is lowered from 2^16 to 2^8 (lintConfig): the keys found in
// the field (the eMudhra intermediates) were all below 256, and the default
// range costs twenty curve additions per certificate, a twentieth of the
// CPU an issuance takes through the API, where 2^8 costs four.
var lintFilter = lint.FilterOptions{
	IncludeSources: lint.SourceList{
		lint.RFC5280,
		lint.RFC3279,
		lint.RFC5480,
		lint.RFC5891,
		lint.RFC6962,
		lint.Community,
	},
	ExcludeNames: []string{
		"e_key_usage_and_extended_key_usage_inconsistent",
		"e_cert_issued_by_compromised_emudhra_ca",
	},
}

const lintConfig = `
[e_ecdsa_small_private_key]
Bits = 8
`

var lintRegistry = sync.OnceValues(func() (lint.Registry, error) {
	return lintreport.Registry(lintFilter, lintConfig)
})

// Lint checks a signed certificate before it is handed out. It parses der
// with crypto/x509 and with zcrypto, runs the zlint lints selected above, and
// returns a *LintError listing every lint that ended with status Error or
// Fatal; a parse failure is a fatal finding named after the parser. It
// returns nil when nothing failed. Warnings and notices are not reported.
//
// ML-DSA: neither crypto/x509 nor zcrypto knows the ML-DSA algorithms, but
// both still parse such certificates (the key stays unparsed and the
// algorithms are "unknown"), so every structural lint still runs: names,
// extensions, validity, serial number, string encodings. Skipped are the
// lints that need a known key or signature algorithm (RSA and ECDSA key and
// key-usage lints, which do not apply). In their place Lint checks the RFC
// 9881 encoding rules it can check without verifying the signature: absent
// AlgorithmIdentifier parameters, a consistent algorithm in both signature
// fields, and the public key and signature sizes. It does not apply the RFC
// 9881 key usage restriction, for the same reason RFC 8813 is left out.
func Lint(der []byte) error {
	var findings []LintFinding
	if _, err := x509.ParseCertificate(der); err != nil {
		findings = append(findings, LintFinding{Lint: "crypto/x509", Status: "fatal", Details: err.Error()})
	}
	zc, err := zx509.ParseCertificate(der)
	if err != nil {
		findings = append(findings, LintFinding{Lint: "zcrypto", Status: "fatal", Details: err.Error()})
		return &LintError{What: "certificate", Findings: findings}
	}
	reg, err := lintRegistry()
	if err != nil {
		return fmt.Errorf("issuance: building the lint registry: %w", err)
	}
	findings = append(findings, lintreport.Failures(zlint.LintCertificateEx(zc, reg))...)
	findings = append(findings, lintMLDSA(der)...)
	if len(findings) > 0 {
		return &LintError{What: "certificate", Findings: findings}
	}
	return nil
}

// ML-DSA parameter sets (FIPS 204, RFC 9881): OID, public key and signature
// sizes in bytes.
var mldsaParams = []struct {
	oid         asn1.ObjectIdentifier
	pub, sigLen int
}{
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 17}, 1312, 2420}, // ML-DSA-44
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}, 1952, 3309}, // ML-DSA-65
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 19}, 2592, 4627}, // ML-DSA-87
}

func mldsaIndex(oid asn1.ObjectIdentifier) int {
	for i, p := range mldsaParams {
		if p.oid.Equal(oid) {
			return i
		}
	}
	return -1
}

// lintMLDSA checks the RFC 9881 encoding rules on certificates that use an
// ML-DSA key or signature; it returns nothing for other certificates.
func lintMLDSA(der []byte) []LintFinding {
	var cert struct {
		TBS struct {
			Raw          asn1.RawContent
			Version      int `asn1:"optional,explicit,default:0,tag:0"`
			SerialNumber asn1.RawValue
			Signature    asn1.RawValue
			Issuer       asn1.RawValue
			Validity     asn1.RawValue
			Subject      asn1.RawValue
			PublicKey    struct {
				Algorithm asn1.RawValue
				PublicKey asn1.BitString
			}
		}
		Algorithm asn1.RawValue
		Signature asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &cert); err != nil {
		return nil // the parsers above already reported it
	}
	var out []LintFinding
	fail := func(name, format string, args ...any) {
		out = append(out, LintFinding{Lint: name, Status: "error", Details: fmt.Sprintf(format, args...)})
	}
	// checkAlg returns the ML-DSA parameter set named by an
	// AlgorithmIdentifier, or -1, and reports present parameters.
	checkAlg := func(where string, raw asn1.RawValue) int {
		var ai pkix.AlgorithmIdentifier
		if _, err := asn1.Unmarshal(raw.FullBytes, &ai); err != nil {
			return -1
		}
		i := mldsaIndex(ai.Algorithm)
		if i >= 0 && len(ai.Parameters.FullBytes) > 0 {
			fail("e_mldsa_parameters_present", "the %s AlgorithmIdentifier %s has parameters; RFC 9881 requires them absent", where, ai.Algorithm)
		}
		return i
	}
	if k := checkAlg("subjectPublicKeyInfo", cert.TBS.PublicKey.Algorithm); k >= 0 {
		if got := len(cert.TBS.PublicKey.PublicKey.Bytes); got != mldsaParams[k].pub || cert.TBS.PublicKey.PublicKey.BitLength != 8*got {
			fail("e_mldsa_public_key_size", "the %s public key has %d bytes, want %d", mldsaParams[k].oid, got, mldsaParams[k].pub)
		}
	}
	inner := checkAlg("tbsCertificate signature", cert.TBS.Signature)
	outer := checkAlg("signatureAlgorithm", cert.Algorithm)
	if inner >= 0 || outer >= 0 {
		if inner != outer {
			fail("e_mldsa_signature_algorithm_mismatch", "the ML-DSA signature algorithm differs between tbsCertificate and signatureAlgorithm")
		} else if got := len(cert.Signature.Bytes); got != mldsaParams[outer].sigLen || cert.Signature.BitLength != 8*got {
			fail("e_mldsa_signature_size", "the %s signature has %d bytes, want %d", mldsaParams[outer].oid, got, mldsaParams[outer].sigLen)
		}
	}
	return out
}
