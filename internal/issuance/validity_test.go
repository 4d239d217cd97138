package issuance

import (
	"bytes"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"testing"
	"time"
)

func TestComputeValidity(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	defaultNB := now.Add(-60 * time.Minute)
	end2049 := time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC)
	tests := []struct {
		name      string
		v         Validity
		nb        *Validity
		now       time.Time // zero: now
		wantNB    time.Time
		wantNA    time.Time
		wantError bool
	}{
		{name: "DAYS 1", v: Validity{1, "DAYS"}, wantNB: defaultNB, wantNA: now.Add(24 * time.Hour)},
		{name: "DAYS 90", v: Validity{90, "DAYS"}, wantNB: defaultNB, wantNA: time.Date(2026, 5, 30, 12, 0, 0, 0, time.UTC)},
		{name: "MONTHS 13", v: Validity{13, "MONTHS"}, wantNB: defaultNB, wantNA: time.Date(2027, 4, 1, 12, 0, 0, 0, time.UTC)},
		{name: "YEARS 10", v: Validity{10, "YEARS"}, wantNB: defaultNB, wantNA: time.Date(2036, 3, 1, 12, 0, 0, 0, time.UTC)},
		{name: "ABSOLUTE 2524608000", v: Validity{2524608000, "ABSOLUTE"}, wantNB: defaultNB, wantNA: time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)},
		{name: "END_DATE UTCTime 491231235959", v: Validity{491231235959, "END_DATE"}, wantNB: defaultNB, wantNA: end2049},
		{name: "END_DATE GeneralizedTime 20491231235959", v: Validity{20491231235959, "END_DATE"}, wantNB: defaultNB, wantNA: end2049},
		{name: "END_DATE GeneralizedTime beyond 2050", v: Validity{20991231000000, "END_DATE"}, wantNB: defaultNB,
			wantNA: time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)},
		{name: "END_DATE UTCTime year 00 loses its leading zeros", v: Validity{1231235959, "END_DATE"},
			now: time.Date(1999, 6, 1, 0, 0, 0, 0, time.UTC), wantNB: time.Date(1999, 5, 31, 23, 0, 0, 0, time.UTC),
			wantNA: time.Date(2000, 12, 31, 23, 59, 59, 0, time.UTC)},
		{name: "END_DATE UTCTime YY 50 is 1950", v: Validity{500101000000, "END_DATE"},
			now: time.Date(1949, 6, 1, 0, 0, 0, 0, time.UTC), wantNB: time.Date(1949, 5, 31, 23, 0, 0, 0, time.UTC),
			wantNA: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)},
		{name: "ValidityNotBefore ABSOLUTE", v: Validity{2524608000, "ABSOLUTE"}, nb: &Validity{1893456000, "ABSOLUTE"},
			wantNB: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), wantNA: time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)},
		{name: "ValidityNotBefore in the past does not move NotAfter", v: Validity{1, "DAYS"}, nb: &Validity{1735689600, "ABSOLUTE"},
			wantNB: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), wantNA: now.Add(24 * time.Hour)},
		{name: "ValidityNotBefore END_DATE", v: Validity{20491231235959, "END_DATE"}, nb: &Validity{300101000000, "END_DATE"},
			wantNB: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), wantNA: end2049},
		{name: "ValidityNotBefore DAYS counts from now", v: Validity{30, "DAYS"}, nb: &Validity{1, "DAYS"},
			wantNB: now.Add(24 * time.Hour), wantNA: now.Add(30 * 24 * time.Hour)},
		{name: "sub-second now is truncated", v: Validity{1, "DAYS"}, now: now.Add(750 * time.Millisecond),
			wantNB: defaultNB, wantNA: now.Add(24 * time.Hour)},
		{name: "non-UTC now", v: Validity{1, "DAYS"}, now: now.In(time.FixedZone("X", 5*3600)),
			wantNB: defaultNB, wantNA: now.Add(24 * time.Hour)},

		{name: "Value 0", v: Validity{0, "DAYS"}, wantError: true},
		{name: "negative Value", v: Validity{-5, "ABSOLUTE"}, wantError: true},
		{name: "unknown type", v: Validity{1, "WEEKS"}, wantError: true},
		{name: "lower-case type", v: Validity{1, "days"}, wantError: true},
		{name: "END_DATE month 13", v: Validity{491331235959, "END_DATE"}, wantError: true},
		{name: "END_DATE 30 February", v: Validity{20490230000000, "END_DATE"}, wantError: true},
		{name: "END_DATE hour 24", v: Validity{491231240000, "END_DATE"}, wantError: true},
		{name: "END_DATE 15 digits", v: Validity{204912312359590, "END_DATE"}, wantError: true},
		{name: "END_DATE in the past", v: Validity{200101000000, "END_DATE"}, wantError: true},
		{name: "ABSOLUTE in the past", v: Validity{1000, "ABSOLUTE"}, wantError: true},
		{name: "ABSOLUTE beyond 9999", v: Validity{253402300800, "ABSOLUTE"}, wantError: true},
		{name: "DAYS beyond 9999", v: Validity{1 << 40, "DAYS"}, wantError: true},
		{name: "YEARS beyond 9999", v: Validity{8000, "YEARS"}, wantError: true},
		{name: "NotBefore after NotAfter", v: Validity{1, "DAYS"}, nb: &Validity{2524608000, "ABSOLUTE"}, wantError: true},
		{name: "NotBefore equal to NotAfter", v: Validity{2524608000, "ABSOLUTE"}, nb: &Validity{2524608000, "ABSOLUTE"}, wantError: true},
		{name: "bad ValidityNotBefore", v: Validity{1, "DAYS"}, nb: &Validity{0, "ABSOLUTE"}, wantError: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := tc.now
			if at.IsZero() {
				at = now
			}
			nb, na, err := ComputeValidity(tc.v, tc.nb, at)
			if tc.wantError {
				var ve *ValidityError
				if !errors.As(err, &ve) {
					t.Fatalf("ComputeValidity = %v, %v, %v; want *ValidityError", nb, na, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !nb.Equal(tc.wantNB) || !na.Equal(tc.wantNA) {
				t.Errorf("ComputeValidity = %v, %v; want %v, %v", nb, na, tc.wantNB, tc.wantNA)
			}
			if nb.Location() != time.UTC || na.Location() != time.UTC {
				t.Errorf("results not in UTC: %v %v", nb.Location(), na.Location())
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

// zerosThen returns n zero bytes, then 0x01 bytes.
type zerosThen struct{ n int }

func (z *zerosThen) Read(p []byte) (int, error) {
	for i := range p {
		if z.n > 0 {
			p[i] = 0
			z.n--
		} else {
			p[i] = 1
		}
	}
	return len(p), nil
}

func TestNewSerial(t *testing.T) {
	tests := []struct {
		name    string
		rand    io.Reader
		want    *big.Int // nil: any positive value
		wantErr bool
	}{
		{name: "crypto/rand", rand: rand.Reader},
		{name: "top bit set", rand: bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)),
			want: new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))},
		{name: "all-zero draw is retried", rand: &zerosThen{n: 16},
			want: new(big.Int).SetBytes(bytes.Repeat([]byte{1}, 16))},
		{name: "only zeros", rand: &zerosThen{n: 1 << 20}, wantErr: true},
		{name: "short read", rand: bytes.NewReader(make([]byte, 8)), wantErr: true},
		{name: "reader error", rand: errReader{}, wantErr: true},
		{name: "nil reader", rand: nil, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSerial(tc.rand)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("NewSerial = %v, want error", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Sign() <= 0 || s.BitLen() > 128 {
				t.Errorf("serial %x: want positive, at most 128 bits", s)
			}
			if tc.want != nil && s.Cmp(tc.want) != 0 {
				t.Errorf("serial = %x, want %x", s, tc.want)
			}
			// DER: at most 17 content bytes (16 plus a sign pad).
			der, err := asn1.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if len(der)-2 > 17 {
				t.Errorf("DER INTEGER has %d content bytes", len(der)-2)
			}
		})
	}
	t.Run("distinct", func(t *testing.T) {
		seen := map[string]bool{}
		for range 1000 {
			s, err := NewSerial(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if seen[s.String()] {
				t.Fatalf("serial %x drawn twice", s)
			}
			seen[s.String()] = true
		}
	})
}
