package awsproto

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/smithy-go/encoding/cbor"
)

// cborTagEpoch is the CBOR tag for epoch-based date/time (RFC 8949 3.4.2).
const cborTagEpoch = 1

// DecodeCBOR decodes a Smithy RPC v2 CBOR request body into a value tree. An
// empty body is an empty input; anything but exactly one well-formed map is
// refused.
func DecodeCBOR(body []byte) (map[string]any, error) {
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	if err := checkCBOR(body); err != nil {
		return nil, serializationf("", "The request body is not valid CBOR: %v", err)
	}
	return decodeCheckedCBOR(body)
}

// decodeCheckedCBOR is DecodeCBOR for a body checkCBOR has passed.
func decodeCheckedCBOR(body []byte) (map[string]any, error) {
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, serializationf("", "The request body is not valid CBOR: %v", err)
	}
	t, err := fromCBOR(v, "")
	if err != nil {
		return nil, err
	}
	m, ok := t.(map[string]any)
	if !ok {
		return nil, mismatch("structure", t, "")
	}
	return m, nil
}

func fromCBOR(v cbor.Value, path string) (any, error) {
	switch v := v.(type) {
	case cbor.Uint:
		return json.Number(strconv.FormatUint(uint64(v), 10)), nil
	case cbor.NegInt:
		if v == 0 { // -2^64, which no member type can hold
			return nil, serializationf(path, "Value at %s is out of range", at(path))
		}
		return json.Number("-" + strconv.FormatUint(uint64(v), 10)), nil
	case cbor.Float32:
		return floatNumber(float64(v), 32, path)
	case cbor.Float64:
		return floatNumber(float64(v), 64, path)
	case cbor.Slice:
		return append([]byte{}, v...), nil // never nil: an empty blob is not an absent one
	case cbor.String:
		if !utf8.ValidString(string(v)) {
			return nil, serializationf(path, "Value at %s is not valid UTF-8", at(path))
		}
		return string(v), nil
	case cbor.Bool:
		return bool(v), nil
	case *cbor.Nil, *cbor.Undefined:
		return nil, nil
	case cbor.List:
		out := make([]any, len(v))
		for i, e := range v {
			t, err := fromCBOR(e, Elem(path, i))
			if err != nil {
				return nil, err
			}
			out[i] = t
		}
		return out, nil
	case cbor.Map:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if !utf8.ValidString(k) {
				return nil, serializationf(path, "Key at %s is not valid UTF-8", at(path))
			}
			t, err := fromCBOR(e, Join(path, k))
			if err != nil {
				return nil, err
			}
			out[k] = t
		}
		return out, nil
	case *cbor.Tag:
		if v.ID != cborTagEpoch {
			return nil, serializationf(path, "Unsupported CBOR tag %d at %s", v.ID, at(path))
		}
		return cborTime(v.Value, path)
	default:
		return nil, serializationf(path, "Unsupported CBOR value at %s", at(path))
	}
}

// floatNumber keeps a float as the shortest decimal that reproduces it.
// Non-finite values have no JSON form and no use in this API.
func floatNumber(f float64, bits int, path string) (any, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, serializationf(path, "Value at %s is not a finite number", at(path))
	}
	if f == 0 {
		return json.Number("0"), nil // no "-0": it would not survive re-encoding as an integer
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, bits)), nil
}

func cborTime(v cbor.Value, path string) (any, error) {
	var secs float64
	switch v := v.(type) {
	case cbor.Uint:
		if v > maxEpochSeconds {
			return nil, serializationf(path, "Timestamp at %s is out of range", at(path))
		}
		return time.Unix(int64(v), 0).UTC(), nil
	case cbor.NegInt:
		if v == 0 || uint64(v) > -minEpochSeconds {
			return nil, serializationf(path, "Timestamp at %s is out of range", at(path))
		}
		return time.Unix(-int64(v), 0).UTC(), nil
	case cbor.Float32:
		secs = float64(v)
	case cbor.Float64:
		secs = float64(v)
	default:
		return nil, serializationf(path, "Timestamp at %s is not a number", at(path))
	}
	t, ok := epochSeconds(secs)
	if !ok {
		return nil, serializationf(path, "Timestamp at %s is out of range", at(path))
	}
	return t, nil
}

// EncodeCBOR encodes a value tree as RPC v2 CBOR: blobs as byte strings,
// timestamps as tag 1 around epoch seconds in a double.
func EncodeCBOR(v map[string]any) ([]byte, error) {
	c, err := toCBOR(v)
	if err != nil {
		return nil, err
	}
	return cbor.Encode(c), nil
}

func toCBOR(v any) (cbor.Value, error) {
	switch v := v.(type) {
	case nil:
		return &cbor.Nil{}, nil
	case string:
		return cbor.String(v), nil
	case bool:
		return cbor.Bool(v), nil
	case json.Number:
		return cborNumber(v)
	case []byte:
		return cbor.Slice(v), nil
	case time.Time:
		return &cbor.Tag{ID: cborTagEpoch, Value: cbor.Float64(float64(v.UnixMilli()) / 1000)}, nil
	case map[string]any:
		out := make(cbor.Map, len(v))
		for k, e := range v {
			c, err := toCBOR(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make(cbor.List, len(v))
		for i, e := range v {
			c, err := toCBOR(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	default:
		return nil, fmt.Errorf("awsproto: %T is not a value tree kind", v)
	}
}

// cborNumber writes integers as CBOR integers and everything else as a double.
func cborNumber(n json.Number) (cbor.Value, error) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if rest, neg := strings.CutPrefix(s, "-"); neg {
			if u, err := strconv.ParseUint(rest, 10, 64); err == nil {
				if u == 0 {
					return cbor.Uint(0), nil
				}
				return cbor.NegInt(u), nil
			}
		} else if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return cbor.Uint(u), nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, fmt.Errorf("awsproto: %q is not a CBOR-encodable number", s)
	}
	return cbor.Float64(f), nil
}
