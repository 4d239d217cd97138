package api

import (
	"errors"
	"reflect"
	"testing"

	"github.com/openpca/openpca/internal/awsproto"
)

// input is what the generated code gives every operation input.
type input interface {
	Validate() error
	encode() map[string]any
}

// inputCheck decodes a tree as one operation's input and checks it.
type inputCheck func(t *testing.T, tree map[string]any)

func checkInput[P input](name string, decode func(any, string) (P, error)) inputCheck {
	return func(t *testing.T, tree map[string]any) {
		in, err := decode(tree, "")
		if err != nil {
			var se *awsproto.SerializationError
			if !errors.As(err, &se) || se.HTTPStatus() != 400 || se.Error() == "" {
				t.Fatalf("%s: decode failed with %v (%T), want a *SerializationError", name, err, err)
			}
			return
		}
		verr := in.Validate()
		if verr != nil {
			var ve *awsproto.ValidationError
			if !errors.As(verr, &ve) || ve.HTTPStatus() != 400 || ve.Error() == "" {
				t.Fatalf("%s: Validate failed with %v (%T), want a *ValidationError", name, verr, verr)
			}
		}
		// The decoded input encodes to a tree that decodes to it again,
		// directly and through either wire format, and validates alike.
		tree2 := in.encode()
		wires := []struct {
			name   string
			encode func(map[string]any) ([]byte, error)
			decode func([]byte) (map[string]any, error)
		}{
			{"tree", nil, nil},
			{"JSON", awsproto.EncodeJSON, awsproto.DecodeJSON},
			{"CBOR", awsproto.EncodeCBOR, awsproto.DecodeCBOR},
		}
		for _, w := range wires {
			tree3 := tree2
			if w.encode != nil {
				b, err := w.encode(tree2)
				if err != nil {
					t.Fatalf("%s: encode %s: %v", name, w.name, err)
				}
				if tree3, err = w.decode(b); err != nil {
					t.Fatalf("%s: decode re-encoded %s %q: %v", name, w.name, b, err)
				}
			}
			again, err := decode(tree3, "")
			if err != nil {
				t.Fatalf("%s: re-encoded input (%s) does not decode: %v", name, w.name, err)
			}
			if !reflect.DeepEqual(in, again) {
				t.Fatalf("%s: %s round trip changed the input:\n%#v\n%#v", name, w.name, in, again)
			}
			if e := again.Validate(); (e == nil) != (verr == nil) || (e != nil && e.Error() != verr.Error()) {
				t.Fatalf("%s: validated as %v, after the %s round trip as %v", name, verr, w.name, e)
			}
		}
	}
}

var inputChecks = []inputCheck{
	checkInput("CreateCertificateAuthority", decodeCreateCertificateAuthorityInput),
	checkInput("CreateCertificateAuthorityAuditReport", decodeCreateCertificateAuthorityAuditReportInput),
	checkInput("CreatePermission", decodeCreatePermissionInput),
	checkInput("DeleteCertificateAuthority", decodeDeleteCertificateAuthorityInput),
	checkInput("DeletePermission", decodeDeletePermissionInput),
	checkInput("DescribeCertificateAuthorityAuditReport", decodeDescribeCertificateAuthorityAuditReportInput),
	checkInput("GetCertificate", decodeGetCertificateInput),
	checkInput("ImportCertificateAuthorityCertificate", decodeImportCertificateAuthorityCertificateInput),
	checkInput("IssueCertificate", decodeIssueCertificateInput),
	checkInput("ListCertificateAuthorities", decodeListCertificateAuthoritiesInput),
	checkInput("ListPermissions", decodeListPermissionsInput),
	checkInput("ListTags", decodeListTagsInput),
	checkInput("PutPolicy", decodePutPolicyInput),
	checkInput("RevokeCertificate", decodeRevokeCertificateInput),
	checkInput("TagCertificateAuthority", decodeTagCertificateAuthorityInput),
	checkInput("UntagCertificateAuthority", decodeUntagCertificateAuthorityInput),
	checkInput("UpdateCertificateAuthority", decodeUpdateCertificateAuthorityInput),
}

// FuzzDecodeInput feeds a JSON request body, decoded to a value tree as the
// protocol layer does, to the generated decoders of the operations' inputs
// and validates what decodes. Decoding fails only with a
// SerializationError, validation only with a ValidationError, and a decoded
// input re-encodes (as a tree, JSON or CBOR) to one that decodes and
// validates the same.
func FuzzDecodeInput(f *testing.F) {
	f.Add([]byte(`{"CertificateAuthorityType":"ROOT","CertificateAuthorityConfiguration":{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"x","CustomAttributes":[{"ObjectIdentifier":"1.2.3","Value":"v"}]},"CsrExtensions":{"KeyUsage":{"KeyCertSign":true},"SubjectInformationAccess":[{"AccessMethod":{"AccessMethodType":"CA_REPOSITORY"},"AccessLocation":{"UniformResourceIdentifier":"http://x"}}]}},"RevocationConfiguration":{"CrlConfiguration":{"Enabled":true,"ExpirationInDays":7}},"Tags":[{"Key":"k","Value":"v"}]}`))
	f.Add([]byte(`{"CertificateAuthorityArn":"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555","Csr":"AQID","SigningAlgorithm":"SHA256WITHRSA","Validity":{"Type":"DAYS","Value":30},"ApiPassthrough":{"Extensions":{"CustomExtensions":[{"ObjectIdentifier":"1.2.3","Value":"BQA=","Critical":true}],"SubjectAlternativeNames":[{"DnsName":"a"},{"IpAddress":"::1"}]}}}`))
	f.Add([]byte(`{"CertificateAuthorityArn":"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555","Certificate":"","CertificateChain":null}`))
	f.Add([]byte(`{"MaxResults":0,"NextToken":"x","ResourceOwner":"OTHER_ACCOUNTS"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tree, err := awsproto.DecodeJSON(body)
		if err != nil {
			return
		}
		for _, check := range inputChecks {
			check(t, tree)
		}
	})
}
