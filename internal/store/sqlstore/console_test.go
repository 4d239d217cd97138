package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/store/sqlite"
	"github.com/openpca/openpca/internal/store/sqlstore"
)

// Paging through a CA's certificates visits each matching one exactly
// once, in serial order, whatever the filter, even when matches are
// further apart than one page's scan.
func TestCertificatePage(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "openpca.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	ca := &pca.CA{ID: uuid.NewString(), Account: "111111111111", Type: pca.TypeRoot, Status: pca.StatusActive, CreatedAt: now, LastStateChangeAt: now}
	if _, err := s.CreateCA(ctx, ca, nil); err != nil {
		t.Fatal(err)
	}
	n := sqlstore.ConsoleScanLimit + 1500
	serial := func(i int) string { return fmt.Sprintf("%x", 0x10000+i) } // one length: text order is numeric order
	expired := func(i int) bool { return i%1000 == 7 }
	revoked := []int{0, 2500, n - 1}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				notAfter := now.Add(time.Hour)
				if expired(i) {
					notAfter = now.Add(-time.Hour)
				}
				c := &pca.Certificate{CAID: ca.ID, Serial: serial(i), DER: []byte{0x30, byte(i)}, IssuedAt: now, NotBefore: now.Add(-2 * time.Hour), NotAfter: notAfter}
				if _, err := s.CreateCertificate(ctx, c, nil, 0); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, i := range revoked {
		if _, err := s.RevokeCertificate(ctx, ca.ID, serial(i), now, "KEY_COMPROMISE", 0); err != nil {
			t.Fatal(err)
		}
	}

	all := func(prefix, status string) []string {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatal("paging does not end")
			}
			page, next, err := s.CertificatePage(ctx, ca.ID, prefix, "", status, after, now, 50)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				got = append(got, c.Serial)
			}
			if next == "" {
				return got
			}
			after = next
		}
	}
	want := func(keep func(i int) bool) []string {
		var out []string
		for i := range n {
			if keep(i) {
				out = append(out, serial(i))
			}
		}
		return out
	}
	isRevoked := func(i int) bool { return slices.Contains(revoked, i) }
	for _, tc := range []struct {
		name, prefix, status string
		keep                 func(int) bool
	}{
		{"All", "", "", func(int) bool { return true }},
		{"Revoked", "", "revoked", isRevoked},
		{"Expired", "", "expired", func(i int) bool { return expired(i) && !isRevoked(i) }},
		{"Valid", "", "valid", func(i int) bool { return !expired(i) && !isRevoked(i) }},
		{"Prefix", "1a", "", func(i int) bool { return serial(i)[:2] == "1a" }},
		{"PrefixExact", serial(2500), "revoked", func(i int) bool { return i == 2500 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := all(tc.prefix, tc.status), want(tc.keep); !slices.Equal(got, want) {
				t.Fatalf("got %d serials, want %d (first got %v)", len(got), len(want), got[:min(len(got), 5)])
			}
		})
	}
	t.Run("PageHasDER", func(t *testing.T) {
		page, _, err := s.CertificatePage(ctx, ca.ID, "", "", "revoked", "", now, 1)
		if err != nil || len(page) != 1 || page[0].RevocationReason != "KEY_COMPROMISE" || len(page[0].DER) != 2 {
			t.Fatalf("%v %+v", err, page)
		}
	})
}
