// Package throttle caps how often each account may call each API operation,
// as AWS Private CA's per-operation quotas do. An excess call is refused at
// once, not queued: AWS SDKs and the CLI retry a ThrottlingException with
// backoff, which is how a client learns to slow down.
package throttle

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/time/rate"
)

// Every names the limit of each operation without a limit of its own.
const Every = "*"

// Limiter holds a token bucket per account and operation. Each bucket refills
// at the operation's rate and holds one second's worth of calls (at least
// one), so a client may burst to the rate at once. The zero Limiter, and a
// nil one, allow everything.
type Limiter struct {
	rates   map[string]float64 // operation or Every → calls per second
	buckets sync.Map           // account + "/" + operation → *rate.Limiter
}

// Parse reads limits written "Operation=rate,...", rates in calls per second
// (fractions allowed), "*=rate" for every operation not named. operations are
// the valid names; "" gives a nil Limiter, which limits nothing.
func Parse(spec string, operations []string) (*Limiter, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	l := &Limiter{rates: map[string]float64{}}
	for item := range strings.SplitSeq(spec, ",") {
		op, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, fmt.Errorf("rate limit %q: want Operation=calls-per-second", item)
		}
		if op != Every && !slices.Contains(operations, op) {
			return nil, fmt.Errorf("rate limit %q: no operation %s", item, op)
		}
		r, err := strconv.ParseFloat(value, 64)
		if err != nil || !(r > 0) || math.IsInf(r, 0) {
			return nil, fmt.Errorf("rate limit %q: the rate must be a positive number of calls per second", item)
		}
		if _, dup := l.rates[op]; dup {
			return nil, fmt.Errorf("rate limit for %s given twice", op)
		}
		l.rates[op] = r
	}
	return l, nil
}

// Allow reports whether account may call operation now, and takes the call
// from its bucket if so.
func (l *Limiter) Allow(account, operation string) bool {
	if l == nil {
		return true
	}
	r, ok := l.rates[operation]
	if !ok {
		if r, ok = l.rates[Every]; !ok {
			return true
		}
	}
	key := account + "/" + operation
	b, ok := l.buckets.Load(key)
	if !ok {
		b, _ = l.buckets.LoadOrStore(key, rate.NewLimiter(rate.Limit(r), max(1, int(math.Ceil(r)))))
	}
	return b.(*rate.Limiter).Allow()
}
