package throttle

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse: Parse refuses consistently; what it accepts names only known
// operations (or "*") with positive, finite rates, and formats back to a spec
// that parses to the same limits; and the first call of an account to any
// operation is allowed, since every bucket holds at least one call.
func FuzzParse(f *testing.F) {
	f.Add("IssueCertificate=25,RevokeCertificate=25,*=100")
	f.Add(" IssueCertificate = 0.5 ")
	f.Add("*=1e-300,IssueCertificate=1e300")
	f.Add("IssueCertificate=1,IssueCertificate=2")
	f.Add("IssueCertificate=NaN,*=Inf")
	f.Add("RevokeCertificate=0x1p-2,")
	f.Fuzz(func(t *testing.T, spec string) {
		l, err := Parse(spec, ops)
		l2, err2 := Parse(spec, ops)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("Parse is not deterministic: %v, then %v", err, err2)
		}
		if err != nil {
			if l != nil {
				t.Fatal("Parse returned a Limiter with an error")
			}
			return
		}
		if l == nil {
			if strings.TrimSpace(spec) != "" {
				t.Fatalf("%q gave no Limiter", spec)
			}
			return
		}
		if !reflect.DeepEqual(l.rates, l2.rates) {
			t.Fatalf("Parse is not deterministic: %v, then %v", l.rates, l2.rates)
		}
		var items []string
		for op, r := range l.rates {
			if op != Every && !slices.Contains(ops, op) {
				t.Fatalf("%q: unknown operation %q accepted", spec, op)
			}
			if !(r > 0) || math.IsInf(r, 0) {
				t.Fatalf("%q: rate %v accepted", spec, r)
			}
			items = append(items, op+"="+strconv.FormatFloat(r, 'g', -1, 64))
		}
		again, err := Parse(strings.Join(items, ","), ops)
		if err != nil || !reflect.DeepEqual(again.rates, l.rates) {
			t.Fatalf("%q: limits %v formatted as %q, which parses to %v, %v", spec, l.rates, strings.Join(items, ","), again, err)
		}
		for _, op := range append(slices.Clone(ops), "ListTags") {
			if !l.Allow("111122223333", op) {
				t.Fatalf("%q: the first %s call is refused", spec, op)
			}
		}
	})
}
