package ocsp

import (
	"bytes"
	"crypto"
	"math/big"
	"testing"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/openpca/openpca/internal/x509util"
)

// FuzzParseRequest: parseRequest never panics, and whatever it accepts
// re-encodes to a request that parses to the same CertIDs and nonce.
// testdata/fuzz holds requests written by openssl ocsp.
func FuzzParseRequest(f *testing.F) {
	id := certID{hash: crypto.SHA1, nameHash: make([]byte, 20), keyHash: bytes.Repeat([]byte{1}, 20), serial: []byte{0x00, 0xe8, 0xcb}}
	id256 := certID{hash: crypto.SHA256, nameHash: make([]byte, 32), keyHash: make([]byte, 32), serial: []byte{1}}
	f.Add(encodeRequest(request{certs: []certID{id}}))
	f.Add(encodeRequest(request{certs: []certID{id, id256}, nonce: nonceValue([]byte("0123456789abcdef"))}))
	f.Add(encodeRequest(request{certs: []certID{id256}, nonce: []byte("raw")}))
	ca := newCA(f, "fuzz", x509util.SHA256WithECDSA)
	seed, err := xocsp.CreateRequest(ca.leaf(f, big.NewInt(0xa0)), ca.cert, nil)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := parseRequest(seed); err != nil {
		f.Fatalf("x/crypto/ocsp request: %v", err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, der []byte) {
		req, err := parseRequest(der)
		if err != nil {
			return
		}
		again, err := parseRequest(encodeRequest(req))
		if err != nil {
			t.Fatalf("re-encoded request does not parse: %v", err)
		}
		if len(again.certs) != len(req.certs) || !bytes.Equal(again.nonce, req.nonce) || (again.nonce == nil) != (req.nonce == nil) {
			t.Fatalf("round trip changed the request: %+v, then %+v", req, again)
		}
		for i, c := range req.certs {
			a := again.certs[i]
			if a.hash != c.hash || !bytes.Equal(a.nameHash, c.nameHash) || !bytes.Equal(a.keyHash, c.keyHash) || !bytes.Equal(a.serial, c.serial) {
				t.Fatalf("CertID %d changed: %+v, then %+v", i, c, a)
			}
		}
		if _, ok := serialHex(req.certs[0].serial); ok && len(req.certs[0].serial) > maxSerial {
			t.Fatal("serialHex accepted an over-long serial")
		}
	})
}
