package crl

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/x509util"
)

func TestCheckNumber(t *testing.T) {
	ca := newCA(t, x509util.SHA256WithECDSA)
	tmpl := template(ca, testNow, "")
	der := create(t, ca, tmpl, sampleEntries(testNow))
	n := tmpl.Number
	for _, prev := range []*big.Int{nil, big.NewInt(0), new(big.Int).Sub(n, big.NewInt(1))} {
		if err := Check(der, ca.cert, prev); err != nil {
			t.Errorf("previous %v: %v", prev, err)
		}
	}
	for _, prev := range []*big.Int{n, new(big.Int).Add(n, big.NewInt(1))} {
		if err := Check(der, ca.cert, prev); !errors.Is(err, ErrNumberNotIncreasing) {
			t.Errorf("previous %v: got %v, want ErrNumberNotIncreasing", prev, err)
		}
	}
}

func TestCheckSignature(t *testing.T) {
	for _, alg := range []string{x509util.SHA256WithECDSA, x509util.SHA256WithRSA, x509util.MLDSA65} {
		ca := newCA(t, alg)
		der := create(t, ca, template(ca, testNow, ""), sampleEntries(testNow))
		if err := Check(der, ca.cert, nil); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		// A flipped bit in the signature, and one in the TBSCertList (an
		// entry's serial number, which no lint looks at).
		for _, at := range []int{len(der) - 1, 300} {
			bad := slices.Clone(der)
			bad[at] ^= 0x01
			err := Check(bad, ca.cert, nil)
			if err == nil || !strings.Contains(err.Error(), "signature") {
				t.Errorf("%s: byte %d flipped: got %v, want a signature error", alg, at, err)
			}
		}
		// The right bytes, the wrong issuer.
		other := newCA(t, x509util.SHA384WithECDSA)
		if err := Check(der, other.cert, nil); err == nil {
			t.Errorf("%s: checked against another CA: accepted", alg)
		}
		// An issuer that may not sign CRLs.
		noCRLSign := *ca.cert
		noCRLSign.KeyUsage = x509.KeyUsageCertSign
		if err := Check(der, &noCRLSign, nil); err == nil || !strings.Contains(err.Error(), "signature") {
			t.Errorf("%s: issuer without cRLSign: got %v", alg, err)
		}
	}
}

func TestCheckLints(t *testing.T) {
	ca := newCA(t, x509util.SHA256WithECDSA)
	tmpl := template(ca, testNow, "")
	late := append(sampleEntries(testNow), Entry{Serial: []byte{0x55}, RevokedAt: testNow.Add(time.Minute), Reason: 1})
	dup := append(sampleEntries(testNow), sampleEntries(testNow)[0])
	for _, tc := range []struct {
		entries []Entry
		lint    string
	}{
		{late, "e_crl_revocation_time_after_this_update"},
	} {
		der := create(t, ca, tmpl, tc.entries)
		err := Check(der, ca.cert, nil)
		var le *LintError
		if !errors.As(err, &le) {
			t.Fatalf("%s: got %v, want a *LintError", tc.lint, err)
		}
		if !slices.ContainsFunc(le.Findings, func(f LintFinding) bool { return f.Lint == tc.lint && f.Status == "error" }) {
			t.Errorf("got %v, want %s", le, tc.lint)
		}
	}
	der := create(t, ca, tmpl, dup)
	if err := Check(der, ca.cert, nil); err == nil || !strings.Contains(err.Error(), "more than once") {
		t.Errorf("a duplicate serial: got %v", err)
	}
	if err := Check([]byte{0x30, 0x03, 0x02, 0x01, 0x01}, ca.cert, nil); err == nil {
		t.Error("garbage: accepted")
	}
}

// TestLintSelection pins which zlint CRL lints Check runs.
func TestLintSelection(t *testing.T) {
	reg, err := lintRegistry()
	if err != nil {
		t.Fatal(err)
	}
	names := reg.Names()
	for _, want := range []string{
		"e_crl_has_authority_key_identifier", "e_crl_missing_crl_number", "e_crl_has_next_update",
		"e_crl_empty_revoked_certificates", "e_crl_has_valid_reason_code", "e_crl_sigalgo_missing_null_params",
		"e_crl_unique_revoked_certificate", "e_crl_extensions_validity", "e_crl_auth_key_id_only_contains_keyid",
		"e_cab_crl_reason_code_not_critical", "e_crl_number_out_of_range",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("%s is not run", want)
		}
	}
	for _, unwanted := range []string{"e_crl_next_update_invalid", "e_cab_crl_has_valid_reason_code", "e_crl_ecdsa_signature_encoding_correct"} {
		if slices.Contains(names, unwanted) {
			t.Errorf("%s is run", unwanted)
		}
	}
	// Every lint selected is a CRL lint.
	if got := len(reg.RevocationListLints().Lints()); got != len(names) {
		t.Errorf("%d CRL lints among %d selected", got, len(names))
	}
	// The left-out lints would fire on what AWS Private CA allows: a CRL
	// valid for a year, a cACompromise reason, SHA-512 with a P-256 key.
	ca := newCA(t, x509util.SHA256WithECDSA)
	tmpl := template(ca, testNow, "")
	tmpl.NextUpdate = testNow.AddDate(1, 0, 1)
	der := create(t, ca, tmpl, []Entry{{Serial: []byte{1}, RevokedAt: testNow.Add(-time.Hour), Reason: 2}})
	if err := Check(der, ca.cert, nil); err != nil {
		t.Errorf("a year-long CRL with cACompromise: %v", err)
	}
	var buf bytes.Buffer
	if _, err := Create(&buf, rand.Reader, tmpl, sliceEntries(nil, nil), ca.signer, x509util.SHA512WithECDSA); err != nil {
		t.Fatal(err)
	}
	if err := Check(buf.Bytes(), ca.cert, nil); err != nil {
		t.Errorf("SHA512WITHECDSA with a P-256 key: %v", err)
	}
}
