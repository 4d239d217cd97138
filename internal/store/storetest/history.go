package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/pca"
)

// History is the CRL history a store may keep for the console.
type History interface {
	RecordCRLEvent(ctx context.Context, ev pca.CRLEvent) error
	CRLEvents(ctx context.Context, caID string, since time.Time, limit int) ([]pca.CRLEvent, error)
	RevocationsPerHour(ctx context.Context, caID string, since time.Time, hours int) ([]int64, error)
}

func history(t *testing.T, s pca.Store) History {
	h, ok := s.(History)
	if !ok {
		t.Skip("the store keeps no CRL history")
	}
	return h
}

// The history returns a CA's events since a time, oldest first and the
// newest when limited, forgets events older than a day, and goes with its CA.
func testCRLHistory(t *testing.T, s pca.Store) {
	h := history(t, s)
	ctx := context.Background()
	a := mustCreate(t, s, newCA("111111111111", base))
	b := mustCreate(t, s, newCA("111111111111", base.Add(time.Second)))
	record := func(ev pca.CRLEvent) {
		t.Helper()
		if err := h.RecordCRLEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	record(pca.CRLEvent{CAID: a.ID, At: base.Add(-25 * time.Hour), Number: 1})
	want := []pca.CRLEvent{
		{CAID: a.ID, At: base.Add(-2 * time.Hour), Number: 2, Latency: 1500 * time.Millisecond},
		{CAID: a.ID, Partition: "p1", At: base.Add(-time.Hour), Failure: "access_denied", Detail: "write CRL: " + strings.Repeat("é", 1000)},
		{CAID: a.ID, At: base, Number: 3},
	}
	for _, ev := range want {
		record(ev)
	}
	record(pca.CRLEvent{CAID: b.ID, At: base, Number: 1, Latency: time.Second})

	got, err := h.CRLEvents(ctx, a.ID, time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("events = %+v, want %d (the one older than a day pruned)", got, len(want))
	}
	for i := range want {
		w := want[i]
		if i == 1 {
			if d := got[i].Detail; len(d) > 1000 || !strings.HasPrefix(w.Detail, d) || len(d) < 100 {
				t.Fatalf("detail kept %d bytes: %q", len(d), d)
			}
			w.Detail = got[i].Detail
		}
		if got[i] != w {
			t.Fatalf("event %d = %+v, want %+v", i, got[i], w)
		}
	}
	if got, err := h.CRLEvents(ctx, a.ID, base.Add(-90*time.Minute), 100); err != nil || len(got) != 2 || got[0].Failure != "access_denied" {
		t.Fatalf("events since 90 min ago: %+v, %v", got, err)
	}
	if got, err := h.CRLEvents(ctx, a.ID, time.Time{}, 2); err != nil || len(got) != 2 || got[1].Number != 3 {
		t.Fatalf("the newest two events: %+v, %v", got, err)
	}
	if got, err := h.CRLEvents(ctx, b.ID, base, 100); err != nil || len(got) != 1 || got[0].Latency != time.Second {
		t.Fatalf("the other CA's events: %+v, %v", got, err)
	}
	if err := s.PurgeCA(ctx, a.Account, a.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := h.CRLEvents(ctx, a.ID, time.Time{}, 100); err != nil || len(got) != 0 {
		t.Fatalf("events of a purged CA: %+v, %v", got, err)
	}
}

// Revocations are counted by the hour they were made in, per CA.
func testRevocationsPerHour(t *testing.T, s pca.Store) {
	h := history(t, s)
	ctx := context.Background()
	a := mustCreate(t, s, newCA("111111111111", base))
	b := mustCreate(t, s, newCA("111111111111", base.Add(time.Second)))
	since := base.Add(-3 * time.Hour)
	revokedAt := map[string]time.Time{
		"01": since.Add(-time.Millisecond),         // before the span
		"02": since,                                // hour 0
		"03": since.Add(59 * time.Minute),          // hour 0
		"04": since.Add(2*time.Hour + time.Minute), // hour 2
		"05": base.Add(time.Minute),                // after the span
		"06": time.Time{},                          // not revoked
	}
	for serial, at := range revokedAt {
		for _, ca := range []*pca.CA{a, b} {
			if _, err := s.CreateCertificate(ctx, newCert(ca.ID, serial), nil, 0); err != nil {
				t.Fatal(err)
			}
		}
		if !at.IsZero() {
			if _, err := s.RevokeCertificate(ctx, a.ID, serial, at, "KEY_COMPROMISE", 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.RevokeCertificate(ctx, b.ID, "02", since, "KEY_COMPROMISE", 0); err != nil {
		t.Fatal(err)
	}
	got, err := h.RevocationsPerHour(ctx, a.ID, since, 3)
	if err != nil || !slices.Equal(got, []int64{2, 0, 1}) {
		t.Fatalf("revocations per hour = %v, %v; want [2 0 1]", got, err)
	}
	if got, err := h.RevocationsPerHour(ctx, b.ID, since, 3); err != nil || !slices.Equal(got, []int64{1, 0, 0}) {
		t.Fatalf("the other CA's = %v, %v; want [1 0 0]", got, err)
	}
}
