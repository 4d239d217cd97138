package console

import "testing"

// Serials are read as operators paste them, and a search for the start of
// one is read the same way.
func TestNormalizeSerial(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"0A:1B:2c", "a1b2c", true},
		{"  00ff ", "ff", true},
		{"00", "0", true},
		{"12g4", "", false},
		{"1-2", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got, ok := normalizeSerial(tc.in); got != tc.want || ok != tc.ok {
				t.Fatalf("normalizeSerial(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
