package awsproto

import (
	"encoding/json"
	"testing"
	"time"
)

// EncodeJSON must agree with encoding/json on every value tree kind,
// including strings that need escaping.
func TestEncodeJSONMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x00\x01\x1f", "é ü 漢字 🙂",
		"line\u2028sep\u2029", "bad \xff utf8", "<html>&amp;"}
	for _, s := range strs {
		got, err := EncodeJSON(map[string]any{"k": s})
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q encodes to invalid JSON %s: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		json.Unmarshal(want, &wantBack)
		if back["k"] != wantBack {
			t.Fatalf("%q round-trips to %q, encoding/json gives %q", s, back["k"], wantBack)
		}
	}
	tree := map[string]any{"n": json.Number("1.5"), "b": true, "z": nil, "blob": []byte{0, 1, 2, 255},
		"t": time.UnixMilli(1510085139623), "l": []any{"a", json.Number("2"), map[string]any{}}, "m": map[string]any{"x": "y"}}
	got, err := EncodeJSON(tree)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	json.Unmarshal(got, &a)
	want, _ := json.Marshal(map[string]any{"n": 1.5, "b": true, "z": nil, "blob": []byte{0, 1, 2, 255}, "t": 1510085139.623,
		"l": []any{"a", 2, map[string]any{}}, "m": map[string]any{"x": "y"}})
	json.Unmarshal(want, &b)
	if ga, _ := json.Marshal(a); string(ga) != string(mustJSON(b)) {
		t.Fatalf("tree encodes to %s, want %s", got, want)
	}
	if _, err := EncodeJSON(map[string]any{"bad": 3}); err == nil {
		t.Fatal("an int is not a value tree kind")
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
