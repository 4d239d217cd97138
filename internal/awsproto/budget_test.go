package awsproto

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The two walks count the same tree alike, so one budget holds in both
// protocols.
func TestScanCounts(t *testing.T) {
	for _, tc := range []struct {
		name            string
		tree            map[string]any
		elements, depth int
	}{
		{"empty", map[string]any{}, 1, 1},
		{"one member", map[string]any{"A": "x"}, 3, 2},
		{"nested", map[string]any{"A": []any{json.Number("1"), json.Number("2"), map[string]any{"B": "c"}}}, 8, 4},
		{"blob and bool", map[string]any{"A": []byte("xyz"), "B": true, "C": nil}, 7, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := EncodeJSON(tc.tree)
			if err != nil {
				t.Fatal(err)
			}
			c, err := EncodeCBOR(tc.tree)
			if err != nil {
				t.Fatal(err)
			}
			js, err := scanJSON(j)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := scanCBOR(c)
			if err != nil {
				t.Fatal(err)
			}
			for name, st := range map[string]*bodyStats{"JSON": js, "CBOR": cs} {
				if st.elements != int64(tc.elements) || st.depth != tc.depth {
					t.Errorf("%s: %d elements, depth %d; want %d, %d", name, st.elements, st.depth, tc.elements, tc.depth)
				}
			}
		})
	}
	// A timestamp is a tag around a number in CBOR: one level and one value more.
	c, _ := EncodeCBOR(map[string]any{"T": time.Unix(1, 0)})
	if st, _ := scanCBOR(c); st.elements != 4 || st.depth != 3 {
		t.Errorf("CBOR timestamp: %d elements, depth %d", st.elements, st.depth)
	}
}

func TestScanMembers(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       map[string]string
	}{
		{"strings", `{"A":"x", "B" : "y\u0041", "N":1, "O":{"A":"inner"}}`, map[string]string{"A": "x", "B": "yA"}},
		{"last wins", `{"A":"x","A":"y"}`, map[string]string{"A": "y"}},
		{"a later non-string forgets", `{"A":"x","A":5}`, map[string]string{}},
		{"escaped key", `{"\u0041":"x"}`, map[string]string{"A": "x"}},
		{"too long", `{"A":"` + strings.Repeat("a", maxMemberLen+1) + `"}`, map[string]string{}},
		{"not an object", `["A","x"]`, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tree map[string]any
			if err := json.Unmarshal([]byte(tc.body), &tree); err != nil {
				tree = nil
			}
			js, err := scanJSON([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			stats := map[string]*bodyStats{"JSON": js}
			if tree != nil && !strings.Contains(tc.body, `"A":"x","A"`) { // CBOR maps cannot repeat keys when built from a tree
				c, _ := EncodeCBOR(toTree(tree))
				cs, err := scanCBOR(c)
				if err != nil {
					t.Fatal(err)
				}
				stats["CBOR"] = cs
			}
			for name, st := range stats {
				for k, v := range tc.want {
					if got, ok := st.Member(k); !ok || got != v {
						t.Errorf("%s: member %s = %q, %v; want %q", name, k, got, ok, v)
					}
				}
				if len(st.members) != len(tc.want) {
					t.Errorf("%s: members %v, want %v", name, st.members, tc.want)
				}
			}
		})
	}

	// A body with too many members to tell tells none.
	var b strings.Builder
	b.WriteString(`{"A":"x"`)
	for i := range maxMembers {
		b.WriteString(`,"k` + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString("}")
	st, err := scanJSON([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Member("A"); ok {
		t.Errorf("member of a body with %d members", maxMembers+1)
	}
}

// toTree turns float64 numbers from encoding/json into the tree's json.Number.
func toTree(v map[string]any) map[string]any {
	b, _ := json.Marshal(v)
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out map[string]any
	d.Decode(&out)
	return out
}

func TestScanJSONSyntax(t *testing.T) {
	for _, body := range []string{
		`{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `"abc`, `"\x"`, `"\u00g0"`, "\"\x01\"",
		`01`, `-`, `1.`, `1e`, `tru`, `nul`, `{} {}`, `{}x`, `{"a":1}}`, strings.Repeat("[", 200) + strings.Repeat("]", 200),
	} {
		if _, err := scanJSON([]byte(body)); err == nil {
			t.Errorf("%q: walked without error", body)
		}
	}
	for _, body := range []string{``, ` `, `{}`, `[]`, `"x"`, `{"a":[1,-0.5e+3,true,false,null,"\"\\\/\b\f\n\r\t\u00e9"]}`, " {\n\t\"a\" : { } } "} {
		if _, err := scanJSON([]byte(body)); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
}

// FuzzScanJSON: the walk accepts exactly the JSON encoding/json accepts,
// and counts every value of the tree it decodes (and repeated keys, which
// the tree keeps once).
func FuzzScanJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2,{"b":"c"}]}`, `[1,]`, `"\u00e9"`, `{"a":1}{}`, `-0.1e5`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := scanJSON(body)
		if len(bytes.TrimSpace(body)) == 0 {
			return
		}
		if valid := json.Valid(body); valid != (err == nil) {
			if !(valid && st.depth > maxScanDepth-1) {
				t.Fatalf("%q: json.Valid %v, walk error %v", body, valid, err)
			}
		}
		if err != nil {
			return
		}
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if n := countTree(v); n > st.elements {
			t.Fatalf("%q: walk counted %d values, the tree has %d", body, st.elements, n)
		}
	})
}

func countTree(v any) int64 {
	n := int64(1)
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			n += countTree(e)
		}
	case map[string]any:
		for _, e := range v {
			n += 1 + countTree(e)
		}
	}
	return n
}
