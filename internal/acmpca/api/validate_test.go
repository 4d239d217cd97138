package api

import (
	"errors"
	"strings"
	"testing"

	"github.com/openpca/openpca/internal/awsproto"
)

func ptr[T any](v T) *T { return &v }

const (
	caArn     = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"
	arnSyntax = `arn:[\w+=/,.@-]+:acm-pca:[\w+=/,.@-]*:[0-9]*:[\w+=,.@-]+(/[\w+=,.@-]+)*`
	keyAlgs   = "[RSA_2048, RSA_3072, RSA_4096, EC_prime256v1, EC_secp384r1, EC_secp521r1, ML_DSA_44, ML_DSA_65, ML_DSA_87, SM2]"
)

func validCreateCA() *CreateCertificateAuthorityInput {
	return &CreateCertificateAuthorityInput{
		CertificateAuthorityType: CertificateAuthorityTypeRoot,
		CertificateAuthorityConfiguration: &CertificateAuthorityConfiguration{
			KeyAlgorithm:     KeyAlgorithmEcPrime256v1,
			SigningAlgorithm: SigningAlgorithmSha256withecdsa,
			Subject:          &ASN1Subject{CommonName: ptr("Example Root"), Country: ptr("DE")},
		},
		Tags: []Tag{{Key: ptr("team"), Value: ptr("pki")}},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		input interface{ Validate() error }
		want  string // "" means valid
	}{
		{
			name:  "valid",
			input: validCreateCA(),
		},
		{
			name:  "required missing",
			input: &DescribeCertificateAuthorityInput{},
			want:  "1 validation error detected: Value null at 'certificateAuthorityArn' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "enum wrong",
			input: func() *CreateCertificateAuthorityInput {
				in := validCreateCA()
				in.CertificateAuthorityConfiguration.KeyAlgorithm = "FOO"
				return in
			}(),
			want: "1 validation error detected: Value 'FOO' at 'certificateAuthorityConfiguration.keyAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: " + keyAlgs,
		},
		{
			name:  "too long",
			input: &DescribeCertificateAuthorityInput{CertificateAuthorityArn: ptr(caArn + strings.Repeat("a", 201-len(caArn)))},
			want:  "1 validation error detected: Value '" + caArn + strings.Repeat("a", 201-len(caArn)) + "' at 'certificateAuthorityArn' failed to satisfy constraint: Member must have length less than or equal to 200",
		},
		{
			name:  "too short",
			input: &CreatePermissionInput{CertificateAuthorityArn: ptr(caArn), Principal: ptr("acm.amazonaws.com"), Actions: []ActionType{ActionTypeIssueCertificate}, SourceAccount: ptr("123")},
			want:  "1 validation error detected: Value '123' at 'sourceAccount' failed to satisfy constraint: Member must have length greater than or equal to 12",
		},
		{
			name:  "empty list too short",
			input: &TagCertificateAuthorityInput{CertificateAuthorityArn: ptr(caArn), Tags: []Tag{}},
			want:  "1 validation error detected: Value '[]' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
		{
			name:  "empty blob too short, length shown instead of content",
			input: &ImportCertificateAuthorityCertificateInput{CertificateAuthorityArn: ptr(caArn), Certificate: []byte{}},
			want:  "1 validation error detected: Value '(0 bytes)' at 'certificate' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
		{
			name:  "below range",
			input: &ListCertificateAuthoritiesInput{MaxResults: ptr(int32(0))},
			want:  "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
		},
		{
			name:  "above range",
			input: &DeleteCertificateAuthorityInput{CertificateAuthorityArn: ptr(caArn), PermanentDeletionTimeInDays: ptr(int32(31))},
			want:  "1 validation error detected: Value '31' at 'permanentDeletionTimeInDays' failed to satisfy constraint: Member must have value less than or equal to 30",
		},
		{
			name:  "pattern mismatch",
			input: &DescribeCertificateAuthorityInput{CertificateAuthorityArn: ptr("arn:aws:kms:us-east-1:1:key/x")},
			want:  "1 validation error detected: Value 'arn:aws:kms:us-east-1:1:key/x' at 'certificateAuthorityArn' failed to satisfy constraint: Member must satisfy regular expression pattern: " + arnSyntax,
		},
		{
			name:  "nested list element path",
			input: &TagCertificateAuthorityInput{CertificateAuthorityArn: ptr(caArn), Tags: []Tag{{Key: ptr("ok")}, {Value: ptr("v")}}},
			want:  "1 validation error detected: Value null at 'tags.2.member.key' failed to satisfy constraint: Member must not be null",
		},
		{
			name:  "enum list element path",
			input: &CreatePermissionInput{CertificateAuthorityArn: ptr(caArn), Principal: ptr("acm.amazonaws.com"), Actions: []ActionType{"GetCertificate", "Bad"}},
			want:  "1 validation error detected: Value 'Bad' at 'actions.2.member' failed to satisfy constraint: Member must satisfy enum value set: [IssueCertificate, GetCertificate, ListPermissions]",
		},
		{
			name: "deeply nested",
			input: &IssueCertificateInput{
				CertificateAuthorityArn: ptr(caArn), Csr: []byte("csr"), SigningAlgorithm: SigningAlgorithmSha256withrsa,
				Validity: &Validity{Type: ValidityPeriodTypeDays, Value: ptr(int64(1))},
				ApiPassthrough: &ApiPassthrough{Extensions: &Extensions{
					SubjectAlternativeNames: []GeneralName{{DnsName: ptr("a.example")}, {OtherName: &OtherName{TypeId: ptr("1.2.3")}}},
				}},
			},
			want: "1 validation error detected: Value null at 'apiPassthrough.extensions.subjectAlternativeNames.2.member.otherName.value' failed to satisfy constraint: Member must not be null",
		},
		{
			name:  "several violations",
			input: &IssueCertificateInput{Validity: &Validity{Type: "WEEKS", Value: ptr(int64(0))}},
			want: "5 validation errors detected: " +
				"Value null at 'certificateAuthorityArn' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'csr' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'signingAlgorithm' failed to satisfy constraint: Member must not be null; " +
				"Value 'WEEKS' at 'validity.type' failed to satisfy constraint: Member must satisfy enum value set: [END_DATE, ABSOLUTE, DAYS, MONTHS, YEARS]; " +
				"Value '0' at 'validity.value' failed to satisfy constraint: Member must have value greater than or equal to 1",
		},
		{
			name:  "one value failing two constraints",
			input: &DescribeCertificateAuthorityInput{CertificateAuthorityArn: ptr("arn")},
			want: "2 validation errors detected: " +
				"Value 'arn' at 'certificateAuthorityArn' failed to satisfy constraint: Member must have length greater than or equal to 5; " +
				"Value 'arn' at 'certificateAuthorityArn' failed to satisfy constraint: Member must satisfy regular expression pattern: " + arnSyntax,
		},
		{
			name:  "long values are truncated in the message",
			input: &ListTagsInput{CertificateAuthorityArn: ptr(caArn), NextToken: ptr(strings.Repeat("x", 43740))},
			want:  "1 validation error detected: Value '" + strings.Repeat("x", 256) + "...' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 43739",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.input.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *awsproto.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v (%T), want *awsproto.ValidationError", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("message:\n got %s\nwant %s", got, tt.want)
			}
			if ve.ErrorCode() != "ValidationException" || ve.HTTPStatus() != 400 {
				t.Errorf("code %s status %d, want ValidationException 400", ve.ErrorCode(), ve.HTTPStatus())
			}
		})
	}
}

func TestEnumValues(t *testing.T) {
	vals := KeyAlgorithm("").Values()
	if len(vals) == 0 || vals[0] != KeyAlgorithmRsa2048 {
		t.Fatalf("Values() = %v", vals)
	}
	for _, v := range vals {
		if !v.Valid() {
			t.Errorf("%s.Valid() = false", v)
		}
	}
	if KeyAlgorithm("RSA_1024").Valid() {
		t.Error("RSA_1024 is valid")
	}
}
