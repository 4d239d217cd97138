package ocsp

import (
	"crypto"
	"crypto/rand"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/openpca/openpca/internal/x509util"
)

// golang.org/x/crypto/ocsp.CreateResponse names the responder byName,
// cannot carry response extensions (the nonce) or several SingleResponses,
// and cannot sign with ML-DSA, so responses are encoded here, for every
// algorithm alike, and signed with x509util.Sign.

// OCSPResponseStatus values (RFC 6960 4.2.1).
const (
	statusSuccessful       = 0
	statusMalformedRequest = 1
	statusInternalError    = 2
	statusTryLater         = 3
	statusUnauthorized     = 6
)

// errorResponse is the DER OCSPResponse for an unsuccessful status: it has
// no responseBytes, so it is a constant.
func errorResponse(status byte) []byte {
	return []byte{0x30, 0x03, 0x0a, 0x01, status}
}

// single is one certificate's answer.
type single struct {
	hash   crypto.Hash // CertID hash algorithm, as requested
	serial []byte      // CertID serialNumber contents, as requested
	status Status
}

// signed is a signed response and its validity.
type signed struct {
	der                    []byte
	thisUpdate, nextUpdate time.Time
}

// sign builds and signs a successful OCSPResponse. thisUpdate and
// producedAt are now, nextUpdate is now + Validity. Each CertID uses the
// requested hash algorithm, with NULL parameters, and the CA's own name and
// key hashes (which the request matched).
func (r *Responder) sign(is *issuer, singles []single, nonce []byte) (signed, error) {
	thisUpdate := r.now().UTC().Truncate(time.Second)
	nextUpdate := thisUpdate.Add(r.cfg.Validity)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ResponseData; version v1 is the default, omitted
		b.AddBytes(is.responderID)
		b.AddASN1GeneralizedTime(thisUpdate) // producedAt
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, s := range singles {
				addSingle(b, is, s, thisUpdate, nextUpdate)
			}
		})
		if nonce != nil {
			b.AddASN1(tagExplicit1, func(b *cryptobyte.Builder) { // responseExtensions
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidNonce) })
						b.AddASN1OctetString(nonce)
					})
				})
			})
		}
	})
	tbs, err := b.Bytes()
	if err != nil {
		return signed{}, fmt.Errorf("ocsp: encode response: %w", err)
	}
	sig, ai, err := x509util.Sign(rand.Reader, *is.signer.Load(), is.alg, tbs)
	if err != nil {
		return signed{}, fmt.Errorf("ocsp: %w", err)
	}
	var basic cryptobyte.Builder
	basic.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // BasicOCSPResponse, no certs
		b.AddBytes(tbs)
		b.AddBytes(ai)
		b.AddASN1BitString(sig)
	})
	basicDER, err := basic.Bytes()
	if err != nil {
		return signed{}, fmt.Errorf("ocsp: encode response: %w", err)
	}
	var out cryptobyte.Builder
	out.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Enum(statusSuccessful)
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidBasic) })
				b.AddASN1OctetString(basicDER)
			})
		})
	})
	der, err := out.Bytes()
	if err != nil {
		return signed{}, fmt.Errorf("ocsp: encode response: %w", err)
	}
	return signed{der: der, thisUpdate: thisUpdate, nextUpdate: nextUpdate}, nil
}

func addSingle(b *cryptobyte.Builder, is *issuer, s single, thisUpdate, nextUpdate time.Time) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // CertID
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(hashOID(s.hash)) })
				b.AddASN1NULL()
			})
			b.AddASN1OctetString(is.nameHash[s.hash])
			b.AddASN1OctetString(is.keyHash[s.hash])
			b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(s.serial) })
		})
		switch {
		case !s.status.Known:
			b.AddASN1(cbasn1.Tag(2).ContextSpecific(), func(*cryptobyte.Builder) {}) // unknown [2] IMPLICIT NULL
		case s.status.Revoked:
			b.AddASN1(cbasn1.Tag(1).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { // revoked [1] IMPLICIT RevokedInfo
				b.AddASN1GeneralizedTime(s.status.RevokedAt.UTC().Truncate(time.Second))
				if encodableReason(s.status.Reason) {
					b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1Enum(int64(s.status.Reason)) })
				}
			})
		default:
			b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(*cryptobyte.Builder) {}) // good [0] IMPLICIT NULL
		}
		b.AddASN1GeneralizedTime(thisUpdate)
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1GeneralizedTime(nextUpdate) })
	})
}

// encodableReason reports whether a CRLReason goes into revokedInfo:
// unspecified (0) is left out, as RFC 5280 recommends for CRL entries,
// and so are values that are not reasons (7) or not revocation reasons
// (8, removeFromCRL).
func encodableReason(reason int) bool {
	switch reason {
	case 1, 2, 3, 4, 5, 6, 9, 10:
		return true
	}
	return false
}
