package server

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/smithy-go"

	"github.com/openpca/openpca/internal/pca"
)

// wantAPIError asserts err is the AWS error code with a message containing msg.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if apiErr.ErrorCode() != code || !strings.Contains(apiErr.ErrorMessage(), msg) {
		t.Fatalf("want %s containing %q, got %s: %s", code, msg, apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
}

func asAPIError(err error, target *smithy.APIError) bool { return errors.As(err, target) }

// wantTyped asserts err is the SDK's typed exception T, proving the wire
// error maps to the modelled shape.
func wantTyped[T error](t *testing.T, err error) {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("want %T, got %T: %v", target, err, err)
	}
}

// forEachProtocol runs fn once per wire protocol, each on a fresh server.
func forEachProtocol(t *testing.T, fn func(t *testing.T, e *testEnv, c *acmpca.Client)) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			e := newTestEnv(t)
			fn(t, e, e.rootClient(p.opt))
		})
	}
}

var caArnPattern = regexp.MustCompile(`^arn:aws:acm-pca:us-east-1:` + testAccount + `:certificate-authority/[0-9a-f-]{36}$`)

func create(t testing.TB, c *acmpca.Client, in *acmpca.CreateCertificateAuthorityInput) string {
	t.Helper()
	if in.CertificateAuthorityType == "" {
		in.CertificateAuthorityType = types.CertificateAuthorityTypeRoot
	}
	if in.CertificateAuthorityConfiguration == nil {
		in.CertificateAuthorityConfiguration = ecConfig("Test Root")
	}
	out, err := c.CreateCertificateAuthority(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateCertificateAuthority: %v", err)
	}
	waitCreated(t, c, *out.CertificateAuthorityArn)
	return *out.CertificateAuthorityArn
}

// waitCreated polls until key generation has finished, as the
// CertificateAuthorityCSRCreated waiter does, only faster.
func waitCreated(t testing.TB, c *acmpca.Client, arn string) {
	t.Helper()
	for range 1000 {
		out, err := c.DescribeCertificateAuthority(context.Background(), &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		if out.CertificateAuthority.Status != types.CertificateAuthorityStatusCreating {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("CA %s still CREATING", arn)
}

// parseCSRPEM parses a PEM CSR with Go's x509.
func parseCSRPEM(t testing.TB, in []byte) *x509.CertificateRequest {
	t.Helper()
	block, _ := pem.Decode(in)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		t.Fatalf("not a PEM CSR: %q", in)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}

func describe(t testing.TB, c *acmpca.Client, arn string) *types.CertificateAuthority {
	t.Helper()
	out, err := c.DescribeCertificateAuthority(context.Background(), &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: &arn})
	if err != nil {
		t.Fatalf("DescribeCertificateAuthority: %v", err)
	}
	return out.CertificateAuthority
}

// setStatus moves a CA to a state the API cannot reach before issuance lands.
func setStatus(t *testing.T, e *testEnv, arn string, status pca.Status, notAfter time.Time) {
	t.Helper()
	id := arn[strings.LastIndex(arn, "/")+1:]
	_, err := e.srv.store.UpdateCA(context.Background(), testAccount, id, func(ca *pca.CA) error {
		ca.Status, ca.NotBefore, ca.NotAfter = status, e.clock.Now().Add(-time.Hour), notAfter
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCreateAndDescribe(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		before := e.clock.Now()
		arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{
			CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
				KeyAlgorithm:     types.KeyAlgorithmRsa2048,
				SigningAlgorithm: types.SigningAlgorithmSha256withrsa,
				Subject:          &types.ASN1Subject{CommonName: aws.String("Root"), Organization: aws.String("openpca"), Country: aws.String("DE")},
				CsrExtensions: &types.CsrExtensions{
					KeyUsage: &types.KeyUsage{KeyCertSign: true, CRLSign: true, DigitalSignature: true},
					SubjectInformationAccess: []types.AccessDescription{{
						AccessMethod:   &types.AccessMethod{AccessMethodType: types.AccessMethodTypeCaRepository},
						AccessLocation: &types.GeneralName{UniformResourceIdentifier: aws.String("http://repo.example.test/")},
					}},
				},
			},
		})
		if !caArnPattern.MatchString(arn) {
			t.Fatalf("ARN %q does not match AWS's format", arn)
		}
		ca := describe(t, c, arn)
		if *ca.Arn != arn || *ca.OwnerAccount != testAccount || ca.Type != types.CertificateAuthorityTypeRoot {
			t.Fatalf("identity: %+v", ca)
		}
		if ca.Status != types.CertificateAuthorityStatusPendingCertificate {
			t.Fatalf("status %s, want PENDING_CERTIFICATE", ca.Status)
		}
		if ca.UsageMode != types.CertificateAuthorityUsageModeGeneralPurpose || ca.KeyStorageSecurityStandard != types.KeyStorageSecurityStandardFips1402Level3OrHigher {
			t.Fatalf("defaults: %s %s", ca.UsageMode, ca.KeyStorageSecurityStandard)
		}
		if ca.CreatedAt == nil || ca.CreatedAt.Before(before.Add(-time.Second)) || ca.LastStateChangeAt == nil {
			t.Fatalf("timestamps: %v %v", ca.CreatedAt, ca.LastStateChangeAt)
		}
		if ca.NotBefore != nil || ca.NotAfter != nil || ca.RestorableUntil != nil {
			t.Fatal("a pending CA has no validity and no restoration date")
		}
		cfg := ca.CertificateAuthorityConfiguration
		if cfg.KeyAlgorithm != types.KeyAlgorithmRsa2048 || *cfg.Subject.CommonName != "Root" || *cfg.Subject.Country != "DE" ||
			!cfg.CsrExtensions.KeyUsage.KeyCertSign || cfg.CsrExtensions.KeyUsage.KeyEncipherment ||
			*cfg.CsrExtensions.SubjectInformationAccess[0].AccessLocation.UniformResourceIdentifier != "http://repo.example.test/" {
			t.Fatalf("configuration not echoed: %+v", cfg)
		}
		rc := ca.RevocationConfiguration
		if rc == nil || rc.CrlConfiguration == nil || rc.CrlConfiguration.Enabled == nil || *rc.CrlConfiguration.Enabled ||
			rc.OcspConfiguration == nil || *rc.OcspConfiguration.Enabled {
			t.Fatalf("revocation configuration: %+v", rc)
		}

		// The CSR carries the configured subject and is signed with the configured algorithm.
		csr := parseCSRPEM(t, csrOf(t, c, arn))
		if csr.SignatureAlgorithm != x509.SHA256WithRSA || csr.CheckSignature() != nil {
			t.Fatalf("CSR signed with %s: %v", csr.SignatureAlgorithm, csr.CheckSignature())
		}
		if s := csr.Subject; len(s.Names) != 3 || s.CommonName != "Root" || !slices.Equal(s.Organization, []string{"openpca"}) || !slices.Equal(s.Country, []string{"DE"}) {
			t.Fatalf("CSR subject %s", s)
		}
		// No CSR while the key is being made.
		setStatus(t, e, arn, pca.StatusCreating, time.Time{})
		_, err := c.GetCertificateAuthorityCsr(context.Background(), &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: &arn})
		wantTyped[*types.RequestInProgressException](t, err)
	})
}

func TestCreateAlgorithms(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	valid := map[types.KeyAlgorithm][]types.SigningAlgorithm{
		types.KeyAlgorithmRsa2048:      {types.SigningAlgorithmSha256withrsa, types.SigningAlgorithmSha384withrsa, types.SigningAlgorithmSha512withrsa},
		types.KeyAlgorithmRsa3072:      {types.SigningAlgorithmSha256withrsa},
		types.KeyAlgorithmRsa4096:      {types.SigningAlgorithmSha512withrsa},
		types.KeyAlgorithmEcPrime256v1: {types.SigningAlgorithmSha256withecdsa},
		types.KeyAlgorithmEcSecp384r1:  {types.SigningAlgorithmSha384withecdsa},
		types.KeyAlgorithmEcSecp521r1:  {types.SigningAlgorithmSha512withecdsa},
		types.KeyAlgorithmMlDsa44:      {types.SigningAlgorithmMlDsa44},
		types.KeyAlgorithmMlDsa65:      {types.SigningAlgorithmMlDsa65},
		types.KeyAlgorithmMlDsa87:      {types.SigningAlgorithmMlDsa87},
	}
	// The CSR's signature algorithm, where Go's x509 knows it.
	x509Sig := map[types.SigningAlgorithm]x509.SignatureAlgorithm{
		types.SigningAlgorithmSha256withrsa: x509.SHA256WithRSA, types.SigningAlgorithmSha384withrsa: x509.SHA384WithRSA, types.SigningAlgorithmSha512withrsa: x509.SHA512WithRSA,
		types.SigningAlgorithmSha256withecdsa: x509.ECDSAWithSHA256, types.SigningAlgorithmSha384withecdsa: x509.ECDSAWithSHA384, types.SigningAlgorithmSha512withecdsa: x509.ECDSAWithSHA512,
	}
	for key, sigs := range valid {
		for _, sig := range sigs {
			t.Run(fmt.Sprintf("%s/%s", key, sig), func(t *testing.T) {
				arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
					KeyAlgorithm: key, SigningAlgorithm: sig, Subject: &types.ASN1Subject{CommonName: aws.String("alg")}}})
				want, ok := x509Sig[sig]
				if !ok {
					return
				}
				csr := parseCSRPEM(t, csrOf(t, c, arn))
				if csr.SignatureAlgorithm != want || csr.CheckSignature() != nil || csr.Subject.String() != "CN=alg" {
					t.Fatalf("CSR: %s signed with %s, want %s: %v", csr.Subject, csr.SignatureAlgorithm, want, csr.CheckSignature())
				}
			})
		}
	}
	refused := []struct {
		name string
		key  types.KeyAlgorithm
		sig  types.SigningAlgorithm
		msg  string
	}{
		{"SM2", types.KeyAlgorithmSm2, types.SigningAlgorithmSm3withsm2, "SM2"},
		{"RSAWithECDSA", types.KeyAlgorithmRsa2048, types.SigningAlgorithmSha256withecdsa, "not compatible"},
		{"ECWithRSA", types.KeyAlgorithmEcSecp384r1, types.SigningAlgorithmSha384withrsa, "not compatible"},
		{"MLDSAMismatch", types.KeyAlgorithmMlDsa44, types.SigningAlgorithmMlDsa65, "not compatible"},
	}
	for _, tc := range refused {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			_, err := c.CreateCertificateAuthority(context.Background(), &acmpca.CreateCertificateAuthorityInput{
				CertificateAuthorityType: types.CertificateAuthorityTypeRoot,
				CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
					KeyAlgorithm: tc.key, SigningAlgorithm: tc.sig, Subject: &types.ASN1Subject{CommonName: aws.String("x")}},
			})
			wantTyped[*types.InvalidArgsException](t, err)
			wantAPIError(t, err, "InvalidArgsException", tc.msg)
		})
	}
}

func TestCreateValidation(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		tests := []struct {
			name string
			in   *acmpca.CreateCertificateAuthorityInput
			code string
			msg  string
		}{
			{"EnumChecked", &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
				KeyAlgorithm: "FOO", SigningAlgorithm: types.SigningAlgorithmSha256withrsa, Subject: &types.ASN1Subject{CommonName: aws.String("x")}}},
				"ValidationException", "1 validation error detected: Value 'FOO' at 'certificateAuthorityConfiguration.keyAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: ["},
			{"MaxLengthChecked", &acmpca.CreateCertificateAuthorityInput{IdempotencyToken: aws.String(strings.Repeat("t", 37))},
				"ValidationException", "at 'idempotencyToken' failed to satisfy constraint: Member must have length less than or equal to 36"},
			{"NestedMaxLength", &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
				KeyAlgorithm: types.KeyAlgorithmRsa2048, SigningAlgorithm: types.SigningAlgorithmSha256withrsa, Subject: &types.ASN1Subject{CommonName: aws.String(strings.Repeat("c", 65))}}},
				"ValidationException", "at 'certificateAuthorityConfiguration.subject.commonName' failed to satisfy constraint: Member must have length less than or equal to 64"},
			{"PatternChecked", &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
				KeyAlgorithm: types.KeyAlgorithmRsa2048, SigningAlgorithm: types.SigningAlgorithmSha256withrsa, Subject: &types.ASN1Subject{Country: aws.String("D1")}}},
				"ValidationException", "at 'certificateAuthorityConfiguration.subject.country' failed to satisfy constraint: Member must satisfy regular expression pattern"},
			{"EmptySubject", &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
				KeyAlgorithm: types.KeyAlgorithmRsa2048, SigningAlgorithm: types.SigningAlgorithmSha256withrsa, Subject: &types.ASN1Subject{}}},
				"InvalidArgsException", "at least one attribute"},
			{"CustomAndStandardAttributes", &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
				KeyAlgorithm: types.KeyAlgorithmRsa2048, SigningAlgorithm: types.SigningAlgorithmSha256withrsa, Subject: &types.ASN1Subject{CommonName: aws.String("x"),
					CustomAttributes: []types.CustomAttribute{{ObjectIdentifier: aws.String("2.5.4.3"), Value: aws.String("y")}}}}},
				"InvalidArgsException", "custom attributes cannot be used in combination with standard attributes"},
			{"TwoGeneralNameChoices", &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
				KeyAlgorithm: types.KeyAlgorithmRsa2048, SigningAlgorithm: types.SigningAlgorithmSha256withrsa, Subject: &types.ASN1Subject{CommonName: aws.String("x")},
				CsrExtensions: &types.CsrExtensions{SubjectInformationAccess: []types.AccessDescription{{
					AccessMethod:   &types.AccessMethod{AccessMethodType: types.AccessMethodTypeCaRepository},
					AccessLocation: &types.GeneralName{DnsName: aws.String("a.test"), IpAddress: aws.String("10.0.0.1")}}}}}},
				"InvalidArgsException", "exactly one"},
			{"CRLWithoutExpiration", &acmpca.CreateCertificateAuthorityInput{RevocationConfiguration: &types.RevocationConfiguration{
				CrlConfiguration: &types.CrlConfiguration{Enabled: aws.Bool(true), S3BucketName: aws.String("crl-bucket")}}},
				"ValidationException", "Value null or empty at 'expirationInDays'"},
			{"CRLExpirationTooLong", &acmpca.CreateCertificateAuthorityInput{RevocationConfiguration: &types.RevocationConfiguration{
				CrlConfiguration: &types.CrlConfiguration{Enabled: aws.Bool(true), ExpirationInDays: aws.Int32(5001), S3BucketName: aws.String("crl-bucket")}}},
				"ValidationException", "Member must have value less than or equal to 5000"},
			{"DisabledCRLWithFields", &acmpca.CreateCertificateAuthorityInput{RevocationConfiguration: &types.RevocationConfiguration{
				CrlConfiguration: &types.CrlConfiguration{Enabled: aws.Bool(false), ExpirationInDays: aws.Int32(7)}}},
				"InvalidArgsException", "only Enabled=false"},
			{"CnameWithScheme", &acmpca.CreateCertificateAuthorityInput{RevocationConfiguration: &types.RevocationConfiguration{
				CrlConfiguration: &types.CrlConfiguration{Enabled: aws.Bool(true), ExpirationInDays: aws.Int32(7), S3BucketName: aws.String("crl-bucket"), CustomCname: aws.String("http://crl.example.test")}}},
				"InvalidArgsException", "protocol prefix"},
			{"OmitWithCname", &acmpca.CreateCertificateAuthorityInput{RevocationConfiguration: &types.RevocationConfiguration{
				CrlConfiguration: &types.CrlConfiguration{Enabled: aws.Bool(true), ExpirationInDays: aws.Int32(7), S3BucketName: aws.String("crl-bucket"), CustomCname: aws.String("crl.example.test"),
					CrlDistributionPointExtensionConfiguration: &types.CrlDistributionPointExtensionConfiguration{OmitExtension: aws.Bool(true)}}}},
				"InvalidArgsException", "OmitExtension"},
			{"DisabledOCSPWithCname", &acmpca.CreateCertificateAuthorityInput{RevocationConfiguration: &types.RevocationConfiguration{
				OcspConfiguration: &types.OcspConfiguration{Enabled: aws.Bool(false), OcspCustomCname: aws.String("ocsp.example.test")}}},
				"InvalidArgsException", "only Enabled=false"},
			{"ReservedTag", &acmpca.CreateCertificateAuthorityInput{Tags: []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("x")}}},
				"InvalidTagException", "reserved"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				if in.CertificateAuthorityConfiguration == nil {
					in.CertificateAuthorityConfiguration = ecConfig("x")
				}
				in.CertificateAuthorityType = types.CertificateAuthorityTypeRoot
				_, err := c.CreateCertificateAuthority(context.Background(), in)
				wantAPIError(t, err, tc.code, tc.msg)
			})
		}
		// Nothing was saved by any refused call.
		out, err := c.ListCertificateAuthorities(context.Background(), &acmpca.ListCertificateAuthoritiesInput{})
		if err != nil || len(out.CertificateAuthorities) != 0 {
			t.Fatalf("refused creates left %d CAs (%v)", len(out.CertificateAuthorities), err)
		}
	})
}

func TestRevocationConfigurationEcho(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{RevocationConfiguration: &types.RevocationConfiguration{
			CrlConfiguration:  &types.CrlConfiguration{Enabled: aws.Bool(true), ExpirationInDays: aws.Int32(7), S3BucketName: aws.String("crl-bucket"), CustomCname: aws.String("crl.example.test")},
			OcspConfiguration: &types.OcspConfiguration{Enabled: aws.Bool(true), OcspCustomCname: aws.String("ocsp.example.test")},
		}})
		rc := describe(t, c, arn).RevocationConfiguration
		crl := rc.CrlConfiguration
		if !*crl.Enabled || *crl.ExpirationInDays != 7 || *crl.S3BucketName != "crl-bucket" || crl.S3ObjectAcl != types.S3ObjectAclPublicRead ||
			*crl.CustomCname != "crl.example.test" || crl.CrlType != types.CrlTypeComplete {
			t.Fatalf("CRL configuration: %+v", crl)
		}
		if !*rc.OcspConfiguration.Enabled || *rc.OcspConfiguration.OcspCustomCname != "ocsp.example.test" {
			t.Fatalf("OCSP configuration: %+v", rc.OcspConfiguration)
		}

		// CRLs only: OCSP still describes, as {"Enabled": false}.
		arn = create(t, c, &acmpca.CreateCertificateAuthorityInput{RevocationConfiguration: crlConfig("crl-bucket", "")})
		rc = describe(t, c, arn).RevocationConfiguration
		crl = rc.CrlConfiguration
		if !*crl.Enabled || *crl.ExpirationInDays != 7 || *crl.S3BucketName != "crl-bucket" || crl.S3ObjectAcl != types.S3ObjectAclPublicRead {
			t.Fatalf("CRL configuration: %+v", crl)
		}
		if o := rc.OcspConfiguration; o == nil || o.Enabled == nil || *o.Enabled || o.OcspCustomCname != nil {
			t.Fatalf("OCSP configuration of a CRL-only CA: %+v", o)
		}
	})
}

func TestCreateIdempotency(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		tok := aws.String("token-1")
		a := create(t, c, &acmpca.CreateCertificateAuthorityInput{IdempotencyToken: tok})
		e.clock.Advance(4 * time.Minute)
		if b := create(t, c, &acmpca.CreateCertificateAuthorityInput{IdempotencyToken: tok}); b != a {
			t.Fatalf("same token within 5 minutes made a new CA: %s != %s", b, a)
		}
		if b := create(t, c, &acmpca.CreateCertificateAuthorityInput{IdempotencyToken: aws.String("token-2")}); b == a {
			t.Fatal("another token returned the same CA")
		}
		e.clock.Advance(2 * time.Minute)
		if b := create(t, c, &acmpca.CreateCertificateAuthorityInput{IdempotencyToken: tok}); b == a {
			t.Fatal("a token older than 5 minutes returned the same CA")
		}
		out, _ := c.ListCertificateAuthorities(context.Background(), &acmpca.ListCertificateAuthoritiesInput{})
		if len(out.CertificateAuthorities) != 3 {
			t.Fatalf("%d CAs listed, want 3", len(out.CertificateAuthorities))
		}
	})
}

func TestListPaging(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		want := map[string]bool{}
		for i := range 5 {
			want[create(t, c, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: ecConfig(fmt.Sprint("ca", i))})] = true
		}
		p := acmpca.NewListCertificateAuthoritiesPaginator(c, &acmpca.ListCertificateAuthoritiesInput{MaxResults: aws.Int32(2)})
		pages, seen := 0, map[string]bool{}
		for p.HasMorePages() {
			out, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(out.CertificateAuthorities) > 2 {
				t.Fatalf("page of %d, MaxResults 2", len(out.CertificateAuthorities))
			}
			for _, ca := range out.CertificateAuthorities {
				seen[*ca.Arn] = true
			}
		}
		if pages != 3 || len(seen) != 5 {
			t.Fatalf("%d pages, %d CAs; want 3 and 5", pages, len(seen))
		}
		_, err := c.ListCertificateAuthorities(context.Background(), &acmpca.ListCertificateAuthoritiesInput{NextToken: aws.String("bogus")})
		wantTyped[*types.InvalidNextTokenException](t, err)
		_, err = c.ListCertificateAuthorities(context.Background(), &acmpca.ListCertificateAuthoritiesInput{MaxResults: aws.Int32(1001)})
		wantAPIError(t, err, "ValidationException", "Member must have value less than or equal to 1000")
	})
}

func TestListCapsAtOneHundred(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	for i := range 101 {
		create(t, c, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: ecConfig(fmt.Sprint("ca", i))})
	}
	out, err := c.ListCertificateAuthorities(context.Background(), &acmpca.ListCertificateAuthoritiesInput{MaxResults: aws.Int32(1000)})
	if err != nil || len(out.CertificateAuthorities) != 100 || out.NextToken == nil {
		t.Fatalf("got %d CAs, next token %v, %v; want 100 and a token", len(out.CertificateAuthorities), out.NextToken, err)
	}
}

func TestUpdate(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{})
		_, err := c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &arn, Status: types.CertificateAuthorityStatusDisabled})
		wantTyped[*types.InvalidStateException](t, err)
		wantAPIError(t, err, "InvalidStateException", "The certificate authority must be in the ACTIVE or DISABLED state to be updated")

		setStatus(t, e, arn, pca.StatusActive, e.clock.Now().AddDate(1, 0, 0))
		changed := describe(t, c, arn).LastStateChangeAt
		e.clock.Advance(time.Second)
		if _, err := c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &arn, Status: types.CertificateAuthorityStatusDisabled}); err != nil {
			t.Fatal(err)
		}
		ca := describe(t, c, arn)
		if ca.Status != types.CertificateAuthorityStatusDisabled || !ca.LastStateChangeAt.After(*changed) {
			t.Fatalf("after disable: %s, %v", ca.Status, ca.LastStateChangeAt)
		}
		_, err = c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &arn, Status: types.CertificateAuthorityStatusCreating})
		wantTyped[*types.InvalidArgsException](t, err)
		_, err = c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &arn, Status: "BOGUS"})
		wantAPIError(t, err, "ValidationException", "Value 'BOGUS' at 'status' failed to satisfy constraint: Member must satisfy enum value set")

		if _, err := c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &arn, Status: types.CertificateAuthorityStatusActive,
			RevocationConfiguration: &types.RevocationConfiguration{OcspConfiguration: &types.OcspConfiguration{Enabled: aws.Bool(true)}}}); err != nil {
			t.Fatal(err)
		}
		ca = describe(t, c, arn)
		if ca.Status != types.CertificateAuthorityStatusActive || !*ca.RevocationConfiguration.OcspConfiguration.Enabled {
			t.Fatalf("after enable: %s %+v", ca.Status, ca.RevocationConfiguration.OcspConfiguration)
		}
		_, err = c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &arn,
			RevocationConfiguration: &types.RevocationConfiguration{CrlConfiguration: &types.CrlConfiguration{Enabled: aws.Bool(false), S3BucketName: aws.String("crl-bucket")}}})
		wantTyped[*types.InvalidArgsException](t, err)
		if !*describe(t, c, arn).RevocationConfiguration.OcspConfiguration.Enabled {
			t.Fatal("a refused update changed the configuration")
		}
	})
}

func TestExpiredCA(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{})
		setStatus(t, e, arn, pca.StatusActive, e.clock.Now().Add(time.Hour))
		e.clock.Advance(2 * time.Hour)
		if st := describe(t, c, arn).Status; st != types.CertificateAuthorityStatusExpired {
			t.Fatalf("status %s, want EXPIRED", st)
		}
		list, _ := c.ListCertificateAuthorities(context.Background(), &acmpca.ListCertificateAuthoritiesInput{})
		if list.CertificateAuthorities[0].Status != types.CertificateAuthorityStatusExpired {
			t.Fatal("List does not report EXPIRED")
		}
		_, err := c.UpdateCertificateAuthority(context.Background(), &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &arn, Status: types.CertificateAuthorityStatusDisabled})
		wantTyped[*types.InvalidStateException](t, err)
		sig := types.SigningAlgorithmSha256withecdsa
		_, err = c.IssueCertificate(context.Background(), &acmpca.IssueCertificateInput{CertificateAuthorityArn: &arn, SigningAlgorithm: sig,
			Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "leaf"), Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)}})
		wantAPIError(t, err, "InvalidStateException", "The certificate authority is not in a valid state for issuing certificates")
		// An expired CA may be deleted with a restoration window.
		if _, err := c.DeleteCertificateAuthority(context.Background(), &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: &arn}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDeleteAndRestore(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		active := create(t, c, &acmpca.CreateCertificateAuthorityInput{})
		setStatus(t, e, active, pca.StatusActive, e.clock.Now().AddDate(1, 0, 0))
		_, err := c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: &active})
		wantTyped[*types.InvalidStateException](t, err)

		// listed returns a CA's status in ListCertificateAuthorities, "" when it is not listed.
		listed := func(arn string) types.CertificateAuthorityStatus {
			t.Helper()
			list, err := c.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
			if err != nil {
				t.Fatal(err)
			}
			for _, ca := range list.CertificateAuthorities {
				if *ca.Arn == arn {
					return ca.Status
				}
			}
			return ""
		}

		// PENDING_CERTIFICATE, default window of 30 days.
		pending := create(t, c, &acmpca.CreateCertificateAuthorityInput{})
		ownCSR := csrOf(t, c, pending)
		if _, err := c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: &pending}); err != nil {
			t.Fatal(err)
		}
		ca := describe(t, c, pending)
		if ca.Status != types.CertificateAuthorityStatusDeleted || ca.RestorableUntil == nil ||
			ca.RestorableUntil.Sub(e.clock.Now()).Round(time.Hour) != 30*24*time.Hour {
			t.Fatalf("after delete: %s until %v", ca.Status, ca.RestorableUntil)
		}
		_, err = c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: &pending})
		wantTyped[*types.InvalidStateException](t, err)
		_, err = c.TagCertificateAuthority(ctx, &acmpca.TagCertificateAuthorityInput{CertificateAuthorityArn: &pending, Tags: []types.Tag{{Key: aws.String("k")}}})
		wantTyped[*types.InvalidStateException](t, err)
		_, err = c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &pending, Status: types.CertificateAuthorityStatusActive})
		wantTyped[*types.InvalidStateException](t, err)
		_, err = c.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: &pending})
		wantTyped[*types.InvalidStateException](t, err)
		// Not even the root's own certificate, which it could issue before deletion.
		_, err = c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: &pending, Csr: ownCSR, SigningAlgorithm: types.SigningAlgorithmSha256withecdsa,
			TemplateArn: aws.String(templatePrefix + "RootCACertificate/V1"), Validity: &types.Validity{Type: types.ValidityPeriodTypeYears, Value: aws.Int64(1)}})
		wantTyped[*types.InvalidStateException](t, err)
		wantAPIError(t, err, "InvalidStateException", "The certificate authority is not in a valid state for issuing certificates")
		if _, err := c.RestoreCertificateAuthority(ctx, &acmpca.RestoreCertificateAuthorityInput{CertificateAuthorityArn: &pending}); err != nil {
			t.Fatal(err)
		}
		if ca := describe(t, c, pending); ca.Status != types.CertificateAuthorityStatusPendingCertificate || ca.RestorableUntil != nil {
			t.Fatalf("after restore: %s %v", ca.Status, ca.RestorableUntil)
		}
		_, err = c.RestoreCertificateAuthority(ctx, &acmpca.RestoreCertificateAuthorityInput{CertificateAuthorityArn: &pending})
		wantTyped[*types.InvalidStateException](t, err)

		// DISABLED, 7-day window, restored to DISABLED, then re-enabled.
		setStatus(t, e, active, pca.StatusDisabled, e.clock.Now().AddDate(1, 0, 0))
		if _, err := c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: &active, PermanentDeletionTimeInDays: aws.Int32(7)}); err != nil {
			t.Fatal(err)
		}
		if ca := describe(t, c, active); ca.RestorableUntil.Sub(e.clock.Now()).Round(time.Hour) != 7*24*time.Hour {
			t.Fatalf("7-day window: %v", ca.RestorableUntil)
		}
		if st := listed(active); st != types.CertificateAuthorityStatusDeleted {
			t.Fatalf("a CA inside its window is listed as %q, want DELETED", st)
		}
		if _, err := c.RestoreCertificateAuthority(ctx, &acmpca.RestoreCertificateAuthorityInput{CertificateAuthorityArn: &active}); err != nil {
			t.Fatal(err)
		}
		if st := describe(t, c, active).Status; st != types.CertificateAuthorityStatusDisabled {
			t.Fatalf("restored to %s, want DISABLED", st)
		}
		if _, err := c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &active, Status: types.CertificateAuthorityStatusActive}); err != nil {
			t.Fatal(err)
		}

		for _, days := range []int32{6, 31} {
			_, err = c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: &pending, PermanentDeletionTimeInDays: aws.Int32(days)})
			wantAPIError(t, err, "ValidationException", "permanentDeletionTimeInDays")
		}

		// After the window the CA is gone.
		if _, err := c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: &pending, PermanentDeletionTimeInDays: aws.Int32(7)}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(7*24*time.Hour + time.Minute)
		_, err = c.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: &pending})
		wantTyped[*types.ResourceNotFoundException](t, err)
		_, err = c.RestoreCertificateAuthority(ctx, &acmpca.RestoreCertificateAuthorityInput{CertificateAuthorityArn: &pending})
		wantTyped[*types.ResourceNotFoundException](t, err)
		if listed(pending) != "" {
			t.Fatal("a purged CA is still listed")
		}
		if n, err := e.srv.domain.PurgeExpiredDeletions(ctx); err != nil || n != 1 {
			t.Fatalf("sweeper purged %d (%v), want 1", n, err)
		}

		// CREATING and FAILED CAs are removed at once, with no window.
		for _, st := range []pca.Status{pca.StatusCreating, pca.StatusFailed} {
			arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{})
			setStatus(t, e, arn, st, time.Time{})
			if _, err := c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: &arn}); err != nil {
				t.Fatalf("delete %s: %v", st, err)
			}
			_, err = c.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: &arn})
			wantTyped[*types.ResourceNotFoundException](t, err)
			_, err = c.RestoreCertificateAuthority(ctx, &acmpca.RestoreCertificateAuthorityInput{CertificateAuthorityArn: &arn})
			wantTyped[*types.ResourceNotFoundException](t, err)
			if listed(arn) != "" {
				t.Fatalf("a deleted %s CA is still listed", st)
			}
		}
	})
}

func TestTags(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("pki")}, {Key: aws.String("env"), Value: aws.String("dev")}}})
		tags := func() map[string]string {
			out, err := c.ListTags(ctx, &acmpca.ListTagsInput{CertificateAuthorityArn: &arn})
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]string{}
			for _, tg := range out.Tags {
				m[*tg.Key] = aws.ToString(tg.Value)
			}
			return m
		}
		if got := tags(); len(got) != 2 || got["team"] != "pki" {
			t.Fatalf("tags after create: %v", got)
		}
		if _, err := c.TagCertificateAuthority(ctx, &acmpca.TagCertificateAuthorityInput{CertificateAuthorityArn: &arn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
			t.Fatal(err)
		}
		if got := tags(); got["env"] != "prod" {
			t.Fatalf("overwrite: %v", got)
		}
		_, err := c.TagCertificateAuthority(ctx, &acmpca.TagCertificateAuthorityInput{CertificateAuthorityArn: &arn, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})
		wantTyped[*types.InvalidTagException](t, err)
		_, err = c.TagCertificateAuthority(ctx, &acmpca.TagCertificateAuthorityInput{CertificateAuthorityArn: &arn, Tags: []types.Tag{{Key: aws.String("bad!key")}}})
		wantAPIError(t, err, "ValidationException", "tags.1.member.key")

		var many []types.Tag
		for i := range 48 {
			many = append(many, types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")})
		}
		if _, err := c.TagCertificateAuthority(ctx, &acmpca.TagCertificateAuthorityInput{CertificateAuthorityArn: &arn, Tags: many}); err != nil {
			t.Fatalf("50 tags: %v", err)
		}
		_, err = c.TagCertificateAuthority(ctx, &acmpca.TagCertificateAuthorityInput{CertificateAuthorityArn: &arn, Tags: []types.Tag{{Key: aws.String("one-too-many")}}})
		wantTyped[*types.TooManyTagsException](t, err)

		p := acmpca.NewListTagsPaginator(c, &acmpca.ListTagsInput{CertificateAuthorityArn: &arn, MaxResults: aws.Int32(20)})
		n, pages := 0, 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n, pages = n+len(out.Tags), pages+1
		}
		if n != 50 || pages != 3 {
			t.Fatalf("paged %d tags in %d pages, want 50 in 3", n, pages)
		}

		// Untag: without a value removes; with a different value keeps.
		if _, err := c.UntagCertificateAuthority(ctx, &acmpca.UntagCertificateAuthorityInput{CertificateAuthorityArn: &arn,
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("other")}, {Key: aws.String("env")}, {Key: aws.String("absent")}}}); err != nil {
			t.Fatal(err)
		}
		got := tags()
		if _, ok := got["env"]; ok || got["team"] != "pki" || len(got) != 49 {
			t.Fatalf("after untag: team=%q env present=%v, %d tags", got["team"], ok, len(got))
		}
	})
}

func TestARNHandling(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{})
		id := arn[strings.LastIndex(arn, "/")+1:]
		tests := []struct {
			name, arn, code string
		}{
			{"FailsModelPattern", "arn:aws:s3:::bucket", "ValidationException"},
			{"NotACertificateAuthority", "arn:aws:acm-pca:us-east-1:" + testAccount + ":template/EndEntityCertificate", "InvalidArnException"},
			{"NotAUUID", "arn:aws:acm-pca:us-east-1:" + testAccount + ":certificate-authority/nope", "InvalidArnException"},
			{"UnknownCA", "arn:aws:acm-pca:us-east-1:" + testAccount + ":certificate-authority/00000000-0000-4000-8000-000000000000", "ResourceNotFoundException"},
			{"OtherRegion", "arn:aws:acm-pca:eu-west-1:" + testAccount + ":certificate-authority/" + id, "ResourceNotFoundException"},
			{"OtherAccount", "arn:aws:acm-pca:us-east-1:999999999999:certificate-authority/" + id, "AccessDeniedException"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: aws.String(tc.arn)})
				wantAPIError(t, err, tc.code, "")
			})
		}
		_, err := c.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: aws.String("arn:aws:acm-pca:us-east-1:999999999999:certificate-authority/" + id)})
		wantAPIError(t, err, "AccessDeniedException", "is not authorized to perform: acm-pca:DescribeCertificateAuthority on resource")
	})
}
