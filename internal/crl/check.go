package crl

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/openpca/openpca/internal/lintreport"
	"github.com/openpca/openpca/internal/x509util"
)

// ErrNumberNotIncreasing is reported (wrapped) by Check when the CRL number
// is not greater than the previous one.
var ErrNumberNotIncreasing = errors.New("crl: the CRL number is not greater than the previous CRL's")

// LintFinding and LintError report failed lints (see package lintreport).
type (
	LintFinding = lintreport.Finding
	LintError   = lintreport.Error
)

// lintNames selects the zlint CRL lints that apply to a private CA
// publishing what AWS Private CA publishes: every RFC 5280 and community
// lint, and these CA/Browser Forum lints, whose rules match the AWS CRL
// profile (AKI keyid only; CRL number, AKI and a critical IDP as the only
// extensions; a non-critical reasonCode; a CRL number below 2^159).
//
// Left out are the other CA/Browser Forum lints, which judge publicly
// trusted CAs and fire on what AWS Private CA does by design:
// e_crl_next_update_invalid (AWS allows ExpirationInDays up to 5000 days,
// the BRs 10 days or 12 months), e_cab_crl_has_valid_reason_code (AWS
// offers CERTIFICATE_AUTHORITY_COMPROMISE and A_A_COMPROMISE, the BRs do
// not) and e_crl_ecdsa_signature_encoding_correct (AWS lets any EC key sign
// with any SHA*WITHECDSA; the lint also guesses the curve from the
// signature's size).
var extraLints = map[string]bool{
	"e_crl_extensions_validity":             true,
	"e_crl_auth_key_id_only_contains_keyid": true,
	"e_cab_crl_reason_code_not_critical":    true,
	"e_crl_number_out_of_range":             true,
}

var lintRegistry = sync.OnceValues(func() (lint.Registry, error) {
	global := lint.GlobalRegistry()
	var names []string
	for _, l := range global.RevocationListLints().Lints() {
		if l.Source == lint.RFC5280 || l.Source == lint.Community || extraLints[l.Name] {
			names = append(names, l.Name)
		}
	}
	return lintreport.Registry(lint.FilterOptions{IncludeNames: names}, "")
})

// Check checks a DER CRL before it is published: it parses der with
// crypto/x509, verifies its signature against issuer (ML-DSA included) and
// that issuer may sign CRLs, checks the issuer name and authority key
// identifier against issuer, checks the CRL number is greater than
// previous (nil previous skips that) and that no serial number is listed
// twice, and runs the zlint CRL lints selected
// above on zcrypto's parse. It returns nil or an error joining every
// problem found; lint failures come as one *LintError, a number that does
// not increase wraps ErrNumberNotIncreasing. Lint warnings and notices are
// not reported.
//
// Unlike Create, Check holds the whole CRL decoded, several times over
// (crypto/x509, zcrypto, and zlint lints that decode it again): on a
// 1,000,000-entry CRL it takes seconds and about a GiB of heap; on a 1 MB
// partition (about 20,000 entries), a fraction of a second.
func Check(der []byte, issuer *x509.Certificate, previous *big.Int) error {
	if issuer == nil {
		return errors.New("crl: issuer must not be nil")
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		return fmt.Errorf("crl: %w", err)
	}
	var errs []error
	if err := checkSignature(rl, issuer); err != nil {
		errs = append(errs, fmt.Errorf("crl: signature: %w", err))
	}
	if len(issuer.RawSubject) > 0 && !bytes.Equal(rl.RawIssuer, issuer.RawSubject) {
		errs = append(errs, errors.New("crl: the CRL issuer is not the issuer certificate's subject"))
	}
	if len(issuer.SubjectKeyId) > 0 && !bytes.Equal(rl.AuthorityKeyId, issuer.SubjectKeyId) {
		errs = append(errs, errors.New("crl: the authority key identifier is not the issuer's subject key identifier"))
	}
	switch {
	case rl.Number == nil:
		errs = append(errs, errors.New("crl: no CRL number"))
	case previous != nil && rl.Number.Cmp(previous) <= 0:
		errs = append(errs, fmt.Errorf("%w (%v, previous %v)", ErrNumberNotIncreasing, rl.Number, previous))
	}
	if err := checkUnique(rl); err != nil {
		errs = append(errs, err)
	}
	if err := lintCRL(der); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkUnique refuses a serial number listed twice (zlint's
// e_crl_unique_revoked_certificate only warns).
func checkUnique(rl *x509.RevocationList) error {
	serials := make([]*big.Int, len(rl.RevokedCertificateEntries))
	for i := range rl.RevokedCertificateEntries {
		serials[i] = rl.RevokedCertificateEntries[i].SerialNumber
	}
	slices.SortFunc(serials, (*big.Int).Cmp)
	for i := 1; i < len(serials); i++ {
		if serials[i].Cmp(serials[i-1]) == 0 {
			return fmt.Errorf("crl: serial number %x is listed more than once", serials[i])
		}
	}
	return nil
}

func checkSignature(rl *x509.RevocationList, issuer *x509.Certificate) error {
	if rl.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
		return rl.CheckSignatureFrom(issuer)
	}
	// ML-DSA, which crypto/x509 does not know: the same constraints as
	// (*x509.RevocationList).CheckSignatureFrom, then x509util.
	if issuer.Version == 3 && !issuer.BasicConstraintsValid ||
		issuer.BasicConstraintsValid && !issuer.IsCA ||
		issuer.KeyUsage != 0 && issuer.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return x509.ConstraintViolationError{}
	}
	input := cryptobyte.String(rl.Raw)
	var outer, ai cryptobyte.String
	if !input.ReadASN1(&outer, cbasn1.SEQUENCE) || !outer.SkipASN1(cbasn1.SEQUENCE) ||
		!outer.ReadASN1Element(&ai, cbasn1.SEQUENCE) {
		return errors.New("malformed CRL")
	}
	pub, err := x509util.PublicKey(issuer)
	if err != nil {
		return err
	}
	return x509util.CheckSignature(ai, rl.RawTBSRevocationList, rl.Signature, pub)
}

func lintCRL(der []byte) error {
	zrl, err := zx509.ParseRevocationList(der)
	if err != nil {
		return &LintError{What: "CRL", Findings: []LintFinding{{Lint: "zcrypto", Status: "fatal", Details: err.Error()}}}
	}
	reg, err := lintRegistry()
	if err != nil {
		return fmt.Errorf("crl: building the lint registry: %w", err)
	}
	if findings := lintreport.Failures(zlint.LintRevocationListEx(zrl, reg)); len(findings) > 0 {
		return &LintError{What: "CRL", Findings: findings}
	}
	return nil
}
