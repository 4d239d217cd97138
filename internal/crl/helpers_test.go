package crl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"math/big"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/openpca/openpca/internal/x509util"
)

// testNow anchors every date in the tests.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testCA is an issuer and its key.
type testCA struct {
	cert   *x509.Certificate
	signer crypto.Signer
	sigAlg string
}

func keyFor(t testing.TB, sigAlg string) crypto.Signer {
	t.Helper()
	var (
		k   crypto.Signer
		err error
	)
	switch sigAlg {
	case x509util.SHA256WithRSA, x509util.SHA384WithRSA, x509util.SHA512WithRSA:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case x509util.SHA256WithECDSA:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case x509util.SHA384WithECDSA:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case x509util.SHA512WithECDSA:
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case x509util.MLDSA44:
		_, k, err = mldsa44.GenerateKey(rand.Reader)
	case x509util.MLDSA65:
		_, k, err = mldsa65.GenerateKey(rand.Reader)
	case x509util.MLDSA87:
		_, k, err = mldsa87.GenerateKey(rand.Reader)
	default:
		t.Fatalf("no key for %s", sigAlg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var (
	caMu    sync.Mutex
	caCache = map[string]*testCA{}
)

// newCA returns a self-signed root for sigAlg, shared between tests.
func newCA(t testing.TB, sigAlg string) *testCA {
	t.Helper()
	caMu.Lock()
	defer caMu.Unlock()
	if ca := caCache[sigAlg]; ca != nil {
		return ca
	}
	k := keyFor(t, sigAlg)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Country: []string{"US"}, Organization: []string{"Example"}, CommonName: "CRL Test CA " + sigAlg},
		NotBefore:             testNow.AddDate(-1, 0, 0),
		NotAfter:              testNow.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509util.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k, sigAlg)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &testCA{cert, k, sigAlg}
	caCache[sigAlg] = ca
	return ca
}

// sliceEntries yields es, and counts its calls.
func sliceEntries(es []Entry, calls *int) Entries {
	return func(yield func(Entry) error) error {
		if calls != nil {
			*calls++
		}
		for _, e := range es {
			if err := yield(e); err != nil {
				return err
			}
		}
		return nil
	}
}

// genEntries yields n entries generated on the fly, the same ones on every
// call, the way a database scan decodes rows into one reused buffer:
// 16-octet serials with a first octet 0x01-0x7F, revocation dates in the
// year before testNow, reasons cycling through keyCompromise,
// affiliationChanged, superseded and cessationOfOperation, so every entry
// carries a reasonCode (49 octets of DER each).
func genEntries(n int) Entries {
	reasons := [...]int{1, 3, 4, 5}
	return func(yield func(Entry) error) error {
		r := mrand.NewChaCha8([32]byte{1, 2, 3})
		var serial [16]byte
		base := testNow.AddDate(-1, 0, 0)
		for i := range n {
			binary.BigEndian.PutUint64(serial[:8], r.Uint64())
			binary.BigEndian.PutUint64(serial[8:], r.Uint64())
			serial[0] = serial[0]%0x7f + 1
			e := Entry{
				Serial:    serial[:],
				RevokedAt: base.Add(time.Duration(i%(365*24*3600)) * time.Second),
				Reason:    reasons[i%len(reasons)],
			}
			if err := yield(e); err != nil {
				return err
			}
		}
		return nil
	}
}

// collect materializes entries, copying each serial.
func collect(t testing.TB, entries Entries) []Entry {
	t.Helper()
	var out []Entry
	if err := entries(func(e Entry) error {
		e.Serial = append([]byte(nil), e.Serial...)
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
