package x509util

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/openpca/openpca/internal/keys"
)

func keyForSigningAlgorithm(alg string) string {
	switch alg {
	case SHA256WithRSA, SHA384WithRSA, SHA512WithRSA:
		return keys.RSA2048
	case SHA256WithECDSA:
		return keys.ECPrime256v1
	case SHA384WithECDSA:
		return keys.ECSecp384r1
	case SHA512WithECDSA:
		return keys.ECSecp521r1
	}
	return alg // ML-DSA key and signing algorithm names are the same
}

func TestSignAndCheckSignature(t *testing.T) {
	algs := SigningAlgorithms()
	var keyAlgs []string
	for _, a := range algs {
		keyAlgs = append(keyAlgs, keyForSigningAlgorithm(a))
	}
	ks := newKeys(t, keyAlgs)
	tbs := []byte("\x30\x03\x02\x01\x01 some to-be-signed bytes")
	for _, name := range algs {
		t.Run(name, func(t *testing.T) {
			k := ks[keyForSigningAlgorithm(name)]
			sig, ai, err := Sign(rand.Reader, k, name, tbs)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := lookupSigningAlgorithm(name)
			if !bytes.Equal(ai, want.algorithmIdentifier()) {
				t.Fatalf("AlgorithmIdentifier %x, want %x", ai, want.algorithmIdentifier())
			}
			if err := CheckSignature(ai, tbs, sig, k.Public()); err != nil {
				t.Fatalf("CheckSignature: %v", err)
			}
			bad := append([]byte{}, tbs...)
			bad[len(bad)-1] ^= 1
			if err := CheckSignature(ai, bad, sig, k.Public()); err == nil {
				t.Fatal("CheckSignature accepted a signature over other bytes")
			}

			hash, ai2, err := SigningParameters(k, name)
			if err != nil || !bytes.Equal(ai, ai2) {
				t.Fatalf("SigningParameters: %v, %x", err, ai2)
			}
			if want.isMLDSA() {
				if hash != 0 {
					t.Fatalf("hash %v for ML-DSA", hash)
				}
				if _, err := SignDigest(rand.Reader, k, name, make([]byte, 32)); err == nil {
					t.Fatal("SignDigest accepted ML-DSA")
				}
				return
			}
			h := hash.New()
			h.Write(tbs)
			sig, err = SignDigest(rand.Reader, k, name, h.Sum(nil))
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckSignature(ai, tbs, sig, k.Public()); err != nil {
				t.Fatalf("CheckSignature of SignDigest's signature: %v", err)
			}
			if _, err := SignDigest(rand.Reader, k, name, make([]byte, hash.Size()+1)); err == nil {
				t.Fatal("SignDigest accepted a digest of the wrong size")
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	ec := newKey(t, keys.ECPrime256v1)
	if _, _, err := Sign(rand.Reader, ec, SHA256WithRSA, []byte{1}); err == nil {
		t.Error("Sign accepted an RSA algorithm with an EC key")
	}
	if _, _, err := Sign(rand.Reader, ec, "SHA1WITHECDSA", []byte{1}); err == nil {
		t.Error("Sign accepted an unknown algorithm")
	}
	if _, _, err := SigningParameters(ec, MLDSA65); err == nil {
		t.Error("SigningParameters accepted ML-DSA with an EC key")
	}
	if _, _, err := Sign(rand.Reader, nil, SHA256WithECDSA, []byte{1}); err == nil {
		t.Error("Sign accepted a nil signer")
	}
	// An AlgorithmIdentifier with parameters where there must be none.
	sig, ai, err := Sign(rand.Reader, ec, SHA256WithECDSA, []byte{1})
	if err != nil {
		t.Fatal(err)
	}
	withNull := append([]byte{0x30, ai[1] + 2}, append(append([]byte{}, ai[2:]...), 0x05, 0x00)...)
	if err := CheckSignature(withNull, []byte{1}, sig, ec.Public()); err == nil || !strings.Contains(err.Error(), "parameters") {
		t.Errorf("CheckSignature with NULL parameters on ECDSA: %v", err)
	}
	if err := CheckSignature(ai[:len(ai)-1], []byte{1}, sig, ec.Public()); err == nil {
		t.Error("CheckSignature accepted a truncated AlgorithmIdentifier")
	}
}
