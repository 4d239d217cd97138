package crl

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/openpca/openpca/internal/x509util"
)

// sampleEntries covers the encoding cases: serials with and without the
// top bit set, with leading zero octets, of 1 and 20 octets; each reason
// (0 omits the extension); UTCTime and, from 2050, GeneralizedTime.
func sampleEntries(thisUpdate time.Time) []Entry {
	at := thisUpdate.Add(-48 * time.Hour)
	return []Entry{
		{Serial: []byte{0xe8, 0xcb, 0xd2, 0xbe, 0xdb, 0x12, 0x23, 0x29, 0xf9, 0x77, 0x06, 0xbc, 0xfe, 0xc9, 0x90, 0xf8}, RevokedAt: at, Reason: 1},
		{Serial: []byte{0x67, 0x07, 0x44, 0x76, 0x83, 0xa9, 0xb7, 0xf4, 0x05, 0x56, 0x27, 0xff, 0xd5, 0x5c, 0xeb, 0xcc}, RevokedAt: at.Add(time.Second + 999*time.Millisecond), Reason: 0},
		{Serial: []byte{0x00, 0x00, 0x0b, 0x17}, RevokedAt: at.Add(time.Minute).In(time.FixedZone("X", 5*3600)), Reason: 2},
		{Serial: []byte{0x01}, RevokedAt: at, Reason: 3},
		{Serial: bytes.Repeat([]byte{0x7f}, 20), RevokedAt: at, Reason: 4},
		{Serial: bytes.Repeat([]byte{0xff}, 20), RevokedAt: at, Reason: 5},
		{Serial: []byte{0x80}, RevokedAt: at, Reason: 6},
		{Serial: []byte{0x12, 0x34}, RevokedAt: at, Reason: 9},
		{Serial: []byte{0x12, 0x35}, RevokedAt: at, Reason: 10},
		{Serial: []byte{0x12, 0x36}, RevokedAt: thisUpdate.Add(-time.Hour), Reason: 1},
	}
}

func template(ca *testCA, thisUpdate time.Time, idp string) Template {
	return Template{
		Issuer:                   ca.cert,
		Number:                   big.NewInt(thisUpdate.UnixMilli()),
		ThisUpdate:               thisUpdate,
		NextUpdate:               thisUpdate.Add(7*24*time.Hour + time.Hour),
		IssuingDistributionPoint: idp,
	}
}

func create(t testing.TB, ca *testCA, tmpl Template, entries []Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	calls := 0
	st, err := Create(&buf, rand.Reader, tmpl, sliceEntries(entries, &calls), ca.signer, ca.sigAlg)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("entries read %d times, want 2", calls)
	}
	if st.Bytes != int64(buf.Len()) || st.Entries != int64(len(entries)) {
		t.Errorf("stats %+v, wrote %d bytes of %d entries", st, buf.Len(), len(entries))
	}
	return buf.Bytes()
}

var oidIDP = asn1.ObjectIdentifier{2, 5, 29, 28}

func TestCreateRoundTrip(t *testing.T) {
	const idpURI = "http://crl.example.com/crl/4c0bd3f2-6a8a-4c83-9a3e-2cf6d5e1c4aa.crl"
	for _, alg := range x509util.SigningAlgorithms() {
		ca := newCA(t, alg)
		for _, tc := range []struct {
			name       string
			thisUpdate time.Time
			idp        string
		}{
			{"complete", testNow, ""},
			{"partition", testNow, idpURI},
			{"2050", time.Date(2050, 1, 1, 12, 0, 0, 0, time.UTC), idpURI}, // entries straddle 2050
		} {
			t.Run(alg+"/"+tc.name, func(t *testing.T) {
				tmpl := template(ca, tc.thisUpdate, tc.idp)
				entries := sampleEntries(tc.thisUpdate)
				der := create(t, ca, tmpl, entries)
				rl, err := x509.ParseRevocationList(der)
				if err != nil {
					t.Fatal(err)
				}
				checkParsed(t, rl, ca, tmpl, entries)
				if !strings.HasPrefix(alg, "ML_DSA") {
					if err := rl.CheckSignatureFrom(ca.cert); err != nil {
						t.Errorf("CheckSignatureFrom: %v", err)
					}
				}
				if err := Check(der, ca.cert, big.NewInt(1)); err != nil {
					t.Errorf("Check: %v", err)
				}
			})
		}
	}
}

func checkParsed(t *testing.T, rl *x509.RevocationList, ca *testCA, tmpl Template, entries []Entry) {
	t.Helper()
	if !bytes.Equal(rl.RawIssuer, ca.cert.RawSubject) {
		t.Errorf("issuer %x, want %x", rl.RawIssuer, ca.cert.RawSubject)
	}
	if rl.Number.Cmp(tmpl.Number) != 0 {
		t.Errorf("number %v, want %v", rl.Number, tmpl.Number)
	}
	if !rl.ThisUpdate.Equal(tmpl.ThisUpdate.Truncate(time.Second)) || !rl.NextUpdate.Equal(tmpl.NextUpdate.Truncate(time.Second)) {
		t.Errorf("times %v, %v; want %v, %v", rl.ThisUpdate, rl.NextUpdate, tmpl.ThisUpdate, tmpl.NextUpdate)
	}
	if !bytes.Equal(rl.AuthorityKeyId, ca.cert.SubjectKeyId) {
		t.Errorf("AKI %x, want %x", rl.AuthorityKeyId, ca.cert.SubjectKeyId)
	}
	// The TBSCertList's signature field equals signatureAlgorithm (crypto/x509
	// checks that) and is the exact AlgorithmIdentifier for the algorithm.
	_, wantAI, err := x509util.SigningParameters(ca.signer, ca.sigAlg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(rl.RawTBSRevocationList[:64], wantAI) {
		t.Errorf("AlgorithmIdentifier %x not in the TBSCertList", wantAI)
	}
	if len(rl.RevokedCertificateEntries) != len(entries) {
		t.Fatalf("%d entries, want %d", len(rl.RevokedCertificateEntries), len(entries))
	}
	for i, got := range rl.RevokedCertificateEntries {
		want := entries[i]
		if got.SerialNumber.Cmp(new(big.Int).SetBytes(want.Serial)) != 0 {
			t.Errorf("entry %d: serial %x, want %x", i, got.SerialNumber, want.Serial)
		}
		if !got.RevocationTime.Equal(want.RevokedAt.Truncate(time.Second)) {
			t.Errorf("entry %d: time %v, want %v", i, got.RevocationTime, want.RevokedAt)
		}
		tag := byte(tagUTCTime)
		if want.RevokedAt.UTC().Year() >= 2050 {
			tag = tagGeneralizedTime
		}
		raw := cryptobyte.String(got.Raw)
		if !raw.ReadASN1(&raw, cbasn1.SEQUENCE) || !raw.SkipASN1(cbasn1.INTEGER) || !raw.PeekASN1Tag(cbasn1.Tag(tag)) {
			t.Errorf("entry %d: revocationDate is not tagged %#x: %x", i, tag, got.Raw)
		}
		if got.ReasonCode != want.Reason {
			t.Errorf("entry %d: reason %d, want %d", i, got.ReasonCode, want.Reason)
		}
		if want.Reason == 0 && len(got.Extensions) != 0 {
			t.Errorf("entry %d: extensions %v for an unspecified reason", i, got.Extensions)
		}
		for _, ext := range got.Extensions {
			if ext.Critical {
				t.Errorf("entry %d: critical extension %v", i, ext.Id)
			}
		}
	}
	var idp []byte
	for _, ext := range rl.Extensions {
		if ext.Id.Equal(oidIDP) {
			if !ext.Critical {
				t.Error("IDP is not critical")
			}
			idp = ext.Value
		}
	}
	wantExts := 2
	if tmpl.IssuingDistributionPoint != "" {
		wantExts = 3
		var v struct {
			DP asn1.RawValue `asn1:"optional,tag:0"`
		}
		if rest, err := asn1.Unmarshal(idp, &v); err != nil || len(rest) > 0 {
			t.Fatalf("IDP %x: %v", idp, err)
		}
		var names asn1.RawValue // fullName [0] GeneralNames
		if _, err := asn1.Unmarshal(v.DP.Bytes, &names); err != nil || names.Tag != 0 || names.Class != asn1.ClassContextSpecific {
			t.Fatalf("IDP distributionPoint %x: %v", v.DP.Bytes, err)
		}
		var uri asn1.RawValue // [6] uniformResourceIdentifier
		if rest, err := asn1.Unmarshal(names.Bytes, &uri); err != nil || len(rest) > 0 || uri.Tag != 6 || uri.Class != asn1.ClassContextSpecific {
			t.Fatalf("IDP fullName %x: %v", names.Bytes, err)
		}
		if string(uri.Bytes) != tmpl.IssuingDistributionPoint {
			t.Errorf("IDP URI %q, want %q", uri.Bytes, tmpl.IssuingDistributionPoint)
		}
	} else if idp != nil {
		t.Error("IDP present on a complete CRL")
	}
	if len(rl.Extensions) != wantExts {
		t.Errorf("%d CRL extensions, want %d", len(rl.Extensions), wantExts)
	}
}

// TestMatchesCryptoX509 compares Create with x509.CreateRevocationList on
// the same input: the TBSCertList is byte-identical (only the signature
// differs), so every parsed field is too.
func TestMatchesCryptoX509(t *testing.T) {
	for _, alg := range []string{x509util.SHA256WithECDSA, x509util.SHA384WithECDSA, x509util.SHA256WithRSA} {
		ca := newCA(t, alg)
		for _, n := range []int{0, 1, 1000} {
			var entries []Entry
			if n > 0 {
				entries = append(collect(t, genEntries(n-1)), sampleEntries(testNow)...)
			}
			tmpl := template(ca, testNow, "")
			ours := create(t, ca, tmpl, entries)

			std := &x509.RevocationList{
				Number:     tmpl.Number,
				ThisUpdate: tmpl.ThisUpdate,
				NextUpdate: tmpl.NextUpdate,
			}
			for _, e := range entries {
				std.RevokedCertificateEntries = append(std.RevokedCertificateEntries, x509.RevocationListEntry{
					SerialNumber:   new(big.Int).SetBytes(e.Serial),
					RevocationTime: e.RevokedAt,
					ReasonCode:     e.Reason,
				})
			}
			switch alg {
			case x509util.SHA384WithECDSA:
				std.SignatureAlgorithm = x509.ECDSAWithSHA384
			case x509util.SHA256WithRSA:
				std.SignatureAlgorithm = x509.SHA256WithRSA
			}
			theirs, err := x509.CreateRevocationList(rand.Reader, std, ca.cert, ca.signer)
			if err != nil {
				t.Fatal(err)
			}
			a, err := x509.ParseRevocationList(ours)
			if err != nil {
				t.Fatal(err)
			}
			b, err := x509.ParseRevocationList(theirs)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.RawTBSRevocationList, b.RawTBSRevocationList) {
				t.Errorf("%s, %d entries: TBSCertList differs from crypto/x509's", alg, len(entries))
			}
			if a.SignatureAlgorithm != b.SignatureAlgorithm || a.Issuer.String() != b.Issuer.String() ||
				a.Number.Cmp(b.Number) != 0 || !a.ThisUpdate.Equal(b.ThisUpdate) || !a.NextUpdate.Equal(b.NextUpdate) ||
				!bytes.Equal(a.AuthorityKeyId, b.AuthorityKeyId) || len(a.Extensions) != len(b.Extensions) ||
				len(a.RevokedCertificateEntries) != len(b.RevokedCertificateEntries) {
				t.Fatalf("%s: parsed fields differ:\n%+v\n%+v", alg, a, b)
			}
			for i := range a.RevokedCertificateEntries {
				x, y := a.RevokedCertificateEntries[i], b.RevokedCertificateEntries[i]
				if x.SerialNumber.Cmp(y.SerialNumber) != 0 || !x.RevocationTime.Equal(y.RevocationTime) ||
					x.ReasonCode != y.ReasonCode || !bytes.Equal(x.Raw, y.Raw) {
					t.Fatalf("%s: entry %d differs: %+v vs %+v", alg, i, x, y)
				}
			}
			if err := a.CheckSignatureFrom(ca.cert); err != nil {
				t.Error(err)
			}
		}
	}
}

func TestZeroEntries(t *testing.T) {
	for _, alg := range []string{x509util.SHA256WithECDSA, x509util.MLDSA44} {
		ca := newCA(t, alg)
		tmpl := template(ca, testNow, "http://crl.example.com/p0.crl")
		der := create(t, ca, tmpl, nil)
		rl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		checkParsed(t, rl, ca, tmpl, nil)
		if err := Check(der, ca.cert, nil); err != nil {
			t.Errorf("%s: Check: %v", alg, err)
		}
	}
}

// TestSizes checks the size functions of pass 1 against the encoder of
// pass 2 on random entries.
func TestSizes(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	reasons := []int{0, 1, 2, 3, 4, 5, 6, 9, 10}
	for i := range 20000 {
		serial := make([]byte, 1+r.IntN(40))
		for j := range serial {
			serial[j] = byte(r.Uint32())
		}
		serial[len(serial)-1] |= 1
		at := time.Unix(r.Int64N(253402300799), 0) // 1970 to 9999
		if i%2 == 0 {
			at = time.Date(1950+r.IntN(200), 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(366 * 24 * time.Hour))))
		}
		e, err := normalize(Entry{Serial: serial, RevokedAt: at, Reason: reasons[r.IntN(len(reasons))]})
		if err != nil {
			t.Fatal(err)
		}
		enc := e.appendTo(nil)
		if int64(len(enc)) != e.size() {
			t.Fatalf("%+v: size %d, encoded %d", e, e.size(), len(enc))
		}
		var v struct {
			Serial *big.Int
			At     time.Time
			Exts   asn1.RawValue `asn1:"optional"`
		}
		if rest, err := asn1.Unmarshal(enc, &v); err != nil || len(rest) > 0 {
			t.Fatalf("%x: %v", enc, err)
		}
		if v.Serial.Cmp(new(big.Int).SetBytes(serial)) != 0 || !v.At.Equal(e.at.Truncate(time.Second)) {
			t.Fatalf("%x decodes to %v %v", enc, v.Serial, v.At)
		}
	}
	for _, n := range []int64{0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 24, 1 << 32} {
		if got := int64(len(appendHeader(nil, tagSequence, n))); got != tlvSize(n)-n {
			t.Errorf("header for %d: %d bytes, size says %d", n, got, tlvSize(n)-n)
		}
	}
}

func TestCreateRefuses(t *testing.T) {
	ca := newCA(t, x509util.SHA256WithECDSA)
	other := newCA(t, x509util.SHA384WithECDSA)
	good := template(ca, testNow, "")
	entries := sampleEntries(testNow)

	noCRLSign := *ca.cert
	noCRLSign.KeyUsage = x509.KeyUsageCertSign
	noSKI := *ca.cert
	noSKI.SubjectKeyId = nil
	tmpls := map[string]func(*Template){
		"nil issuer":          func(t *Template) { t.Issuer = nil },
		"no cRLSign":          func(t *Template) { t.Issuer = &noCRLSign },
		"no SKI":              func(t *Template) { t.Issuer = &noSKI },
		"nil number":          func(t *Template) { t.Number = nil },
		"zero number":         func(t *Template) { t.Number = big.NewInt(0) },
		"negative number":     func(t *Template) { t.Number = big.NewInt(-5) },
		"21-octet number":     func(t *Template) { t.Number = new(big.Int).Lsh(big.NewInt(1), 159) },
		"zero thisUpdate":     func(t *Template) { t.ThisUpdate = time.Time{} },
		"zero nextUpdate":     func(t *Template) { t.NextUpdate = time.Time{} },
		"nextUpdate too soon": func(t *Template) { t.NextUpdate = t.ThisUpdate },
		"year 10000":          func(t *Template) { t.NextUpdate = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"relative IDP":        func(t *Template) { t.IssuingDistributionPoint = "/crl/x.crl" },
		"non-ASCII IDP":       func(t *Template) { t.IssuingDistributionPoint = "http://crl.exämple.com/x.crl" },
		"other issuer":        func(t *Template) { t.Issuer = other.cert },
	}
	for name, edit := range tmpls {
		tmpl := good
		edit(&tmpl)
		var buf bytes.Buffer
		if _, err := Create(&buf, rand.Reader, tmpl, sliceEntries(entries, nil), ca.signer, ca.sigAlg); err == nil {
			t.Errorf("%s: accepted", name)
		} else if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before failing", name, buf.Len())
		}
	}
	for _, alg := range []string{x509util.SHA256WithRSA, x509util.MLDSA65, "SHA1WITHECDSA"} {
		if _, err := Create(io.Discard, rand.Reader, good, sliceEntries(entries, nil), ca.signer, alg); err == nil {
			t.Errorf("%s with a P-256 key: accepted", alg)
		}
	}

	at := testNow.Add(-time.Hour)
	bad := map[string]Entry{
		"nil serial":     {Serial: nil, RevokedAt: at},
		"zero serial":    {Serial: []byte{0, 0}, RevokedAt: at},
		"zero time":      {Serial: []byte{1}},
		"reason 7":       {Serial: []byte{1}, RevokedAt: at, Reason: 7},
		"removeFromCRL":  {Serial: []byte{1}, RevokedAt: at, Reason: 8},
		"reason 11":      {Serial: []byte{1}, RevokedAt: at, Reason: 11},
		"negative":       {Serial: []byte{1}, RevokedAt: at, Reason: -1},
		"year 10000 too": {Serial: []byte{1}, RevokedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for name, e := range bad {
		var buf bytes.Buffer
		_, err := Create(&buf, rand.Reader, good, sliceEntries(append(append([]Entry{}, entries...), e), nil), ca.signer, ca.sigAlg)
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before failing", name, buf.Len())
		}
	}
}

func TestCreateEntriesErrors(t *testing.T) {
	ca := newCA(t, x509util.SHA256WithECDSA)
	tmpl := template(ca, testNow, "")
	entries := sampleEntries(testNow)
	at := testNow.Add(-time.Hour)

	// The second pass sees one more entry, one fewer, or a longer one.
	for name, second := range map[string][]Entry{
		"more":   append(append([]Entry{}, entries...), Entry{Serial: []byte{9}, RevokedAt: at}),
		"fewer":  entries[1:],
		"longer": append(append([]Entry{}, entries[1:]...), Entry{Serial: bytes.Repeat([]byte{9}, 40), RevokedAt: at}),
		"none":   nil,
	} {
		calls := 0
		changing := func(yield func(Entry) error) error {
			calls++
			es := entries
			if calls == 2 {
				es = second
			}
			return sliceEntries(es, nil)(yield)
		}
		if _, err := Create(io.Discard, rand.Reader, tmpl, changing, ca.signer, ca.sigAlg); !errors.Is(err, errChanged) {
			t.Errorf("%s: got %v, want errChanged", name, err)
		}
	}

	// Errors from the iterator itself, in either pass.
	boom := errors.New("database gone")
	for pass := 1; pass <= 2; pass++ {
		calls := 0
		failing := func(yield func(Entry) error) error {
			calls++
			if calls == pass {
				return boom
			}
			return sliceEntries(entries, nil)(yield)
		}
		if _, err := Create(io.Discard, rand.Reader, tmpl, failing, ca.signer, ca.sigAlg); !errors.Is(err, boom) {
			t.Errorf("pass %d: got %v, want %v", pass, err, boom)
		}
	}

	// An iterator that ignores yield's error still fails Create.
	careless := func(yield func(Entry) error) error {
		for _, e := range append([]Entry{{Serial: nil, RevokedAt: at}}, entries...) {
			_ = yield(e)
		}
		return nil
	}
	if _, err := Create(io.Discard, rand.Reader, tmpl, careless, ca.signer, ca.sigAlg); err == nil {
		t.Error("an iterator ignoring yield's error: accepted")
	}

	// A failing writer.
	if _, err := Create(failingWriter{}, rand.Reader, tmpl, sliceEntries(entries, nil), ca.signer, ca.sigAlg); err == nil {
		t.Error("a failing writer: accepted")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// deterministicSigner is a deterministic ECDSA signer (like RFC 6979): for
// each digest it always returns the same signature, one of a chosen DER
// size.
type deterministicSigner struct {
	*ecdsa.PrivateKey
	size  int
	cache map[string][]byte
}

func (s *deterministicSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if sig, ok := s.cache[string(digest)]; ok {
		return sig, nil
	}
	for {
		sig, err := s.PrivateKey.Sign(r, digest, opts)
		if err != nil {
			return nil, err
		}
		if len(sig) == s.size {
			s.cache[string(digest)] = sig
			return sig, nil
		}
	}
}

func TestDeterministicECDSASigner(t *testing.T) {
	ca := newCA(t, x509util.SHA256WithECDSA)
	k := ca.signer.(*ecdsa.PrivateKey)
	tmpl := template(ca, testNow, "")
	entries := sampleEntries(testNow)
	want, _, _ := predictSignatureSize(k.Public())

	s := &deterministicSigner{k, want, map[string][]byte{}}
	var buf bytes.Buffer
	if _, err := Create(&buf, rand.Reader, tmpl, sliceEntries(entries, nil), s, ca.sigAlg); err != nil {
		t.Fatalf("a deterministic signature of the predicted size: %v", err)
	}
	if err := Check(buf.Bytes(), ca.cert, nil); err != nil {
		t.Fatal(err)
	}

	s = &deterministicSigner{k, want + 1, map[string][]byte{}}
	if _, err := Create(io.Discard, rand.Reader, tmpl, sliceEntries(entries, nil), s, ca.sigAlg); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("a deterministic signature of another size: got %v, want an error", err)
	}
}

func TestECDSASignatureSize(t *testing.T) {
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		want, retry, err := predictSignatureSize(k.Public())
		if err != nil || !retry {
			t.Fatal(err)
		}
		hits := 0
		const n = 400
		for range n {
			sig, err := ecdsa.SignASN1(rand.Reader, k, make([]byte, 32))
			if err != nil {
				t.Fatal(err)
			}
			if len(sig) == want {
				hits++
			}
		}
		// The prediction is the likeliest size, right about half the time.
		if hits < n/3 {
			t.Errorf("%s: predicted %d bytes, right %d times in %d", curve.Params().Name, want, hits, n)
		}
	}
}
