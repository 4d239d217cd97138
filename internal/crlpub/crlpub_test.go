package crlpub_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/openpca/openpca/internal/crlpub"
	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/objstore/fsstore"
	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/store/sqlite"
)

// signerKeys hands out one signer for every key handle.
type signerKeys struct{ signer crypto.Signer }

func (k signerKeys) CreateKey(context.Context, string) (keys.Handle, crypto.PublicKey, error) {
	return keys.Handle{}, nil, errors.New("not in this test")
}
func (k signerKeys) Signer(context.Context, keys.Handle) (crypto.Signer, error) { return k.signer, nil }
func (k signerKeys) DestroyKey(context.Context, keys.Handle) error              { return nil }

// fixture is a publisher over a real SQLite store and the embedded object
// store, with one ACTIVE CA publishing a COMPLETE CRL and one revocation.
type fixture struct {
	pub     *crlpub.Publisher
	objects *fsstore.Store
	ca      *pca.CA
}

// newFixture builds the fixture; the CA certificate has the key usage given.
func newFixture(t *testing.T, usage x509.KeyUsage) fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "openpca.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	objects, err := fsstore.New(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objects.Close() })
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "crlpub test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: usage, SubjectKeyId: []byte{1, 2, 3, 4}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca := &pca.CA{ID: "0f0f0f0f-0000-4000-8000-000000000001", Account: "111122223333", Type: pca.TypeRoot, Status: pca.StatusActive,
		CreatedAt: now, LastStateChangeAt: now, NotBefore: tmpl.NotBefore, NotAfter: tmpl.NotAfter,
		Config:      pca.Config{KeyAlgorithm: "EC_prime256v1", SigningAlgorithm: "SHA256WITHECDSA", Subject: pca.Name{CommonName: "crlpub test CA"}},
		Revocation:  pca.RevocationConfig{CRL: pca.CRLConfig{Enabled: true, ExpirationInDays: 7, S3BucketName: "crl-bucket", S3ObjectACL: "PUBLIC_READ", CrlType: "COMPLETE"}},
		Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		Key:         keys.Handle{Backend: "soft", ID: "key"},
	}
	if _, err := store.CreateCA(ctx, ca, nil); err != nil {
		t.Fatal(err)
	}
	cert := &pca.Certificate{CAID: ca.ID, Serial: "1234abcd", DER: []byte{0x30, 0x00}, IssuedAt: now, NotBefore: now, NotAfter: now.AddDate(0, 1, 0)}
	if _, err := store.CreateCertificate(ctx, cert, nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := store.RevokeCertificate(ctx, ca.ID, cert.Serial, now, "KEY_COMPROMISE", 0); err != nil {
		t.Fatal(err)
	}
	domain := &pca.Service{Store: store, Keys: signerKeys{caKey}, Region: "us-east-1", ObjectBaseURL: "http://127.0.0.1:1", TempDir: t.TempDir()}
	pub := crlpub.New(domain, objects, crlpub.Config{}, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	return fixture{pub: pub, objects: objects, ca: ca}
}

func (f fixture) object(t *testing.T) ([]byte, error) {
	return f.objects.Get(context.Background(), "crl-bucket", "crl/"+f.ca.ID+".crl")
}

func TestPublish(t *testing.T) {
	f := newFixture(t, x509.KeyUsageCertSign|x509.KeyUsageCRLSign)
	if err := f.pub.Publish(context.Background(), f.ca.Account, f.ca.ID, ""); err != nil {
		t.Fatal(err)
	}
	der, err := f.object(t)
	if err != nil {
		t.Fatal(err)
	}
	list, err := x509.ParseRevocationList(der)
	if err != nil || len(list.RevokedCertificateEntries) != 1 {
		t.Fatalf("published CRL: %v, %v", list, err)
	}
	info, err := f.objects.Head(context.Background(), "crl-bucket", "crl/"+f.ca.ID+".crl")
	if err != nil || info.Metadata["crl-number"] != list.Number.String() {
		t.Fatalf("the object carries CRL number %q, want %v (%v)", info.Metadata["crl-number"], list.Number, err)
	}
	if n := testutil.ToFloat64(f.pub.Generated(f.ca.ID)); n != 1 {
		t.Fatalf("openpca_crl_generated_total = %v", n)
	}
}
