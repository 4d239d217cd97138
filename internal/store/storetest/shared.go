package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/pca"
)

// RunShared runs the cases that matter when several nodes share one
// database: open returns two stores, as two nodes would hold, on one
// fresh database.
func RunShared(t *testing.T, open func(t *testing.T) (a, b pca.Store)) {
	tests := map[string]func(*testing.T, [2]pca.Store){
		"OneRevocationWins":    testSharedRevoke,
		"IdempotencyToken":     testSharedIdempotent,
		"UpdatesSerialize":     testSharedUpdates,
		"CertificateLimit":     testSharedCertificateLimit,
		"RevocationLimit":      testSharedRevocationLimit,
		"RevisionsAreDistinct": testSharedRevisions,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			a, b := open(t)
			t.Cleanup(func() { a.Close(); b.Close() })
			fn(t, [2]pca.Store{a, b})
		})
	}
}

// parallel runs fn n times at once, alternating between the two nodes.
func parallel(n int, nodes [2]pca.Store, fn func(i int, s pca.Store)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); fn(i, nodes[i%2]) }()
	}
	wg.Wait()
}

func sharedCA(t *testing.T, s pca.Store, certs int) *pca.CA {
	t.Helper()
	ca := mustCreate(t, s, newCA("111111111111", base))
	for i := range certs {
		if _, err := s.CreateCertificate(context.Background(), newCert(ca.ID, fmt.Sprintf("%04x", i)), nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	return ca
}

func testSharedRevoke(t *testing.T, nodes [2]pca.Store) {
	ca := sharedCA(t, nodes[0], 20)
	var won, already atomic.Int64
	// Four attempts per certificate, two on each node.
	parallel(80, nodes, func(i int, s pca.Store) {
		_, err := s.RevokeCertificate(context.Background(), ca.ID, fmt.Sprintf("%04x", i%20), base.Add(time.Minute), "KEY_COMPROMISE", 0)
		switch {
		case err == nil:
			won.Add(1)
		case errors.Is(err, pca.ErrAlreadyRevoked):
			already.Add(1)
		default:
			t.Error(err)
		}
	})
	if won.Load() != 20 || already.Load() != 60 {
		t.Fatalf("%d revocations succeeded and %d found it done; want 20 and 60", won.Load(), already.Load())
	}
	states, err := nodes[1].CRLStates(context.Background(), ca.ID)
	if err != nil || len(states) != 1 || states[0].RevokedCount != 20 || states[0].Revision != 20 {
		t.Fatalf("CRL state: %+v, %v", states, err)
	}
}

func testSharedIdempotent(t *testing.T, nodes [2]pca.Store) {
	idem := &pca.Idempotency{Account: "111111111111", Operation: "CreateCertificateAuthority", Token: "race", Since: base.Add(-5 * time.Minute)}
	var mu sync.Mutex
	ids := map[string]bool{}
	parallel(10, nodes, func(_ int, s pca.Store) {
		ca, err := s.CreateCA(context.Background(), newCA("111111111111", base), idem)
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		ids[ca.ID] = true
		mu.Unlock()
	})
	if len(ids) != 1 {
		t.Fatalf("%d CAs for one token across nodes, want 1", len(ids))
	}
}

func testSharedUpdates(t *testing.T, nodes [2]pca.Store) {
	ca := mustCreate(t, nodes[0], newCA("111111111111", base))
	const n = 20
	parallel(n, nodes, func(i int, s pca.Store) {
		_, err := s.UpdateCA(context.Background(), ca.Account, ca.ID, func(c *pca.CA) error {
			c.Tags = append(c.Tags, pca.Tag{Key: fmt.Sprintf("k%02d", i), Value: str("v")})
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	for _, s := range nodes {
		read, err := s.GetCA(context.Background(), ca.Account, ca.ID)
		if err != nil || len(read.Tags) != 3+n {
			t.Fatalf("lost updates across nodes: %v tags, %v", len(read.Tags), err)
		}
	}
}

func testSharedCertificateLimit(t *testing.T, nodes [2]pca.Store) {
	ca := mustCreate(t, nodes[0], newCA("111111111111", base))
	var issued, refused atomic.Int64
	parallel(30, nodes, func(i int, s pca.Store) {
		_, err := s.CreateCertificate(context.Background(), newCert(ca.ID, fmt.Sprintf("%04x", i)), nil, 10)
		switch {
		case err == nil:
			issued.Add(1)
		case errors.Is(err, pca.ErrLimit):
			refused.Add(1)
		default:
			t.Error(err)
		}
	})
	if issued.Load() != 10 || refused.Load() != 20 {
		t.Fatalf("limit 10: %d issued, %d refused; want 10 and 20", issued.Load(), refused.Load())
	}
}

func testSharedRevocationLimit(t *testing.T, nodes [2]pca.Store) {
	ca := sharedCA(t, nodes[0], 30)
	var revoked, refused atomic.Int64
	parallel(30, nodes, func(i int, s pca.Store) {
		_, err := s.RevokeCertificate(context.Background(), ca.ID, fmt.Sprintf("%04x", i), base.Add(time.Minute), "SUPERSEDED", 10)
		switch {
		case err == nil:
			revoked.Add(1)
		case errors.Is(err, pca.ErrLimit):
			refused.Add(1)
		default:
			t.Error(err)
		}
	})
	if revoked.Load() != 10 || refused.Load() != 20 {
		t.Fatalf("limit 10: %d revoked, %d refused; want 10 and 20", revoked.Load(), refused.Load())
	}
}

// A CRL publisher on either node reads only revocations after the revision
// it holds, so revisions must be distinct and every revocation must carry
// one no greater than the revision a snapshot reports.
func testSharedRevisions(t *testing.T, nodes [2]pca.Store) {
	ca := sharedCA(t, nodes[0], 40)
	parallel(40, nodes, func(i int, s pca.Store) {
		if _, err := s.RevokeCertificate(context.Background(), ca.ID, fmt.Sprintf("%04x", i), base.Add(time.Minute), "SUPERSEDED", 0); err != nil {
			t.Error(err)
		}
	})
	var total int
	err := nodes[1].ReadCRL(context.Background(), ca.ID, "", 20, func(revision int64, entries func(func(pca.RevokedEntry) error) error) error {
		if revision != 40 {
			return fmt.Errorf("revision %d after 40 revocations", revision)
		}
		return entries(func(pca.RevokedEntry) error { total++; return nil })
	})
	if err != nil || total != 20 {
		t.Fatalf("entries after revision 20: %d, %v; want 20", total, err)
	}
}
