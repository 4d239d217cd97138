package throttle

import (
	"strings"
	"testing"
)

var ops = []string{"IssueCertificate", "RevokeCertificate", "DescribeCertificateAuthority"}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		spec, err string
	}{
		{spec: ""},
		{spec: "IssueCertificate=25"},
		{spec: " IssueCertificate=25 , *=0.5"},
		{spec: "IssueCertificate", err: "want Operation=calls-per-second"},
		{spec: "IssueCertificat=1", err: "no operation IssueCertificat"},
		{spec: "IssueCertificate=0", err: "positive"},
		{spec: "IssueCertificate=-1", err: "positive"},
		{spec: "IssueCertificate=NaN", err: "positive"},
		{spec: "IssueCertificate=+Inf", err: "positive"},
		{spec: "IssueCertificate=fast", err: "positive"},
		{spec: "*=1,*=2", err: "given twice"},
	} {
		_, err := Parse(tc.spec, ops)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.spec, err, tc.err)
		}
	}
}

// allowed makes n calls at once and counts those l lets through. The loop
// takes microseconds, far less than any bucket takes to refill.
func allowed(l *Limiter, account, op string, n int) int {
	got := 0
	for range n {
		if l.Allow(account, op) {
			got++
		}
	}
	return got
}

func TestAllow(t *testing.T) {
	l, err := Parse("IssueCertificate=2,*=1", ops)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		account, op string
		want        int
	}{
		{"111111111111", "IssueCertificate", 2},             // a burst of one second's worth
		{"111111111111", "RevokeCertificate", 1},            // under *
		{"222222222222", "IssueCertificate", 2},             // each account has its own buckets
		{"111111111111", "DescribeCertificateAuthority", 1}, // each operation too
	} {
		if got := allowed(l, tc.account, tc.op, 10); got != tc.want {
			t.Errorf("%s %s: %d of 10 calls allowed, want %d", tc.account, tc.op, got, tc.want)
		}
	}

	only, _ := Parse("IssueCertificate=1", ops)
	if got := allowed(only, "111111111111", "RevokeCertificate", 10); got != 10 {
		t.Errorf("an operation without a limit: %d of 10 calls allowed", got)
	}
	if got := allowed(nil, "111111111111", "IssueCertificate", 10); got != 10 {
		t.Errorf("a nil Limiter: %d of 10 calls allowed", got)
	}
}
