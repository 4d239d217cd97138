package server

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openpca/openpca/internal/acmpca"
	"github.com/openpca/openpca/internal/awsproto"
	"github.com/openpca/openpca/internal/throttle"
)

// throttled wraps every operation to refuse the calls over the caller's
// rate limit, before any work, as AWS does: HTTP 400 ThrottlingException.
func throttled(l *throttle.Limiter, ops map[string]awsproto.Operation) map[string]awsproto.Operation {
	if l == nil {
		return ops
	}
	out := make(map[string]awsproto.Operation, len(ops))
	for name, op := range ops {
		out[name] = func(ctx context.Context, in map[string]any) (map[string]any, error) {
			if c, ok := acmpca.CallerFrom(ctx); ok && !l.Allow(c.Account, name) {
				return nil, awsproto.NewError(awsproto.CodeThrottling, "Rate exceeded")
			}
			return op(ctx, in)
		}
	}
	return out
}

// instrument wraps every operation to count calls by outcome and time them.
func instrument(reg prometheus.Registerer, ops map[string]awsproto.Operation) map[string]awsproto.Operation {
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "openpca_api_requests_total",
		Help: "API operations served, by operation and outcome (OK or the AWS error code).",
	}, []string{"operation", "outcome"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "openpca_api_request_duration_seconds",
		Help:    "Time spent in each API operation after authentication and decoding.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"operation"})
	reg.MustRegister(calls, latency)

	out := make(map[string]awsproto.Operation, len(ops))
	for name, op := range ops {
		out[name] = func(ctx context.Context, in map[string]any) (map[string]any, error) {
			start := time.Now()
			res, err := op(ctx, in)
			latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
			outcome := "OK"
			if err != nil {
				outcome = "InternalFailure"
				var apiErr awsproto.Error
				if errors.As(err, &apiErr) {
					outcome = apiErr.ErrorCode()
				}
			}
			calls.WithLabelValues(name, outcome).Inc()
			return res, err
		}
	}
	return out
}
