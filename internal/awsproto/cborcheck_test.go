package awsproto_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/openpca/openpca/internal/awsproto"
)

// hostileCBOR are bodies smithy-go's decoder alone accepts or mis-reads; each
// must be refused as a SerializationException whose message contains want.
var hostileCBOR = []struct {
	name, hex, want string
}{
	{"array length 2^64-1 in a map", "a1 61 61 9b ffffffffffffffff", "exceed the remaining input"},
	{"map length 2^64-1", "bb ffffffffffffffff", "exceed the remaining input"},
	{"array length 2^63", "a1 61 61 9b 8000000000000000", "exceed the remaining input"},
	{"map length beyond the input", "a2 61 61 01", "exceed the remaining input"},
	{"text length 2^63", "a1 61 61 7b 8000000000000000", "exceeds the remaining input"},
	{"byte string longer than the input", "a1 61 61 5a 00001000 00", "exceeds the remaining input"},
	{"empty map then junk", "a0 00", "1 bytes follow the data item"},
	{"empty map then a break", "a0 ff", "follow the data item"},
	{"two maps", "a0 a0", "follow the data item"},
	{"map then text", "a1 61 61 01 63 616263", "4 bytes follow"},
	{"truncated argument", "a1 61 61 19 01", "unexpected end of input"},
	{"unterminated indefinite map", "bf 61 61 01", "unexpected end of input"},
	{"indefinite map closed by an inner break only", "bf 61 61 9f 01 ff", "unexpected end of input"},
	{"unterminated indefinite array", "a1 61 61 9f 01", "unexpected end of input"},
	{"break in place of a value", "a1 61 61 ff", "unexpected break"},
	{"break after a key in an indefinite map", "bf 61 61 ff", "unexpected break"},
	{"break at the top", "ff", "unexpected break"},
	{"break inside a definite array", "a1 61 61 82 01 ff", "unexpected break"},
	{"byte chunk in an indefinite text string", "a1 61 61 7f 41 62 ff", "not a definite-length string of major type 3"},
	{"text chunk in an indefinite byte string", "a1 61 61 5f 61 62 ff", "not a definite-length string of major type 2"},
	{"nested indefinite text string", "a1 61 61 7f 7f 61 62 ff ff", "not a definite-length string"},
	{"integer chunk in an indefinite string", "a1 61 61 7f 01 ff", "not a definite-length string"},
	{"unterminated indefinite text string", "a1 61 61 7f 61 62", "has no break"},
	{"chunk longer than the input", "a1 61 61 7f 65 6162 ff", "exceeds the remaining input"},
	{"indefinite unsigned integer", "a1 61 61 1f", "cannot have an indefinite length"},
	{"indefinite negative integer", "a1 61 61 3f", "cannot have an indefinite length"},
	{"indefinite tag", "a1 61 61 df 01", "cannot have an indefinite length"},
	{"additional information 28", "a1 61 61 1c", "reserved additional information 28"},
	{"additional information 29", "a1 61 61 5d", "reserved additional information 29"},
	{"additional information 30", "a1 61 61 9e", "reserved additional information 30"},
	{"additional information 28 in major type 7", "a1 61 61 fc", "reserved additional information 28"},
	{"reserved information at the top", "be", "reserved additional information 30"},
	{"unassigned simple value", "a1 61 61 f0", "unsupported simple value"},
	{"one-byte simple value", "a1 61 61 f8 20", "unsupported simple value"},
	{"integer key", "a1 01 01", "not a text string"},
	{"byte string key", "a1 41 61 01", "not a text string"},
	{"map key", "a1 a0 01", "not a text string"},
	{"integer key in an indefinite map", "bf 01 01 ff", "not a text string"},
	{"integer key in a nested map", "a1 61 61 a1 00 01", "not a text string"},
	{"nesting deeper than 128", "a1 61 61" + strings.Repeat("81", 200) + "01", "nesting deeper than 128"},
}

func TestDecodeCBORRefusesHostileInput(t *testing.T) {
	for _, tc := range hostileCBOR {
		t.Run(tc.name, func(t *testing.T) {
			_, err := awsproto.DecodeCBOR(hexBody(t, tc.hex))
			var se *awsproto.SerializationError
			if !errors.As(err, &se) || se.Path != "" {
				t.Fatalf("err = %v (%T), want a *SerializationError for the body", err, err)
			}
			if !strings.HasPrefix(se.Error(), "The request body is not valid CBOR: ") || !strings.Contains(se.Error(), tc.want) {
				t.Errorf("message %q does not say %q", se.Error(), tc.want)
			}
		})
	}
}

// The encodings clients do send still decode: indefinite-length maps (the
// Go SDK's), chunked strings, half-precision floats, text keys in chunks.
func TestDecodeCBORAcceptsWellFormedInput(t *testing.T) {
	for _, tc := range []struct {
		name, hex string
		want      map[string]any
	}{
		{"indefinite map", "bf 6a 4d6178526573756c7473 0a ff", map[string]any{"MaxResults": json.Number("10")}},
		{"chunked text", "a1 61 61 7f 61 62 60 62 6364 ff", map[string]any{"a": "bcd"}},
		{"chunked bytes", "a1 61 61 5f 41 01 42 0203 ff", map[string]any{"a": []byte{1, 2, 3}}},
		{"chunked key", "bf 7f 61 61 61 62 ff 01 ff", map[string]any{"ab": json.Number("1")}},
		{"float16", "a1 61 61 f9 3c00", map[string]any{"a": json.Number("1")}},
		{"indefinite array of maps", "a1 61 61 9f bf ff a0 ff", map[string]any{"a": []any{map[string]any{}, map[string]any{}}}},
		{"nesting of 128", "a1 61 61" + strings.Repeat("81", 127) + "01", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := awsproto.DecodeCBOR(hexBody(t, tc.hex))
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func hexBody(t testing.TB, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
