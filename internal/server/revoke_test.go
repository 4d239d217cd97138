package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/smithy-go"

	"github.com/openpca/openpca/internal/pca"
)

func revoke(c *acmpca.Client, caArn, serial string, reason types.RevocationReason) error {
	_, err := c.RevokeCertificate(context.Background(), &acmpca.RevokeCertificateInput{
		CertificateAuthorityArn: &caArn, CertificateSerial: &serial, RevocationReason: reason})
	return err
}

// colonHex writes a serial as openssl and the AWS examples do.
func colonHex(s string) string {
	if len(s)%2 == 1 {
		s = "0" + s
	}
	var parts []string
	for i := 0; i < len(s); i += 2 {
		parts = append(parts, s[i:i+2])
	}
	return strings.Join(parts, ":")
}

func serialOf(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func TestRevokeCertificate(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		sig := types.SigningAlgorithmSha256withecdsa
		rootArn, root := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig)
		csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "leaf")
		leafs := make([]issued, 5)
		for i := range leafs {
			leafs[i] = issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
		}

		// Accepted serial forms: colons, upper case, leading zero bytes.
		for i, form := range []func(string) string{
			func(s string) string { return s },
			colonHex,
			strings.ToUpper,
			func(s string) string { return "00" + s },
		} {
			serial := form(serialOf(leafs[i].arn))
			if err := revoke(c, rootArn, serial, types.RevocationReasonKeyCompromise); err != nil {
				t.Fatalf("revoke %q: %v", serial, err)
			}
		}
		// A revoked certificate can still be fetched.
		if _, err := c.GetCertificate(context.Background(), &acmpca.GetCertificateInput{CertificateAuthorityArn: &rootArn, CertificateArn: &leafs[0].arn}); err != nil {
			t.Fatalf("GetCertificate of a revoked certificate: %v", err)
		}

		cases := []struct {
			name, serial, code, msg string
			reason                  types.RevocationReason
		}{
			{"AlreadyRevoked", colonHex(serialOf(leafs[0].arn)), "RequestAlreadyProcessedException", "already been revoked", types.RevocationReasonSuperseded},
			// Every accepted form names the certificate another form revoked.
			{"AlreadyRevokedBare", serialOf(leafs[1].arn), "RequestAlreadyProcessedException", "", types.RevocationReasonSuperseded},
			{"AlreadyRevokedUpperColons", strings.ToUpper(colonHex(serialOf(leafs[2].arn))), "RequestAlreadyProcessedException", "", types.RevocationReasonSuperseded},
			{"AlreadyRevokedLeadingZero", "0" + serialOf(leafs[0].arn), "RequestAlreadyProcessedException", "", types.RevocationReasonSuperseded},
			{"AlreadyRevokedNoLeadingZero", strings.ToUpper(serialOf(leafs[3].arn)), "RequestAlreadyProcessedException", "", types.RevocationReasonSuperseded},
			// Decimal is read as hex, naming no certificate: leafs[4] stays
			// unrevoked until the DISABLED CA revokes it below.
			{"Decimal", leafs[4].cert.SerialNumber.String(), "ResourceNotFoundException", "", types.RevocationReasonUnspecified},
			{"UnknownSerial", "0badc0ffee", "ResourceNotFoundException", "", types.RevocationReasonUnspecified},
			{"SelfSigned", fmt.Sprintf("%x", root.cert.SerialNumber), "InvalidRequestException", "Self-signed certificate can not be revoked", types.RevocationReasonUnspecified},
			{"NotHex", "not-a-serial", "InvalidRequestException", "hexadecimal", types.RevocationReasonUnspecified},
			{"ReasonOutsideEnum", serialOf(leafs[4].arn), "ValidationException", "Value 'REMOVE_FROM_CRL' at 'revocationReason' failed to satisfy constraint: Member must satisfy enum value set", "REMOVE_FROM_CRL"},
			{"SerialTooLong", strings.Repeat("a", 129), "ValidationException", "at 'certificateSerial' failed to satisfy constraint: Member must have length less than or equal to 128", types.RevocationReasonUnspecified},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantAPIError(t, revoke(c, rootArn, tc.serial, tc.reason), tc.code, tc.msg)
			})
		}

		// A DISABLED CA still revokes; a PENDING one does not.
		c.UpdateCertificateAuthority(context.Background(), &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &rootArn, Status: types.CertificateAuthorityStatusDisabled})
		if err := revoke(c, rootArn, serialOf(leafs[4].arn), types.RevocationReasonAACompromise); err != nil {
			t.Fatalf("revoke on a DISABLED CA: %v", err)
		}
		pending := create(t, c, &acmpca.CreateCertificateAuthorityInput{})
		wantAPIError(t, revoke(c, pending, "01", types.RevocationReasonUnspecified), "InvalidStateException", "")

		// An expired certificate cannot be revoked.
		c.UpdateCertificateAuthority(context.Background(), &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &rootArn, Status: types.CertificateAuthorityStatusActive})
		short := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig, Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)}})
		e.clock.Advance(25 * time.Hour)
		wantAPIError(t, revoke(c, rootArn, serialOf(short.arn), types.RevocationReasonUnspecified), "InvalidRequestException", "expired")

		// Only ACTIVE and DISABLED CAs revoke; a refused call leaves the
		// certificate as it was.
		target := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
		for _, st := range []pca.Status{pca.StatusCreating, pca.StatusFailed, pca.StatusDeleted, pca.StatusExpired} {
			stored, notAfter := st, e.clock.Now().AddDate(1, 0, 0)
			if st == pca.StatusExpired {
				stored, notAfter = pca.StatusActive, e.clock.Now().Add(-time.Minute)
			}
			setStatus(t, e, rootArn, stored, notAfter)
			if got := describe(t, c, rootArn).Status; got != types.CertificateAuthorityStatus(st) {
				t.Fatalf("CA reports %s, want %s", got, st)
			}
			wantAPIError(t, revoke(c, rootArn, serialOf(target.arn), types.RevocationReasonKeyCompromise), "InvalidStateException", "")
		}
		setStatus(t, e, rootArn, pca.StatusActive, e.clock.Now().AddDate(1, 0, 0))
		if err := revoke(c, rootArn, serialOf(target.arn), types.RevocationReasonKeyCompromise); err != nil {
			t.Fatalf("the certificate changed while the CA could not revoke: %v", err)
		}
	})
}

// Many concurrent revocations of one serial: exactly one wins.
func TestConcurrentRevocations(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	sig := types.SigningAlgorithmSha256withecdsa
	rootArn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig)
	leaf := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "race"), SigningAlgorithm: sig})
	const n = 32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = revoke(c, rootArn, serialOf(leaf.arn), types.RevocationReasonKeyCompromise)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		var apiErr smithy.APIError
		switch {
		case err == nil:
			ok++
		case !asAPIError(err, &apiErr) || apiErr.ErrorCode() != "RequestAlreadyProcessedException":
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d revocations succeeded, want exactly 1", ok)
	}
}

// Once the quota of unexpired revoked certificates is reached, the next
// revocation is refused.
func TestRevokedLimit(t *testing.T) {
	e := newTestEnvWith(t, nil, func(c *Config) { c.RevokedLimit = 2 })
	c := e.rootClient(protocols[0].opt)
	sig := types.SigningAlgorithmSha256withecdsa
	rootArn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig)
	csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "quota")
	for i := range 3 {
		leaf := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
		err := revoke(c, rootArn, serialOf(leaf.arn), types.RevocationReasonUnspecified)
		if i < 2 && err != nil {
			t.Fatalf("revocation %d: %v", i+1, err)
		}
		if i == 2 {
			wantTyped[*types.LimitExceededException](t, err)
		}
	}
}
