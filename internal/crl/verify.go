package crl

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/openpca/openpca/internal/x509util"
)

// FullCheckLimit is the largest CRL, in entries, that gets Check before
// every upload; larger CRLs get Verify. Check costs about 9 µs and 1 KiB
// per entry (0.9 s and 92 MiB at 100,000), which at a steady stream of
// revocations was most of the publisher's time, and the CRLs it vouches
// for share the encoder with larger ones.
const FullCheckLimit = 10_000

// DER encodings of the extension OIDs Verify reads.
var (
	derCRLNumber = []byte{0x06, 0x03, 0x55, 0x1d, 0x14} // 2.5.29.20
	derAKI       = []byte{0x06, 0x03, 0x55, 0x1d, 0x23} // 2.5.29.35
)

// Verify is the part of Check that scales: it walks der without decoding
// the entries, verifies the signature against issuer, and checks the issuer
// name, the authority key identifier and that the CRL number is greater
// than previous (nil skips that). Its memory does not grow with the CRL;
// Check, which also parses every entry and runs zlint, is for CRLs of up to
// FullCheckLimit entries. The encoder is the same for both sizes, so the
// lints run on every small CRL vouch for the entry encoding of large ones.
func Verify(der []byte, issuer *x509.Certificate, previous *big.Int) error {
	if issuer == nil {
		return errors.New("crl: issuer must not be nil")
	}
	input := cryptobyte.String(der)
	var outer, tbs, ai cryptobyte.String
	var sig []byte
	var bits cryptobyte.String
	if !input.ReadASN1(&outer, cbasn1.SEQUENCE) || !input.Empty() ||
		!outer.ReadASN1Element(&tbs, cbasn1.SEQUENCE) || !outer.ReadASN1Element(&ai, cbasn1.SEQUENCE) ||
		!outer.ReadASN1(&bits, cbasn1.BIT_STRING) || len(bits) == 0 || bits[0] != 0 || !outer.Empty() {
		return errors.New("crl: malformed CertificateList")
	}
	sig = bits[1:]
	if issuer.BasicConstraintsValid && !issuer.IsCA || issuer.KeyUsage != 0 && issuer.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return errors.New("crl: the issuer may not sign CRLs")
	}
	pub, err := x509util.PublicKey(issuer)
	if err != nil {
		return err
	}
	if err := x509util.CheckSignature(ai, tbs, sig, pub); err != nil {
		return fmt.Errorf("crl: signature: %w", err)
	}

	var body, innerAI, name, ext cryptobyte.String
	var version int
	tbsCopy := tbs
	if !tbsCopy.ReadASN1(&body, cbasn1.SEQUENCE) || !body.ReadASN1Integer(&version) || version != 1 ||
		!body.ReadASN1Element(&innerAI, cbasn1.SEQUENCE) || !bytes.Equal(innerAI, ai) ||
		!body.ReadASN1Element(&name, cbasn1.SEQUENCE) || !skipTime(&body) {
		return errors.New("crl: malformed TBSCertList")
	}
	if len(issuer.RawSubject) > 0 && !bytes.Equal(name, issuer.RawSubject) {
		return errors.New("crl: the CRL issuer is not the issuer certificate's subject")
	}
	if body.PeekASN1Tag(cbasn1.UTCTime) || body.PeekASN1Tag(cbasn1.GeneralizedTime) {
		skipTime(&body)
	}
	if body.PeekASN1Tag(cbasn1.SEQUENCE) && !body.SkipASN1(cbasn1.SEQUENCE) { // the entries
		return errors.New("crl: malformed revokedCertificates")
	}
	var number *big.Int
	var aki []byte
	if !body.ReadASN1(&ext, cbasn1.Tag(0).Constructed().ContextSpecific()) || !ext.ReadASN1(&ext, cbasn1.SEQUENCE) {
		return errors.New("crl: no extensions")
	}
	for !ext.Empty() {
		var e, oid, value cryptobyte.String
		if !ext.ReadASN1(&e, cbasn1.SEQUENCE) || !e.ReadASN1Element(&oid, cbasn1.OBJECT_IDENTIFIER) ||
			!e.SkipOptionalASN1(cbasn1.BOOLEAN) || !e.ReadASN1(&value, cbasn1.OCTET_STRING) {
			return errors.New("crl: malformed extension")
		}
		switch {
		case bytes.Equal(oid, derCRLNumber):
			number = new(big.Int)
			if !value.ReadASN1Integer(number) {
				return errors.New("crl: malformed CRL number")
			}
		case bytes.Equal(oid, derAKI):
			var seq cryptobyte.String
			if !value.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1((*cryptobyte.String)(&aki), cbasn1.Tag(0).ContextSpecific()) {
				return errors.New("crl: malformed authority key identifier")
			}
		}
	}
	if len(issuer.SubjectKeyId) > 0 && !bytes.Equal(aki, issuer.SubjectKeyId) {
		return errors.New("crl: the authority key identifier is not the issuer's subject key identifier")
	}
	switch {
	case number == nil:
		return errors.New("crl: no CRL number")
	case previous != nil && number.Cmp(previous) <= 0:
		return fmt.Errorf("%w (%v, previous %v)", ErrNumberNotIncreasing, number, previous)
	}
	return nil
}

func skipTime(s *cryptobyte.String) bool {
	return s.SkipASN1(cbasn1.UTCTime) || s.SkipASN1(cbasn1.GeneralizedTime)
}
