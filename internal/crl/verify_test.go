package crl

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "verify CA"}, NotBefore: time.Now(), NotAfter: time.Now().AddDate(1, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCRLSign | x509.KeyUsageCertSign, SubjectKeyId: []byte{1, 2, 3, 4}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	issuer, _ := x509.ParseCertificate(der)
	now := time.Now().Truncate(time.Second)
	var buf bytes.Buffer
	entries := func(yield func(Entry) error) error {
		for i := range 1000 {
			if err := yield(Entry{Serial: []byte{byte(i >> 8), byte(i), 7}, RevokedAt: now, Reason: i % 3}); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := Create(&buf, rand.Reader, Template{Issuer: issuer, Number: big.NewInt(42), ThisUpdate: now, NextUpdate: now.Add(time.Hour)}, entries, key, "SHA256WITHECDSA"); err != nil {
		t.Fatal(err)
	}
	crlDER := buf.Bytes()
	if err := Verify(crlDER, issuer, big.NewInt(41)); err != nil {
		t.Fatalf("a good CRL: %v", err)
	}
	if err := Check(crlDER, issuer, big.NewInt(41)); err != nil {
		t.Fatalf("Check disagrees with Verify: %v", err)
	}
	if err := Verify(crlDER, issuer, big.NewInt(42)); !errors.Is(err, ErrNumberNotIncreasing) {
		t.Fatalf("same number: got %v", err)
	}
	bad := bytes.Clone(crlDER)
	bad[len(bad)/2] ^= 1
	if err := Verify(bad, issuer, nil); err == nil {
		t.Fatal("a flipped bit passed")
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der2, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &other.PublicKey, other)
	otherCA, _ := x509.ParseCertificate(der2)
	if err := Verify(crlDER, otherCA, nil); err == nil {
		t.Fatal("a CRL verified against another key")
	}
}
