package api

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/awsproto"
)

// A decoded output re-encodes to the tree it came from: every member kind
// (string, enum, timestamp, nested structure, list, boolean, integer) survives.
func TestCodecRoundTrip(t *testing.T) {
	created := time.UnixMilli(1700000000123).UTC()
	tree := map[string]any{
		"CertificateAuthority": map[string]any{
			"Arn":       caArn,
			"CreatedAt": created,
			"Status":    "ACTIVE",
			"Type":      "ROOT",
			"CertificateAuthorityConfiguration": map[string]any{
				"KeyAlgorithm":     "RSA_2048",
				"SigningAlgorithm": "SHA256WITHRSA",
				"Subject":          map[string]any{"CommonName": "Root", "CustomAttributes": []any{map[string]any{"ObjectIdentifier": "1.2.3", "Value": "x"}}},
				"CsrExtensions":    map[string]any{"KeyUsage": map[string]any{"KeyCertSign": true, "CRLSign": false}},
			},
			"RevocationConfiguration": map[string]any{
				"CrlConfiguration": map[string]any{"Enabled": true, "ExpirationInDays": json.Number("7")},
			},
		},
	}
	out, err := decodeDescribeCertificateAuthorityOutput(tree, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := *out.CertificateAuthority.RevocationConfiguration.CrlConfiguration.ExpirationInDays; got != 7 {
		t.Errorf("ExpirationInDays = %d", got)
	}
	if got := out.encode(); !reflect.DeepEqual(got, tree) {
		t.Errorf("round trip:\n got %#v\nwant %#v", got, tree)
	}
}

func TestDecodeBlobFromJSON(t *testing.T) {
	in, err := decodeImportCertificateAuthorityCertificateInput(map[string]any{
		"CertificateAuthorityArn": caArn,
		"Certificate":             "AQID", // base64, as JSON 1.1 sends blobs
		"CertificateChain":        nil,    // null is absent
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in.Certificate, []byte{1, 2, 3}) || in.CertificateChain != nil {
		t.Errorf("Certificate = %v, CertificateChain = %v", in.Certificate, in.CertificateChain)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		tree map[string]any
		want string
	}{
		{"wrong kind", map[string]any{"CertificateAuthorityConfiguration": map[string]any{"KeyAlgorithm": json.Number("5")}},
			"Expected string at 'certificateAuthorityConfiguration.keyAlgorithm', got number"},
		{"not a structure", map[string]any{"CertificateAuthorityConfiguration": "x"},
			"Expected structure at 'certificateAuthorityConfiguration', got string"},
		{"null list element", map[string]any{"Tags": []any{nil}},
			"Expected structure at 'tags.1.member', got null"},
		{"integer out of range", map[string]any{"RevocationConfiguration": map[string]any{"CrlConfiguration": map[string]any{"ExpirationInDays": json.Number("4294967296")}}},
			"Value 4294967296 at 'revocationConfiguration.crlConfiguration.expirationInDays' is not a 32-bit integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeCreateCertificateAuthorityInput(tt.tree, "")
			var se *awsproto.SerializationError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *awsproto.SerializationError", err, err)
			}
			if se.Error() != tt.want {
				t.Errorf("got %q\nwant %q", se.Error(), tt.want)
			}
		})
	}
}

// Every modelled error named in OperationErrors is a generated ModeledError
// whose shape ID is namespaced, so RPC v2 CBOR clients can map it.
func TestOperationTable(t *testing.T) {
	ops := Operations(UnimplementedService{})
	if len(ops) != len(OperationNames) {
		t.Fatalf("%d operations, %d names", len(ops), len(OperationNames))
	}
	for _, name := range OperationNames {
		if _, ok := OperationErrors[name]; !ok {
			t.Errorf("%s has no OperationErrors entry", name)
		}
	}
	_, err := ops["ListTags"](context.Background(), map[string]any{"CertificateAuthorityArn": caArn})
	var ge *awsproto.GenericError
	if !errors.As(err, &ge) || ge.Code != awsproto.CodeNotImplemented || ge.Status != 501 {
		t.Errorf("unimplemented ListTags = %v", err)
	}
	var me awsproto.ModeledError = &ResourceNotFoundException{Message: "gone"}
	if me.ShapeID() != "com.amazonaws.acmpca#ResourceNotFoundException" || me.ErrorCode() != "ResourceNotFoundException" || me.Error() != "gone" {
		t.Errorf("ResourceNotFoundException: %s %s %s", me.ShapeID(), me.ErrorCode(), me.Error())
	}
}
