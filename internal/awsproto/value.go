package awsproto

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// The value tree is what codecs and generated code exchange. A decoded body
// is a map[string]any whose values are built from these kinds only:
//
//	map[string]any  structure (or map)
//	[]any           list
//	string, bool    scalars
//	nil             JSON null / CBOR null or undefined; treated as absent
//	json.Number     every number, from JSON and CBOR alike
//	[]byte          CBOR byte string (JSON sends blobs as base64 strings)
//	time.Time       CBOR tag 1 (JSON sends epoch seconds as numbers)
//
// Output trees use the same kinds. Keeping numbers as json.Number defers
// range checks to the generated decoder, which knows the member's type.

// Timestamps outside years 1..9999 are refused: they are never meaningful for
// this API and keeping them out avoids overflow in conversions.
const (
	minEpochSeconds = -62135596800 // 0001-01-01T00:00:00Z
	maxEpochSeconds = 253402300799 // 9999-12-31T23:59:59Z
)

// Join appends a member name to a validation or serialization path.
func Join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

// Elem returns the path of the i-th (0-based) list element, rendered 1-based
// as AWS does: "tags.1.member".
func Elem(path string, i int) string {
	return path + "." + strconv.Itoa(i+1) + ".member"
}

// AsMap returns v as a structure.
func AsMap(v any, path string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, mismatch("structure", v, path)
	}
	return m, nil
}

// AsList returns v as a list.
func AsList(v any, path string) ([]any, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, mismatch("list", v, path)
	}
	return l, nil
}

// AsString returns v as a string.
func AsString(v any, path string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", mismatch("string", v, path)
	}
	return s, nil
}

// AsBool returns v as a boolean.
func AsBool(v any, path string) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, mismatch("boolean", v, path)
	}
	return b, nil
}

// AsInt32 returns v as a 32-bit integer; fractions and out-of-range values are refused.
func AsInt32(v any, path string) (int32, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, mismatch("integer", v, path)
	}
	i, err := strconv.ParseInt(string(n), 10, 32)
	if err != nil {
		return 0, serializationf(path, "Value %s at %s is not a 32-bit integer", truncate(string(n)), at(path))
	}
	return int32(i), nil
}

// AsInt64 returns v as a 64-bit integer; fractions and out-of-range values are refused.
func AsInt64(v any, path string) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, mismatch("long", v, path)
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, serializationf(path, "Value %s at %s is not a 64-bit integer", truncate(string(n)), at(path))
	}
	return i, nil
}

// AsBlob returns v as bytes: a CBOR byte string, or the base64 string JSON sends.
func AsBlob(v any, path string) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case string:
		out, err := base64.StdEncoding.DecodeString(b)
		if err != nil {
			return nil, serializationf(path, "Value at %s is not valid base64", at(path))
		}
		return out, nil // never nil, so an empty blob stays distinct from an absent one
	default:
		return nil, mismatch("blob", v, path)
	}
}

// AsTimestamp returns v as a time: a CBOR tag 1 value, or a number of epoch
// seconds (fractions allowed, kept to the millisecond) as JSON sends.
func AsTimestamp(v any, path string) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return time.Time{}, serializationf(path, "Value %s at %s is not a timestamp", truncate(string(t)), at(path))
		}
		ts, ok := epochSeconds(f)
		if !ok {
			return time.Time{}, serializationf(path, "Value %s at %s is out of range for a timestamp", truncate(string(t)), at(path))
		}
		return ts, nil
	default:
		return time.Time{}, mismatch("timestamp", v, path)
	}
}

// epochSeconds converts fractional epoch seconds to a UTC time with
// millisecond precision, the precision AWS timestamps carry.
func epochSeconds(f float64) (time.Time, bool) {
	if math.IsNaN(f) || f < minEpochSeconds || f > maxEpochSeconds {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(math.Round(f * 1000))).UTC(), true
}

// epochString renders t as epoch seconds with at most millisecond precision.
func epochString(t time.Time) json.Number {
	return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
}

func mismatch(want string, v any, path string) error {
	return serializationf(path, "Expected %s at %s, got %s", want, at(path), kindName(v))
}

// at names a location in a message: a quoted path, or the body itself.
func at(path string) string {
	if path == "" {
		return "the top level"
	}
	return "'" + path + "'"
}

func kindName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "structure"
	case []any:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case []byte:
		return "blob"
	case time.Time:
		return "timestamp"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// Number makes an output tree number from an integer.
func Number(n int64) json.Number {
	return json.Number(strconv.FormatInt(n, 10))
}
