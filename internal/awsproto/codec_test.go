package awsproto_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/openpca/openpca/internal/acmpca/api"
	"github.com/openpca/openpca/internal/awsproto"
)

func TestAsHelpers(t *testing.T) {
	ts, err := awsproto.AsTimestamp(json.Number("1700000000.1234"), "t")
	if err != nil || !ts.Equal(time.UnixMilli(1700000000123)) {
		t.Errorf("AsTimestamp(fraction) = %v, %v", ts, err)
	}
	if _, err := awsproto.AsTimestamp(json.Number("1e300"), "t"); err == nil {
		t.Error("AsTimestamp accepted a timestamp far beyond year 9999")
	}
	b, err := awsproto.AsBlob("", "b")
	if err != nil || b == nil || len(b) != 0 {
		t.Errorf(`AsBlob("") = %v, %v; want an empty, non-nil blob`, b, err)
	}
	if _, err := awsproto.AsInt32(json.Number("1.5"), "i"); err == nil {
		t.Error("AsInt32 accepted a fraction")
	}
	if n, err := awsproto.AsInt64(json.Number("-9223372036854775808"), "i"); err != nil || n != -1<<63 {
		t.Errorf("AsInt64(min) = %d, %v", n, err)
	}
	_, err = awsproto.AsBool("true", "a.b")
	var se *awsproto.SerializationError
	if !errors.As(err, &se) || se.Path != "a.b" || se.Error() != "Expected boolean at 'a.b', got string" {
		t.Errorf("AsBool(string) = %v", err)
	}
}

func TestCBORKinds(t *testing.T) {
	body := cbor.Encode(cbor.Map{
		"u": cbor.Uint(7), "n": cbor.NegInt(7), "f": cbor.Float64(0.5), "h": cbor.Float32(2),
		"b": cbor.Slice{1, 2}, "s": cbor.String("x"), "t": &cbor.Tag{ID: 1, Value: cbor.Float64(1.5)},
		"ti": &cbor.Tag{ID: 1, Value: cbor.Uint(2)}, "z": &cbor.Nil{}, "l": cbor.List{cbor.Bool(true)},
	})
	got, err := awsproto.DecodeCBOR(body)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"u": json.Number("7"), "n": json.Number("-7"), "f": json.Number("0.5"), "h": json.Number("2"),
		"b": []byte{1, 2}, "s": "x", "t": time.UnixMilli(1500).UTC(), "ti": time.Unix(2, 0).UTC(),
		"z": nil, "l": []any{true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	for name, v := range map[string]cbor.Value{
		"NaN":       cbor.Float64(nanValue()),
		"other tag": &cbor.Tag{ID: 2, Value: cbor.Slice{1}},
		"bad UTF-8": cbor.String("\xff"),
	} {
		if _, err := awsproto.DecodeCBOR(cbor.Encode(cbor.Map{"v": v})); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestEncodeJSON(t *testing.T) {
	b, err := awsproto.EncodeJSON(map[string]any{
		"t": time.UnixMilli(1500).UTC(), "w": time.Unix(2, 0), "b": []byte{1, 2, 3}, "n": awsproto.Number(-3), "s": "<&>",
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"b":"AQID","n":-3,"s":"<&>","t":1.5,"w":2}`; string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	if _, err := awsproto.EncodeJSON(map[string]any{"x": 1}); err == nil {
		t.Error("an int (not a value tree kind) was encoded")
	}
}

// fuzzService accepts any valid CreateCertificateAuthority input.
type fuzzService struct{ api.UnimplementedService }

func (fuzzService) CreateCertificateAuthority(context.Context, *api.CreateCertificateAuthorityInput) (*api.CreateCertificateAuthorityOutput, error) {
	return &api.CreateCertificateAuthorityOutput{CertificateAuthorityArn: &[]string{caArn}[0]}, nil
}

var fuzzOp = api.Operations(fuzzService{})["CreateCertificateAuthority"]

// checkTree runs the generated decoder on a decoded tree (which must not
// panic), and checks that encoding and decoding the tree again changes nothing.
func checkTree(t *testing.T, tree map[string]any, encode func(map[string]any) ([]byte, error), decode func([]byte) (map[string]any, error)) {
	if _, err := fuzzOp(context.Background(), tree); err != nil {
		var ae awsproto.Error
		if !errors.As(err, &ae) || ae.HTTPStatus() != 400 {
			t.Fatalf("decoder failed with %v (%T), want a 400 awsproto.Error", err, err)
		}
	}
	b, err := encode(tree)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	again, err := decode(b)
	if err != nil {
		t.Fatalf("decode re-encoded %q: %v", b, err)
	}
	if !reflect.DeepEqual(tree, again) {
		t.Fatalf("round trip changed the tree:\n%#v\n%#v", tree, again)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"CertificateAuthorityType":"ROOT","CertificateAuthorityConfiguration":{"KeyAlgorithm":"RSA_2048","SigningAlgorithm":"SHA256WITHRSA","Subject":{"CommonName":"x"}},"Tags":[{"Key":"k","Value":"v"}]}`))
	f.Add([]byte(`{"RevocationConfiguration":{"CrlConfiguration":{"Enabled":true,"ExpirationInDays":1e3}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tree, err := awsproto.DecodeJSON(body)
		if err != nil {
			var se *awsproto.SerializationError
			if !errors.As(err, &se) {
				t.Fatalf("DecodeJSON error %v (%T), want *SerializationError", err, err)
			}
			return
		}
		checkTree(t, tree, awsproto.EncodeJSON, awsproto.DecodeJSON)
	})
}

func FuzzDecodeCBOR(f *testing.F) {
	f.Add(cbor.Encode(cbor.Map{
		"CertificateAuthorityType": cbor.String("ROOT"),
		"CertificateAuthorityConfiguration": cbor.Map{
			"KeyAlgorithm": cbor.String("EC_prime256v1"), "SigningAlgorithm": cbor.String("SHA256WITHECDSA"),
			"Subject": cbor.Map{"CommonName": cbor.String("x")},
		},
		"Tags": cbor.List{cbor.Map{"Key": cbor.String("k")}},
	}))
	f.Add([]byte("\xbf\x6aMaxResults\x0a\xff")) // an indefinite-length map, as the Go SDK sends
	f.Fuzz(func(t *testing.T, body []byte) {
		tree, err := awsproto.DecodeCBOR(body)
		if err != nil {
			var se *awsproto.SerializationError
			if !errors.As(err, &se) {
				t.Fatalf("DecodeCBOR error %v (%T), want *SerializationError", err, err)
			}
			return
		}
		checkTree(t, tree, awsproto.EncodeCBOR, awsproto.DecodeCBOR)
		if len(body) == 0 {
			return
		}
		// A CBOR data item delimits itself: nothing may follow an accepted
		// body, and no shorter part of it is a whole item.
		if _, err := awsproto.DecodeCBOR(append(body[:len(body):len(body)], 0)); err == nil {
			t.Fatalf("accepted %x with a byte appended", body)
		}
		if len(body) <= 256 {
			for n := 1; n < len(body); n++ {
				if _, err := awsproto.DecodeCBOR(body[:n]); err == nil {
					t.Fatalf("accepted %x and its prefix %x", body, body[:n])
				}
			}
		}
	})
}
