package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/principals"
)

const sharePolicy = `{"Version":"2012-10-17","Statement":[]}`

func testResourcePolicy(t *testing.T, s pca.Store) {
	ctx := context.Background()
	own := mustCreate(t, s, newCA("111111111111", base))
	var shared []*pca.CA
	for i := range 3 {
		ca := newCA("222222222222", base.Add(time.Duration(i+1)*time.Second))
		ca.Policy = sharePolicy
		shared = append(shared, mustCreate(t, s, ca))
	}
	mustCreate(t, s, newCA("333333333333", base.Add(10*time.Second))) // no policy: not shared
	got, err := s.GetCA(ctx, shared[0].Account, shared[0].ID)
	if err != nil || got.Policy != sharePolicy {
		t.Fatalf("policy did not round-trip: %q, %v", got.Policy, err)
	}
	if _, err := s.UpdateCA(ctx, own.Account, own.ID, func(ca *pca.CA) error { ca.Policy = sharePolicy; return nil }); err != nil {
		t.Fatal(err)
	}
	// The caller's own CAs are never "shared" with it.
	var ids []string
	var after pca.ListPosition
	for {
		page, err := s.ListSharedCAs(ctx, "111111111111", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, ca := range page {
			ids = append(ids, ca.ID)
		}
		if len(page) < 2 {
			break
		}
		after = pca.ListPosition{CreatedAt: page[len(page)-1].CreatedAt, ID: page[len(page)-1].ID}
	}
	want := []string{shared[0].ID, shared[1].ID, shared[2].ID}
	if !slices.Equal(ids, want) {
		t.Fatalf("shared CAs = %v, want %v", ids, want)
	}
	page, err := s.ListSharedCAs(ctx, "222222222222", pca.ListPosition{}, 10)
	if err != nil || len(page) != 1 || page[0].ID != own.ID {
		t.Fatalf("shared with 222222222222: %v, %v", page, err)
	}
	// Removing the policy unshares.
	if _, err := s.UpdateCA(ctx, own.Account, own.ID, func(ca *pca.CA) error { ca.Policy = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	if page, err := s.ListSharedCAs(ctx, "222222222222", pca.ListPosition{}, 10); err != nil || len(page) != 0 {
		t.Fatalf("after deleting the policy: %v, %v", page, err)
	}
}

func testPermissions(t *testing.T, s pca.Store) {
	ctx := context.Background()
	ca := mustCreate(t, s, newCA("111111111111", base))
	p := func(account string) *pca.Permission {
		return &pca.Permission{CAID: ca.ID, Principal: "acm.amazonaws.com", SourceAccount: account,
			Actions: []string{"IssueCertificate", "GetCertificate"}, CreatedAt: base}
	}
	for _, acct := range []string{"333333333333", "111111111111", "222222222222"} {
		if err := s.CreatePermission(ctx, p(acct)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreatePermission(ctx, p("111111111111")); !errors.Is(err, pca.ErrConflict) {
		t.Fatalf("duplicate permission: %v, want ErrConflict", err)
	}
	var accounts []string
	principal, account := "", ""
	for {
		page, err := s.ListPermissions(ctx, ca.ID, principal, account, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range page {
			if !slices.Equal(got.Actions, []string{"IssueCertificate", "GetCertificate"}) || !got.CreatedAt.Equal(base) || got.CAID != ca.ID {
				t.Fatalf("permission did not round-trip: %+v", got)
			}
			accounts = append(accounts, got.SourceAccount)
		}
		if len(page) < 2 {
			break
		}
		principal, account = page[len(page)-1].Principal, page[len(page)-1].SourceAccount
	}
	if !slices.Equal(accounts, []string{"111111111111", "222222222222", "333333333333"}) {
		t.Fatalf("permissions in order %v", accounts)
	}
	if err := s.DeletePermission(ctx, ca.ID, "acm.amazonaws.com", "222222222222"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePermission(ctx, ca.ID, "acm.amazonaws.com", "222222222222"); !errors.Is(err, pca.ErrNotFound) {
		t.Fatalf("deleting a missing permission: %v, want ErrNotFound", err)
	}
	if err := s.PurgeCA(ctx, ca.Account, ca.ID); err != nil {
		t.Fatal(err)
	}
	if page, err := s.ListPermissions(ctx, ca.ID, "", "", 10); err != nil || len(page) != 0 {
		t.Fatalf("permissions outlived their CA: %v, %v", page, err)
	}
}

func testPrincipals(t *testing.T, s pca.Store) {
	ps, ok := s.(principals.Store)
	if !ok {
		t.Fatalf("%T does not implement principals.Store", s)
	}
	ctx := context.Background()
	key := func(id, account, name string) *principals.AccessKey {
		return &principals.AccessKey{ID: id, Account: account, Name: name, SealedSecret: []byte{0, 1, 2, 255, byte(len(id))}, CreatedAt: base}
	}
	alice := &principals.Principal{Account: "111111111111", Name: "alice", CreatedAt: base}
	if err := ps.CreatePrincipal(ctx, alice, key("AKALICE1", "111111111111", "alice")); err != nil {
		t.Fatal(err)
	}
	// The same name in another account is another principal.
	if err := ps.CreatePrincipal(ctx, &principals.Principal{Account: "222222222222", Name: "alice", CreatedAt: base}, key("AKALICEB", "222222222222", "alice")); err != nil {
		t.Fatal(err)
	}
	if err := ps.CreatePrincipal(ctx, alice, key("AKALICE9", "111111111111", "alice")); !errors.Is(err, principals.ErrExists) {
		t.Fatalf("duplicate principal: %v, want ErrExists", err)
	}
	if _, _, err := ps.LookupAccessKey(ctx, "AKALICE9"); !errors.Is(err, principals.ErrNotFound) {
		t.Fatalf("the refused principal's key was kept: %v", err)
	}
	if err := ps.AddAccessKey(ctx, key("AKALICE2", "111111111111", "alice")); err != nil {
		t.Fatal(err)
	}
	if err := ps.AddAccessKey(ctx, key("AKNOBODY", "111111111111", "nobody")); !errors.Is(err, principals.ErrNotFound) {
		t.Fatalf("key for a missing principal: %v, want ErrNotFound", err)
	}
	doc1, doc2 := `{"Version":"2012-10-17","Statement":[]}`, `{"Version":"2012-10-17","Statement":[{}]}`
	for _, np := range []principals.NamedPolicy{{Name: "issue", Document: doc1}, {Name: "describe", Document: doc1}, {Name: "issue", Document: doc2}} {
		if err := ps.PutPrincipalPolicy(ctx, "111111111111", "alice", np); err != nil {
			t.Fatal(err)
		}
	}
	if err := ps.PutPrincipalPolicy(ctx, "111111111111", "nobody", principals.NamedPolicy{Name: "x", Document: doc1}); !errors.Is(err, principals.ErrNotFound) {
		t.Fatalf("policy for a missing principal: %v, want ErrNotFound", err)
	}
	k, p, err := ps.LookupAccessKey(ctx, "AKALICE2")
	if err != nil {
		t.Fatal(err)
	}
	if k.Account != "111111111111" || k.Name != "alice" || !bytes.Equal(k.SealedSecret, key("AKALICE2", "", "").SealedSecret) || !k.CreatedAt.Equal(base) {
		t.Fatalf("access key did not round-trip: %+v", k)
	}
	wantPolicies := []principals.NamedPolicy{{Name: "describe", Document: doc1}, {Name: "issue", Document: doc2}}
	if p.Account != "111111111111" || p.Name != "alice" || !slices.Equal(p.Policies, wantPolicies) {
		t.Fatalf("principal of the key: %+v", p)
	}
	if err := ps.DeletePrincipalPolicy(ctx, "111111111111", "alice", "describe"); err != nil {
		t.Fatal(err)
	}
	if err := ps.DeletePrincipalPolicy(ctx, "111111111111", "alice", "describe"); !errors.Is(err, principals.ErrNotFound) {
		t.Fatalf("detaching a missing policy: %v, want ErrNotFound", err)
	}
	all, err := ps.Principals(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("Principals: %v, %v", all, err)
	}
	if a := all[0]; a.Account != "111111111111" || !slices.Equal(a.AccessKeyIDs, []string{"AKALICE1", "AKALICE2"}) || len(a.Policies) != 1 || a.Policies[0].Name != "issue" || !a.CreatedAt.Equal(base) {
		t.Fatalf("listed principal: %+v", a)
	}
	if err := ps.DeleteAccessKey(ctx, "111111111111", "alice", "AKALICE1"); err != nil {
		t.Fatal(err)
	}
	if err := ps.DeleteAccessKey(ctx, "111111111111", "alice", "AKALICEB"); !errors.Is(err, principals.ErrNotFound) {
		t.Fatalf("deleting another principal's key: %v, want ErrNotFound", err)
	}
	if _, _, err := ps.LookupAccessKey(ctx, "AKALICE1"); !errors.Is(err, principals.ErrNotFound) {
		t.Fatalf("deleted key still found: %v", err)
	}
	if err := ps.DeletePrincipal(ctx, "111111111111", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := ps.DeletePrincipal(ctx, "111111111111", "alice"); !errors.Is(err, principals.ErrNotFound) {
		t.Fatalf("deleting a missing principal: %v, want ErrNotFound", err)
	}
	if _, _, err := ps.LookupAccessKey(ctx, "AKALICE2"); !errors.Is(err, principals.ErrNotFound) {
		t.Fatalf("a deleted principal's key still works: %v", err)
	}
	if _, _, err := ps.LookupAccessKey(ctx, "AKALICEB"); err != nil {
		t.Fatalf("the other account's alice went too: %v", err)
	}
	// A new principal of the same name starts with no policies.
	if err := ps.CreatePrincipal(ctx, alice, key("AKALICE3", "111111111111", "alice")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := ps.LookupAccessKey(ctx, "AKALICE3"); err != nil || len(p.Policies) != 0 {
		t.Fatalf("recreated principal: %+v, %v", p, err)
	}
}
