// Package storetest is the conformance suite every pca.Store backend must
// pass. A backend's test calls Run with a function that opens an empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/pca"
)

// Run runs the whole suite; open must return a new, empty store each time.
func Run(t *testing.T, open func(t *testing.T) pca.Store) {
	tests := map[string]func(*testing.T, pca.Store){
		"CreateGetRoundTrip":         testCreateGet,
		"GetMissing":                 testGetMissing,
		"AccountsAreSeparate":        testAccounts,
		"ListOrderAndPaging":         testList,
		"UpdateAppliesMutation":      testUpdate,
		"UpdateErrorChangesNothing":  testUpdateAbort,
		"ConcurrentUpdatesSerialize": testConcurrentUpdates,
		"IdempotencyWindow":          testIdempotency,
		"ConcurrentIdempotentCreate": testConcurrentIdempotent,
		"Purge":                      testPurge,
		"CRLLeases":                  testCRLLeases,
		"Certificates":               testCertificates,
		"CertificateIdempotency":     testCertificateIdempotency,
		"Revocations":                testRevocations,
		"CRLSnapshot":                testCRLSnapshot,
		"Partitions":                 testPartitions,
		"ResourcePolicy":             testResourcePolicy,
		"Permissions":                testPermissions,
		"Principals":                 testPrincipals,
		"CRLHistory":                 testCRLHistory,
		"RevocationsPerHour":         testRevocationsPerHour,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			fn(t, s)
		})
	}
}

var base = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func str(s string) *string { return &s }

func newCA(account string, created time.Time) *pca.CA {
	omit := false
	return &pca.CA{
		ID: uuid.NewString(), Account: account, Type: pca.TypeRoot, Status: pca.StatusPendingCertificate,
		CreatedAt: created, LastStateChangeAt: created, KeyStorage: pca.DefaultKeyStorage, UsageMode: pca.DefaultUsageMode,
		Config: pca.Config{KeyAlgorithm: "EC_prime256v1", SigningAlgorithm: "SHA256WITHECDSA",
			Subject: pca.Name{CommonName: "Test CA", Organization: "openpca"},
			CsrExtensions: &pca.CsrExtensions{KeyUsage: &pca.KeyUsage{KeyCertSign: true, CRLSign: true},
				SubjectInformationAccess: []pca.AccessDescription{{MethodType: "CA_REPOSITORY",
					Location: pca.GeneralName{UniformResourceIdentifier: "http://example.test/ca"}}}}},
		Revocation: pca.RevocationConfig{CRL: pca.CRLConfig{Enabled: true, ExpirationInDays: 7, S3BucketName: "crl",
			S3ObjectACL: "PUBLIC_READ", CrlType: "COMPLETE", OmitExtension: &omit}},
		Tags: []pca.Tag{{Key: "team", Value: str("pki")}, {Key: "novalue"}, {Key: "empty", Value: str("")}},
		Key:  keys.Handle{Backend: "soft", ID: "00112233445566778899aabbccddeeff", Wrapped: []byte{1, 2, 3, 250}},
		CSR:  "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n",
	}
}

func mustCreate(t *testing.T, s pca.Store, ca *pca.CA) *pca.CA {
	t.Helper()
	got, err := s.CreateCA(context.Background(), ca, nil)
	if err != nil {
		t.Fatalf("CreateCA: %v", err)
	}
	return got
}

func equalCA(t *testing.T, got, want *pca.CA) {
	t.Helper()
	g, w := fmt.Sprintf("%+v", deref(got)), fmt.Sprintf("%+v", deref(want))
	if g != w {
		t.Fatalf("CA differs:\n got %s\nwant %s", g, w)
	}
}

// deref renders pointer fields by value so two equal CAs print the same.
func deref(ca *pca.CA) any {
	type flat struct {
		CA   pca.CA
		Ext  pca.CsrExtensions
		KU   pca.KeyUsage
		Omit bool
		Tags []string
	}
	f := flat{CA: *ca}
	if ca.Config.CsrExtensions != nil {
		f.Ext = *ca.Config.CsrExtensions
		if f.Ext.KeyUsage != nil {
			f.KU = *f.Ext.KeyUsage
		}
		f.Ext.KeyUsage = nil
		f.CA.Config.CsrExtensions = nil
	}
	if ca.Revocation.CRL.OmitExtension != nil {
		f.Omit = *ca.Revocation.CRL.OmitExtension
		f.CA.Revocation.CRL.OmitExtension = nil
	}
	for _, t := range ca.Tags {
		v := "<nil>"
		if t.Value != nil {
			v = "=" + *t.Value
		}
		f.Tags = append(f.Tags, t.Key+v)
	}
	f.CA.Tags = nil
	return f
}

func testCreateGet(t *testing.T, s pca.Store) {
	ca := newCA("111111111111", base)
	ca.NotBefore, ca.NotAfter, ca.Serial = base, base.AddDate(10, 0, 0), "0a1b"
	ca.Certificate, ca.CertificateChain = "-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----", "chain\r\n"
	mustCreate(t, s, ca)
	got, err := s.GetCA(context.Background(), ca.Account, ca.ID)
	if err != nil {
		t.Fatal(err)
	}
	equalCA(t, got, ca)
}

func testGetMissing(t *testing.T, s pca.Store) {
	if _, err := s.GetCA(context.Background(), "111111111111", uuid.NewString()); !errors.Is(err, pca.ErrNotFound) {
		t.Fatalf("GetCA of a missing CA: got %v, want ErrNotFound", err)
	}
	_, err := s.UpdateCA(context.Background(), "111111111111", uuid.NewString(), func(*pca.CA) error { return nil })
	if !errors.Is(err, pca.ErrNotFound) {
		t.Fatalf("UpdateCA of a missing CA: got %v, want ErrNotFound", err)
	}
}

func testAccounts(t *testing.T, s pca.Store) {
	ca := mustCreate(t, s, newCA("111111111111", base))
	if _, err := s.GetCA(context.Background(), "222222222222", ca.ID); !errors.Is(err, pca.ErrNotFound) {
		t.Fatalf("another account's CA: got %v, want ErrNotFound", err)
	}
	list, err := s.ListCAs(context.Background(), "222222222222", pca.ListPosition{}, 10)
	if err != nil || len(list) != 0 {
		t.Fatalf("another account's list: %d CAs, %v", len(list), err)
	}
}

func testList(t *testing.T, s pca.Store) {
	var want []string
	for i := range 7 {
		// Two CAs share each creation time, so ordering by ID is exercised.
		ca := mustCreate(t, s, newCA("111111111111", base.Add(time.Duration(i/2)*time.Second)))
		want = append(want, ca.ID)
	}
	var got []string
	var after pca.ListPosition
	for range 10 {
		page, err := s.ListCAs(context.Background(), "111111111111", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, ca := range page {
			got = append(got, ca.ID)
			after = pca.ListPosition{CreatedAt: ca.CreatedAt, ID: ca.ID}
			if len(ca.Tags) != 3 {
				t.Fatalf("listed CA has %d tags, want 3", len(ca.Tags))
			}
		}
		if len(page) < 3 {
			break
		}
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d CAs, want %d", len(got), len(want))
	}
	seen := map[string]bool{}
	for i, id := range got {
		seen[id] = true
		if i > 0 {
			prev, _ := s.GetCA(context.Background(), "111111111111", got[i-1])
			cur, _ := s.GetCA(context.Background(), "111111111111", id)
			if cur.CreatedAt.Before(prev.CreatedAt) || (cur.CreatedAt.Equal(prev.CreatedAt) && cur.ID < prev.ID) {
				t.Fatalf("list out of order at %d", i)
			}
		}
	}
	for _, id := range want {
		if !seen[id] {
			t.Fatalf("CA %s missing from the list", id)
		}
	}
}

func testUpdate(t *testing.T, s pca.Store) {
	ca := mustCreate(t, s, newCA("111111111111", base))
	s.GetCA(context.Background(), ca.Account, ca.ID) // a cached read must not outlive the update
	later := base.Add(time.Hour)
	got, err := s.UpdateCA(context.Background(), ca.Account, ca.ID, func(c *pca.CA) error {
		c.Status, c.StatusBeforeDeletion, c.RestorableUntil, c.LastStateChangeAt = pca.StatusDeleted, pca.StatusDisabled, later, later
		c.Tags = []pca.Tag{{Key: "new", Value: str("v")}}
		c.Revocation.OCSP = pca.OCSPConfig{Enabled: true, OcspCustomCname: "ocsp.example.test"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	read, err := s.GetCA(context.Background(), ca.Account, ca.ID)
	if err != nil {
		t.Fatal(err)
	}
	equalCA(t, read, got)
	if read.Status != pca.StatusDeleted || len(read.Tags) != 1 || !read.RestorableUntil.Equal(later) || !read.Revocation.OCSP.Enabled {
		t.Fatalf("update not saved: %+v", read)
	}
}

func testUpdateAbort(t *testing.T, s pca.Store) {
	ca := mustCreate(t, s, newCA("111111111111", base))
	boom := errors.New("boom")
	_, err := s.UpdateCA(context.Background(), ca.Account, ca.ID, func(c *pca.CA) error {
		c.Status = pca.StatusDisabled
		c.Tags = nil
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the mutation's error", err)
	}
	read, _ := s.GetCA(context.Background(), ca.Account, ca.ID)
	equalCA(t, read, ca)
}

func testConcurrentUpdates(t *testing.T, s pca.Store) {
	ca := mustCreate(t, s, newCA("111111111111", base))
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateCA(context.Background(), ca.Account, ca.ID, func(c *pca.CA) error {
				c.Tags = append(c.Tags, pca.Tag{Key: fmt.Sprintf("k%02d", i), Value: str("v")})
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	read, _ := s.GetCA(context.Background(), ca.Account, ca.ID)
	if len(read.Tags) != 3+n {
		t.Fatalf("lost updates: %d tags, want %d", len(read.Tags), 3+n)
	}
}

func testIdempotency(t *testing.T, s pca.Store) {
	ctx := context.Background()
	idem := &pca.Idempotency{Account: "111111111111", Operation: "CreateCertificateAuthority", Token: "tok", Since: base.Add(-5 * time.Minute)}
	first, err := s.CreateCA(ctx, newCA("111111111111", base), idem)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.CreateCA(ctx, newCA("111111111111", base.Add(time.Minute)), idem)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID {
		t.Fatalf("same token in the window made a new CA")
	}
	other := *idem
	other.Token = "other"
	third, err := s.CreateCA(ctx, newCA("111111111111", base.Add(time.Minute)), &other)
	if err != nil || third.ID == first.ID {
		t.Fatalf("another token must make a new CA: %v", err)
	}
	late := *idem
	late.Since = base.Add(time.Minute) // the first use is now outside the window
	fourth, err := s.CreateCA(ctx, newCA("111111111111", base.Add(6*time.Minute)), &late)
	if err != nil || fourth.ID == first.ID {
		t.Fatalf("an expired token must make a new CA: %v", err)
	}
	list, _ := s.ListCAs(ctx, "111111111111", pca.ListPosition{}, 100)
	if len(list) != 3 {
		t.Fatalf("%d CAs stored, want 3", len(list))
	}
}

func testConcurrentIdempotent(t *testing.T, s pca.Store) {
	idem := &pca.Idempotency{Account: "111111111111", Operation: "CreateCertificateAuthority", Token: "race", Since: base.Add(-5 * time.Minute)}
	const n = 8
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ca, err := s.CreateCA(context.Background(), newCA("111111111111", base), idem)
			if err != nil {
				t.Error(err)
				return
			}
			ids <- ca.ID
		}()
	}
	wg.Wait()
	close(ids)
	distinct := map[string]bool{}
	for id := range ids {
		distinct[id] = true
	}
	if len(distinct) != 1 {
		t.Fatalf("%d CAs created for one token, want 1", len(distinct))
	}
}

func testPurge(t *testing.T, s pca.Store) {
	ca := mustCreate(t, s, newCA("111111111111", base))
	s.GetCA(context.Background(), ca.Account, ca.ID)
	if err := s.PurgeCA(context.Background(), ca.Account, ca.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCA(context.Background(), ca.Account, ca.ID); !errors.Is(err, pca.ErrNotFound) {
		t.Fatalf("purged CA still readable: %v", err)
	}
}

func newCert(caID, serial string) *pca.Certificate {
	return &pca.Certificate{CAID: caID, Serial: serial, DER: []byte{0x30, 0x03, 0x02, 0x01, 0x01},
		IssuedAt: base, NotBefore: base.Add(-time.Hour), NotAfter: base.AddDate(1, 0, 0)}
}

func testCertificates(t *testing.T, s pca.Store) {
	ctx := context.Background()
	ca := mustCreate(t, s, newCA("111111111111", base))
	want := newCert(ca.ID, "00ff")
	if _, err := s.CreateCertificate(ctx, want, nil, 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetCertificate(ctx, ca.ID, "00ff")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("certificate differs:\n got %+v\nwant %+v", got, want)
	}
	if _, err := s.CreateCertificate(ctx, newCert(ca.ID, "00ff"), nil, 0); !errors.Is(err, pca.ErrConflict) {
		t.Fatalf("a reused serial: got %v, want ErrConflict", err)
	}
	other := mustCreate(t, s, newCA("111111111111", base))
	if _, err := s.CreateCertificate(ctx, newCert(other.ID, "00ff"), nil, 0); err != nil {
		t.Fatalf("the same serial under another CA: %v", err)
	}
	if _, err := s.GetCertificate(ctx, ca.ID, "abcd"); !errors.Is(err, pca.ErrNotFound) {
		t.Fatalf("unknown serial: got %v, want ErrNotFound", err)
	}
	// ca has issued one certificate: a limit of 2 allows one more, then refuses.
	if _, err := s.CreateCertificate(ctx, newCert(ca.ID, "0100"), nil, 2); err != nil {
		t.Fatalf("second certificate under a limit of 2: %v", err)
	}
	if _, err := s.CreateCertificate(ctx, newCert(ca.ID, "0101"), nil, 2); !errors.Is(err, pca.ErrLimit) {
		t.Fatalf("third certificate under a limit of 2: got %v, want ErrLimit", err)
	}

	// None of those named a CRL, so there is none; the first certificate
	// that does makes its CRL due, unpublished, and later ones change nothing.
	if states, err := s.CRLStates(ctx, ca.ID); err != nil || len(states) != 0 {
		t.Fatalf("CRL states before a certificate names a CRL: %+v, %v", states, err)
	}
	for _, serial := range []string{"0200", "0201"} {
		c := newCert(ca.ID, serial)
		c.NamesCRL = true
		if _, err := s.CreateCertificate(ctx, c, nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	states, err := s.CRLStates(ctx, ca.ID)
	if err != nil || len(states) != 1 || states[0].Partition != "" || !states[0].PublishedAt.IsZero() || states[0].Revision != 0 {
		t.Fatalf("CRL states after certificates naming the CRL: %+v, %v", states, err)
	}
}

func testCertificateIdempotency(t *testing.T, s pca.Store) {
	ctx := context.Background()
	ca := mustCreate(t, s, newCA("111111111111", base))
	idem := &pca.Idempotency{Account: "111111111111", Operation: "IssueCertificate/" + ca.ID, Token: "t", Since: base.Add(-5 * time.Minute)}
	first, err := s.CreateCertificate(ctx, newCert(ca.ID, "01"), idem, 0)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.CreateCertificate(ctx, newCert(ca.ID, "02"), idem, 0)
	if err != nil || second.Serial != first.Serial {
		t.Fatalf("same token: got %v, %v; want serial %s", second, err, first.Serial)
	}
	if _, err := s.GetCertificate(ctx, ca.ID, "02"); !errors.Is(err, pca.ErrNotFound) {
		t.Fatal("a repeated token stored a second certificate")
	}
}

func testRevocations(t *testing.T, s pca.Store) {
	ctx := context.Background()
	ca := mustCreate(t, s, newCA("111111111111", base))
	for _, serial := range []string{"01", "02", "03"} {
		if _, err := s.CreateCertificate(ctx, newCert(ca.ID, serial), nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	at := base.Add(time.Minute)
	got, err := s.RevokeCertificate(ctx, ca.ID, "01", at, "KEY_COMPROMISE", 2)
	if err != nil || got.Partition != "" || !got.RevokedAt.Equal(at) {
		t.Fatalf("revoke: %+v, %v", got, err)
	}
	cert, _ := s.GetCertificate(ctx, ca.ID, "01")
	if !cert.RevokedAt.Equal(at) || cert.RevocationReason != "KEY_COMPROMISE" {
		t.Fatalf("revocation not stored: %+v", cert)
	}
	for name, tc := range map[string]struct {
		serial string
		at     time.Time
		want   error
	}{
		"again":   {"01", at, pca.ErrAlreadyRevoked},
		"missing": {"ff", at, pca.ErrNotFound},
		"expired": {"02", base.AddDate(2, 0, 0), pca.ErrExpired},
	} {
		if _, err := s.RevokeCertificate(ctx, ca.ID, tc.serial, tc.at, "UNSPECIFIED", 0); !errors.Is(err, tc.want) {
			t.Fatalf("%s: got %v, want %v", name, err, tc.want)
		}
	}
	if _, err := s.RevokeCertificate(ctx, ca.ID, "02", at, "SUPERSEDED", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeCertificate(ctx, ca.ID, "03", at, "SUPERSEDED", 2); !errors.Is(err, pca.ErrLimit) {
		t.Fatalf("third revocation with limit 2: got %v, want ErrLimit", err)
	}
	states, err := s.CRLStates(ctx, ca.ID)
	if err != nil || len(states) != 1 || states[0].RevokedCount != 2 || !states[0].DirtySince.Equal(at) || states[0].Account != ca.Account {
		t.Fatalf("CRL state: %+v, %v", states, err)
	}
}

func testCRLSnapshot(t *testing.T, s pca.Store) {
	ctx := context.Background()
	ca := mustCreate(t, s, newCA("111111111111", base))
	for _, serial := range []string{"0a", "0b", "0c"} {
		s.CreateCertificate(ctx, newCert(ca.ID, serial), nil, 0)
	}
	s.RevokeCertificate(ctx, ca.ID, "0a", base, "KEY_COMPROMISE", 0)
	s.RevokeCertificate(ctx, ca.ID, "0b", base.Add(time.Minute), "UNSPECIFIED", 0)
	if states, _ := s.CRLStates(ctx, ca.ID); len(states) != 1 || !states[0].UnpublishedSince.Equal(base) {
		t.Fatalf("the oldest unpublished revocation: %+v", states)
	}
	var rev int64
	err := s.ReadCRL(ctx, ca.ID, "", -1, func(revision int64, entries func(func(pca.RevokedEntry) error) error) error {
		rev = revision
		count := func() int {
			n := 0
			if err := entries(func(pca.RevokedEntry) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		first := count()
		// A revocation committed while the snapshot is open is not in it.
		if _, err := s.RevokeCertificate(ctx, ca.ID, "0c", base.Add(2*time.Minute), "UNSPECIFIED", 0); err != nil {
			t.Fatal(err)
		}
		if second := count(); first != 2 || second != 2 {
			t.Fatalf("passes saw %d then %d entries, want 2 and 2", first, second)
		}
		return nil
	})
	if err != nil || rev != 2 {
		t.Fatalf("ReadCRL: revision %d, %v", rev, err)
	}
	// From a known revision on, only later revocations come back.
	var later []string
	s.ReadCRL(ctx, ca.ID, "", 2, func(revision int64, entries func(func(pca.RevokedEntry) error) error) error {
		return entries(func(e pca.RevokedEntry) error { later = append(later, e.Serial); return nil })
	})
	if fmt.Sprint(later) != "[0c]" {
		t.Fatalf("revocations after revision 2: %v, want [0c]", later)
	}
	st := pca.CRLState{CAID: ca.ID, Number: 7, ThisUpdate: base, NextUpdate: base.AddDate(0, 0, 7), PublishedAt: base, SizeBytes: 100, Entries: 2}
	if err := s.SaveCRLPublished(ctx, st, rev, "node"); !errors.Is(err, pca.ErrLeaseLost) {
		t.Fatalf("saving without the lease: got %v, want ErrLeaseLost", err)
	}
	lease(t, s, ca.ID, "", "node", base, true)
	if err := s.SaveCRLPublished(ctx, st, rev, "node"); err != nil {
		t.Fatal(err)
	}
	states, _ := s.CRLStates(ctx, ca.ID)
	if got := states[0]; got.Number != 7 || got.DirtySince.IsZero() || got.RevokedCount != 3 {
		t.Fatalf("a CRL that missed a revocation must stay due: %+v", got)
	}
	// ... from that revocation on, not from the oldest revocation before it.
	if got := states[0]; !got.UnpublishedSince.Equal(base.Add(2*time.Minute)) || !got.DirtySince.Equal(got.UnpublishedSince) {
		t.Fatalf("after publishing 0a and 0b, 0c (revoked at %v) is the oldest unpublished: %+v", base.Add(2*time.Minute), got)
	}
	lease(t, s, ca.ID, "", "node", base, true)
	if err := s.SaveCRLPublished(ctx, pca.CRLState{CAID: ca.ID, Number: 7, Entries: 3}, 3, "node"); !errors.Is(err, pca.ErrLeaseLost) {
		t.Fatalf("a CRL Number that does not grow: got %v, want ErrLeaseLost", err)
	}
	if err := s.SaveCRLPublished(ctx, pca.CRLState{CAID: ca.ID, Number: 8, Entries: 3, Location: "crl/crl/x.crl"}, 3, "node"); err != nil {
		t.Fatal(err)
	}
	states, _ = s.CRLStates(ctx, ca.ID)
	if got := states[0]; got.Number != 8 || !got.DirtySince.IsZero() || !got.UnpublishedSince.IsZero() || got.RevokedCount != 3 || got.Revision != 3 || got.Location != "crl/crl/x.crl" {
		t.Fatalf("an up-to-date CRL must clear the row: %+v", got)
	}
	// A revocation after that makes the published row due again.
	at := base.Add(3 * time.Minute)
	s.CreateCertificate(ctx, newCert(ca.ID, "0d"), nil, 0)
	if _, err := s.RevokeCertificate(ctx, ca.ID, "0d", at, "UNSPECIFIED", 0); err != nil {
		t.Fatal(err)
	}
	states, _ = s.CRLStates(ctx, ca.ID)
	if got := states[0]; !got.DirtySince.Equal(at) || !got.UnpublishedSince.Equal(at) || got.Revision != 4 {
		t.Fatalf("a revocation after publication must make the CRL due from it: %+v", got)
	}
}

// lease takes a CRL lease for a minute from at and checks the outcome.
func lease(t *testing.T, s pca.Store, caID, partition, holder string, at time.Time, want bool) {
	t.Helper()
	got, err := s.LeaseCRL(context.Background(), caID, partition, holder, at, at.Add(time.Minute), false)
	if err != nil || got != want {
		t.Fatalf("%s leasing at %v: %v, %v; want %v", holder, at, got, err, want)
	}
}

func testCRLLeases(t *testing.T, s pca.Store) {
	ctx := context.Background()
	ca := mustCreate(t, s, newCA("111111111111", base))
	// The first lease creates the CRL's row, due from then on.
	lease(t, s, ca.ID, "p", "a", base, true)
	if states, _ := s.CRLStates(ctx, ca.ID); len(states) != 1 || !states[0].DirtySince.Equal(base) {
		t.Fatalf("a leased CRL without a row must get one, due: %+v", states)
	}
	lease(t, s, ca.ID, "p", "b", base.Add(time.Second), false)
	lease(t, s, ca.ID, "p", "a", base.Add(time.Second), true) // a holder may take it again
	lease(t, s, ca.ID, "q", "b", base, true)                  // leases are per CRL
	// Once a's lease has run out, b takes over; a's renewal then fails,
	// even after b has released it.
	lease(t, s, ca.ID, "p", "b", base.Add(2*time.Minute), true)
	if err := s.ReleaseCRL(ctx, ca.ID, "p", "a"); err != nil { // not a's to release
		t.Fatal(err)
	}
	lease(t, s, ca.ID, "p", "c", base.Add(2*time.Minute), false)
	if err := s.ReleaseCRL(ctx, ca.ID, "p", "b"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.LeaseCRL(ctx, ca.ID, "p", "a", base.Add(3*time.Minute), base.Add(4*time.Minute), true); ok || err != nil {
		t.Fatalf("a renewed a lease it had lost: %v, %v", ok, err)
	}
	lease(t, s, ca.ID, "p", "c", base.Add(2*time.Minute), true) // released: free at once
	if ok, err := s.LeaseCRL(ctx, ca.ID, "p", "c", base.Add(3*time.Minute), base.Add(4*time.Minute), true); !ok || err != nil {
		t.Fatalf("the holder's renewal: %v, %v", ok, err)
	}
}

func testPartitions(t *testing.T, s pca.Store) {
	ctx := context.Background()
	ca := mustCreate(t, s, newCA("111111111111", base))
	var got []string
	for i := range 5 {
		p, err := s.ReservePartition(ctx, ca.ID, fmt.Sprintf("p%d", i), 2, base.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	if fmt.Sprint(got) != "[p0 p0 p2 p2 p4]" {
		t.Fatalf("partitions %v, want two certificates per partition", got)
	}
	states, _ := s.CRLStates(ctx, ca.ID)
	if len(states) != 3 || states[0].DirtySince.IsZero() {
		t.Fatalf("each new partition's CRL must be due: %+v", states)
	}
}
