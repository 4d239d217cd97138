package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/store/postgres/pgtest"
)

// With a shared database, a starting node takes over the key generation of
// CAs, and the audit reports, left CREATING for over a minute (their node
// died) and leaves alone those another node may still be working on.
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
	// Two audit reports of an ACTIVE CA left CREATING the same way.
	active, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa)
	activeID := active[strings.LastIndex(active, "/")+1:]
	reports := map[string]time.Duration{"stale-report": 2 * time.Minute, "fresh-report": 10 * time.Second}
	for id, age := range reports {
		r := &pca.AuditReport{Account: testAccount, CAID: activeID, ID: id, Bucket: "audit-bucket", Key: "audit-report/" + activeID + "/" + id + ".json",
			Format: "JSON", Status: "CREATING", CreatedAt: a.clock.Now().Add(-age)}
		if err := a.srv.store.CreateAuditReport(ctx, r, a.clock.Now().Add(time.Hour)); err != nil {
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
	for id, want := range map[string]string{"stale-report": "SUCCESS", "fresh-report": "CREATING"} {
		r, err := b.srv.store.GetAuditReport(ctx, activeID, id)
		if err != nil || r.Status != want {
			t.Fatalf("report %s: %+v, %v; want %s", id, r, err, want)
		}
	}
}
