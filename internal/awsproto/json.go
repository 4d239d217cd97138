package awsproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// DecodeJSON decodes an AWS JSON 1.1 request body into a value tree. An
// empty body is an empty input; anything but a single object is refused.
func DecodeJSON(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, serializationf("", "The request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, serializationf("", "The request body has data after the JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, mismatch("structure", v, "")
	}
	return m, nil
}

// EncodeJSON encodes a value tree as AWS JSON 1.1: blobs as base64 strings,
// timestamps as epoch seconds with millisecond precision.
func EncodeJSON(v map[string]any) ([]byte, error) {
	t, err := toJSON(v)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(t); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// toJSON rewrites the kinds encoding/json would render differently from AWS
// and rejects kinds outside the value tree, which are programming errors.
func toJSON(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, bool, json.Number, []byte: // encoding/json writes []byte as base64
		return v, nil
	case time.Time:
		return epochString(v), nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			j, err := toJSON(e)
			if err != nil {
				return nil, err
			}
			out[k] = j
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			j, err := toJSON(e)
			if err != nil {
				return nil, err
			}
			out[i] = j
		}
		return out, nil
	default:
		return nil, fmt.Errorf("awsproto: %T is not a value tree kind", v)
	}
}
