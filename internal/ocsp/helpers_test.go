package ocsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/openpca/openpca/internal/x509util"
)

// testNow anchors every date in the tests.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is the responder's clock in tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testCA is a self-signed CA and its key.
type testCA struct {
	id     string
	cert   *x509.Certificate
	signer crypto.Signer
	alg    string
	pem    []byte
}

func (ca *testCA) CA() CA {
	return CA{ID: ca.id, Certificate: ca.cert, Signer: ca.signer, SigningAlgorithm: ca.alg}
}

// testAlgs are the CA kinds every behaviour is checked with.
var testAlgs = []string{x509util.SHA256WithECDSA, x509util.SHA256WithRSA, x509util.MLDSA65}

var (
	caMu    sync.Mutex
	caCache = map[string]*testCA{}
)

// newCA returns a CA for sigAlg, shared between tests of the same name.
func newCA(t testing.TB, name, sigAlg string) *testCA {
	t.Helper()
	caMu.Lock()
	defer caMu.Unlock()
	if ca := caCache[name+sigAlg]; ca != nil {
		return ca
	}
	var (
		k   crypto.Signer
		err error
	)
	switch sigAlg {
	case x509util.SHA256WithECDSA:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case x509util.SHA256WithRSA:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case x509util.MLDSA65:
		_, k, err = mldsa65.GenerateKey(rand.Reader)
	default:
		t.Fatalf("no key for %s", sigAlg)
	}
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"Example"}, CommonName: name + " " + sigAlg},
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
	ca := &testCA{id: name + "-" + sigAlg, cert: cert, signer: k, alg: sigAlg, pem: pemCert(der)}
	caCache[name+sigAlg] = ca
	return ca
}

// leaf issues an end-entity certificate with the given serial.
func (ca *testCA) leaf(t testing.TB, serial *big.Int) *x509.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "leaf.example.test"},
		DNSNames:     []string{"leaf.example.test"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509util.CreateCertificate(rand.Reader, tmpl, ca.cert, k.Public(), ca.signer, ca.alg)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// memBackend is an in-memory Backend.
type memBackend struct {
	mu          sync.Mutex
	cas         []CA
	status      map[string]Status // caID + "/" + serial
	casErr      error
	statusErr   error
	casCalls    int
	statusCalls int
	// onStatus, if set, runs (unlocked) before Status answers.
	onStatus func(caID, serial string)
}

func newBackend(cas ...*testCA) *memBackend {
	b := &memBackend{status: map[string]Status{}}
	for _, ca := range cas {
		b.cas = append(b.cas, ca.CA())
	}
	return b
}

func (b *memBackend) CAs(context.Context) ([]CA, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.casCalls++
	if b.casErr != nil {
		return nil, b.casErr
	}
	return append([]CA(nil), b.cas...), nil
}

func (b *memBackend) Status(ctx context.Context, caID, serial string) (Status, error) {
	b.mu.Lock()
	hook := b.onStatus
	b.statusCalls++
	st, err := b.status[caID+"/"+serial], b.statusErr
	b.mu.Unlock()
	if hook != nil {
		hook(caID, serial)
	}
	if err != nil {
		return Status{}, err
	}
	return st, ctx.Err()
}

func (b *memBackend) issue(ca *testCA, serial *big.Int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status[ca.id+"/"+serial.Text(16)] = Status{Known: true}
}

func (b *memBackend) revoke(ca *testCA, serial *big.Int, at time.Time, reason int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status[ca.id+"/"+serial.Text(16)] = Status{Known: true, Revoked: true, RevokedAt: at, Reason: reason}
}

func (b *memBackend) calls() (cas, status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.casCalls, b.statusCalls
}

var _ Backend = (*memBackend)(nil)

// env is a responder behind an HTTP server, mounted as openpca mounts it.
type env struct {
	r     *Responder
	b     *memBackend
	clock *fakeClock
	reg   *prometheus.Registry
	srv   *httptest.Server
}

func newEnv(t testing.TB, cfg Config, cas ...*testCA) *env {
	t.Helper()
	b := newBackend(cas...)
	reg := prometheus.NewRegistry()
	r := New(b, cfg, reg, slog.New(slog.DiscardHandler))
	clock := &fakeClock{t: testNow}
	r.now = clock.now
	mux := http.NewServeMux()
	h := http.StripPrefix("/ocsp", r)
	mux.Handle("/ocsp", h)
	mux.Handle("/ocsp/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{r: r, b: b, clock: clock, reg: reg, srv: srv}
}

// certIDOf is the CertID of cert issued by ca.
func certIDOf(t testing.TB, cert *x509.Certificate, ca *testCA, h crypto.Hash) certID {
	t.Helper()
	bits, err := subjectPublicKeyBits(ca.cert.RawSubjectPublicKeyInfo)
	if err != nil {
		t.Fatal(err)
	}
	nh := h.New()
	nh.Write(ca.cert.RawSubject)
	kh := h.New()
	kh.Write(bits)
	return certID{hash: h, nameHash: nh.Sum(nil), keyHash: kh.Sum(nil), serial: serialBytes(cert.SerialNumber)}
}

// serialBytes is the DER INTEGER content of a non-negative serial.
func serialBytes(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b
}

// encodeRequest is the test's OCSPRequest encoder: the CertIDs with NULL
// hash parameters and, if nonce is set, a nonce extension with that
// extnValue.
func encodeRequest(req request) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, id := range req.certs {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(hashOID(id.hash)) })
								b.AddASN1NULL()
							})
							b.AddASN1OctetString(id.nameHash)
							b.AddASN1OctetString(id.keyHash)
							b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(id.serial) })
						})
					})
				}
			})
			if req.nonce != nil {
				b.AddASN1(tagExplicit2, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidNonce) })
							b.AddASN1OctetString(req.nonce)
						})
					})
				})
			}
		})
	})
	return b.BytesOrPanic()
}

// nonceValue is a nonce extnValue as RFC 8954 encodes it: an OCTET STRING.
func nonceValue(n []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1OctetString(n)
	return b.BytesOrPanic()
}

// post sends a DER request by POST and returns the HTTP response and body.
func (e *env) post(t testing.TB, der []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(e.srv.URL+"/ocsp", "application/ocsp-request", bytes.NewReader(der))
	if err != nil {
		t.Fatal(err)
	}
	return readResp(t, resp)
}

// get sends a DER request by GET, %-encoding the standard base64.
func (e *env) get(t testing.TB, der []byte) (*http.Response, []byte) {
	t.Helper()
	return e.getPath(t, "/ocsp/"+url.PathEscape(base64.StdEncoding.EncodeToString(der)), nil)
}

func (e *env) getPath(t testing.TB, path string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readResp(t, resp)
}

func readResp(t testing.TB, resp *http.Response) (*http.Response, []byte) {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// decoded is what the tests read from a response beyond what
// golang.org/x/crypto/ocsp exposes.
type decoded struct {
	status       int
	tbs, ai, sig []byte
	responderID  []byte // DER ResponderID
	nonce        []byte // extnValue; nil if absent
	hasNonce     bool
	singles      []decodedSingle
	certs        bool // the response carries certificates
}

type decodedSingle struct {
	certID        []byte // DER
	status        int    // 0 good, 1 revoked, 2 unknown
	reasonPresent bool
}

// decode parses a DER OCSPResponse strictly.
func decode(t testing.TB, der []byte) decoded {
	t.Helper()
	var d decoded
	fail := func(what string) decoded {
		t.Helper()
		t.Fatalf("malformed response: %s", what)
		return d
	}
	in := cryptobyte.String(der)
	var outer, rb, rbSeq, oid, basicOctets cryptobyte.String
	var st int
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) || !in.Empty() || !outer.ReadASN1Enum(&st) {
		return fail("OCSPResponse")
	}
	d.status = st
	if outer.Empty() {
		return d
	}
	if !outer.ReadASN1(&rb, tagExplicit0) || !outer.Empty() || !rb.ReadASN1(&rbSeq, cbasn1.SEQUENCE) || !rb.Empty() ||
		!rbSeq.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) || !bytes.Equal(oid, oidBasic) ||
		!rbSeq.ReadASN1(&basicOctets, cbasn1.OCTET_STRING) || !rbSeq.Empty() {
		return fail("responseBytes")
	}
	var basic, tbsFull, ai cryptobyte.String
	var sig []byte
	if !basicOctets.ReadASN1(&basic, cbasn1.SEQUENCE) || !basicOctets.Empty() ||
		!basic.ReadASN1Element(&tbsFull, cbasn1.SEQUENCE) || !basic.ReadASN1Element(&ai, cbasn1.SEQUENCE) ||
		!readBitString(&basic, &sig) {
		return fail("BasicOCSPResponse")
	}
	d.tbs, d.ai, d.sig = tbsFull, ai, sig
	d.certs = !basic.Empty()
	var tbs, rid, responses cryptobyte.String
	if !tbsFull.ReadASN1(&tbs, cbasn1.SEQUENCE) || tbs.PeekASN1Tag(tagExplicit0) ||
		!tbs.ReadAnyASN1Element(&rid, nil) || !tbs.SkipASN1(cbasn1.GeneralizedTime) ||
		!tbs.ReadASN1(&responses, cbasn1.SEQUENCE) {
		return fail("ResponseData")
	}
	d.responderID = rid
	for !responses.Empty() {
		var sr, certID cryptobyte.String
		var ds decodedSingle
		if !responses.ReadASN1(&sr, cbasn1.SEQUENCE) || !sr.ReadASN1Element(&certID, cbasn1.SEQUENCE) {
			return fail("SingleResponse")
		}
		ds.certID = certID
		var status cryptobyte.String
		var tag cbasn1.Tag
		if !sr.ReadAnyASN1(&status, &tag) {
			return fail("certStatus")
		}
		switch tag {
		case cbasn1.Tag(0).ContextSpecific():
			ds.status = 0
		case cbasn1.Tag(1).ContextSpecific().Constructed():
			ds.status = 1
			if !status.SkipASN1(cbasn1.GeneralizedTime) {
				return fail("revocationTime")
			}
			ds.reasonPresent = !status.Empty()
		case cbasn1.Tag(2).ContextSpecific():
			ds.status = 2
		default:
			return fail("certStatus tag")
		}
		if !sr.SkipASN1(cbasn1.GeneralizedTime) || !sr.SkipASN1(tagExplicit0) || !sr.Empty() {
			return fail("thisUpdate/nextUpdate")
		}
		d.singles = append(d.singles, ds)
	}
	var exts cryptobyte.String
	var hasExts bool
	if !tbs.ReadOptionalASN1(&exts, &hasExts, tagExplicit1) || !tbs.Empty() {
		return fail("responseExtensions")
	}
	if hasExts {
		err := eachExtension(exts, func(oid, value []byte) bool {
			if bytes.Equal(oid, oidNonce) {
				d.nonce, d.hasNonce = value, true
			}
			return true
		})
		if err != nil {
			return fail("responseExtensions")
		}
	}
	return d
}

// checkSignedByCA verifies that the response is signed by the CA key with
// the CA's signing algorithm and names the CA by key.
func checkSignedByCA(t testing.TB, d decoded, ca *testCA) {
	t.Helper()
	_, wantAI, err := x509util.SigningParameters(ca.signer, ca.alg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.ai, wantAI) {
		t.Errorf("signature algorithm %x, want %s (%x)", d.ai, ca.alg, wantAI)
	}
	pub, err := x509util.PublicKey(ca.cert)
	if err != nil {
		t.Fatal(err)
	}
	if err := x509util.CheckSignature(d.ai, d.tbs, d.sig, pub); err != nil {
		t.Errorf("signature: %v", err)
	}
	is, err := newIssuer(ca.CA())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.responderID, is.responderID) {
		t.Errorf("ResponderID %x, want byKey %x", d.responderID, is.responderID)
	}
	if d.certs {
		t.Error("the response carries certificates; the CA signs directly")
	}
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

var errBackendDown = errors.New("backend down")
