package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/acmpca"

	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/store/postgres/pgtest"
)

// With a shared database, a starting node takes over the key generation of
// CAs left CREATING for over a minute (their node died) and leaves alone
// those another node may still be working on.
func TestCreationTakenOverFromDeadNode(t *testing.T) {
	dbURL := pgtest.URL(t)
	shared := func(c *Config) { c.DatabaseURL, c.MasterKey = dbURL, testMasterKey }
	a := newTestEnvWith(t, nil, shared)
	c := a.rootClient(protocols[0].opt)
	stale, fresh := create(t, c, &acmpca.CreateCertificateAuthorityInput{}), create(t, c, &acmpca.CreateCertificateAuthorityInput{})
	ctx := context.Background()
	// Both back to CREATING, as if a node had died making their keys.
	for arn, age := range map[string]time.Duration{stale: 2 * time.Minute, fresh: 10 * time.Second} {
		id := arn[strings.LastIndex(arn, "/")+1:]
		_, err := a.srv.store.UpdateCA(ctx, testAccount, id, func(ca *pca.CA) error {
			ca.Status, ca.CSR, ca.LastStateChangeAt = pca.StatusCreating, "", a.clock.Now().Add(-age)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	b := newTestEnvWith(t, nil, shared)
	b.srv.domain.Wait()
	for arn, want := range map[string]pca.Status{stale: pca.StatusPendingCertificate, fresh: pca.StatusCreating} {
		ca, err := b.srv.domain.DescribeCA(ctx, b.srv.root, arn)
		if err != nil || ca.Status != want {
			t.Fatalf("%s: %v, %v; want %s", arn, ca.Status, err, want)
		}
	}
}
