package crl

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
	"net/url"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/openpca/openpca/internal/x509util"
)

// Entry is one revoked certificate.
type Entry struct {
	// Serial is the certificate's serial number as an unsigned big-endian
	// magnitude, the bytes the lowercase hex kept by the store decodes to;
	// leading zero octets are ignored and the DER sign octet is added when
	// needed. It must be positive. Create reads it only during the yield
	// call, so a producer may decode every row into one reused buffer.
	//
	// A byte slice rather than a *big.Int: a million big.Int values would
	// mean a million allocations (and a copy back to bytes each) on the
	// hot path, and serial numbers are only ever copied, never computed on.
	Serial []byte
	// RevokedAt is the revocation date. It is encoded in UTC, to the whole
	// second: as UTCTime before 2050 and as GeneralizedTime from 2050 on
	// (RFC 5280 5.1.2.6).
	RevokedAt time.Time
	// Reason is the RFC 5280 CRLReason code: 1 keyCompromise, 2
	// cACompromise, 3 affiliationChanged, 4 superseded, 5
	// cessationOfOperation, 6 certificateHold, 9 privilegeWithdrawn, 10
	// aACompromise. 0 (unspecified) omits the reasonCode entry extension,
	// as RFC 5280 recommends. 7 and removeFromCRL (8, delta CRLs only) are
	// refused.
	Reason int
}

// Entries yields the revoked certificates, in any order, and returns the
// first error yield returns (or its own). Create calls it twice: a first
// pass validates the entries and sums their encoded sizes, a second encodes
// them. Both passes must yield the same entries, so read them from one
// consistent snapshot (one read transaction); if the second pass encodes to
// a different size, Create fails. Serial numbers must be unique: Create
// does not check that (it would need memory proportional to the entries),
// Check does.
type Entries func(yield func(Entry) error) error

// Template holds the CRL's fields other than its entries.
type Template struct {
	// Issuer is the CA certificate. Its RawSubject (or, if empty, Subject)
	// becomes the CRL issuer and its SubjectKeyId the authority key
	// identifier (keyid only). Its key must be the signer's and its key
	// usage must include cRLSign.
	Issuer *x509.Certificate
	// Number is the CRL number. It must be positive and fit in 20 octets
	// (RFC 5280 5.2.3).
	Number *big.Int
	// ThisUpdate and NextUpdate are the CRL's validity; both are required
	// and NextUpdate must be after ThisUpdate. They are encoded in UTC to
	// the whole second, like revocation dates. A revocation date after
	// ThisUpdate makes Check (zlint) refuse the CRL.
	ThisUpdate, NextUpdate time.Time
	// IssuingDistributionPoint, when not empty, adds a critical issuing
	// distribution point extension whose distributionPoint fullName is this
	// URI (partitioned CRLs). No other IDP field is set.
	IssuingDistributionPoint string
	// DeltaOf, when not nil, makes this a delta CRL (RFC 5280 5.2.4): a
	// critical delta CRL indicator naming the complete CRL, by number, that
	// it updates. Its entries are the revocations since that CRL.
	DeltaOf *big.Int
	// FreshestCRL, when not empty, adds a Freshest CRL extension (RFC 5280
	// 5.2.6) whose distribution point is this URI: where the delta CRL of
	// a complete CRL is published.
	FreshestCRL string
}

// Stats describes a CRL Create wrote.
type Stats struct {
	Bytes   int64 // DER size, all of it written to w
	Entries int64 // revoked certificates listed
}

const (
	// chunkSize is how much encoded TBSCertList is buffered before it is
	// written out and hashed.
	chunkSize = 64 << 10
	// maxSignAttempts bounds ECDSA re-signing; see predictSignatureSize.
	maxSignAttempts = 64
)

// Create writes a DER X.509 v2 CRL to w and returns its size and entry
// count. signingAlgorithm is an AWS SigningAlgorithm name
// ("SHA256WITHECDSA", "ML_DSA_65", ...) suiting signer's key, which must be
// t.Issuer's.
//
// Entries are read twice (see Entries) and never held in memory as Go
// values. Everything is validated in the first pass, before anything is
// written. For RSA and ECDSA the TBSCertList is hashed as it is streamed to
// w; for ML-DSA, which signs the whole message, it is buffered (one
// allocation of its exact size) and written once signed.
//
// The outer SEQUENCE's length, written before the TBSCertList, includes
// the signature's, so that length is fixed in advance: RSA and ML-DSA
// signatures have a fixed size, while a DER ECDSA signature's size depends
// on its value. For ECDSA, Create predicts the most likely size (one
// chance in two) and, signing being randomized, signs again until the
// signature has it: two signatures on average. An ECDSA signer that is
// deterministic (RFC 6979) and lands on another size makes Create fail.
//
// As crypto/x509 does, the signature is verified before it is written. On
// error, whatever was written to w is not a valid CRL and must be
// discarded.
func Create(w io.Writer, rand io.Reader, t Template, entries Entries, signer crypto.Signer, signingAlgorithm string) (Stats, error) {
	if w == nil || entries == nil {
		return Stats{}, errors.New("crl: w and entries must not be nil")
	}
	p, err := prepare(t, signer, signingAlgorithm)
	if err != nil {
		return Stats{}, err
	}

	// Pass 1: validate, count and size.
	var count, total int64
	err = each(entries, func(e entry) error {
		count++
		total += e.size()
		return nil
	})
	if err != nil {
		return Stats{}, err
	}

	// Layout.
	tbsContent := int64(len(p.fixed)) + int64(len(p.exts))
	if count > 0 {
		tbsContent += tlvSize(total)
	}
	tbsSize := tlvSize(tbsContent)
	var prefix []byte
	prefix = appendHeader(prefix, tagSequence, tbsContent)
	prefix = append(prefix, p.fixed...)
	if count > 0 {
		// RFC 5280: an empty revokedCertificates is absent, not empty.
		prefix = appendHeader(prefix, tagSequence, total)
	}

	cw := &countingWriter{w: w}
	if p.hash == 0 {
		return createBuffered(cw, rand, p, entries, prefix, tbsSize, total)
	}

	sigSize, retry, err := predictSignatureSize(signer.Public())
	if err != nil {
		return Stats{}, err
	}
	bitString := tlvSize(1 + int64(sigSize))
	outerContent := tbsSize + int64(len(p.ai)) + bitString
	outer := appendHeader(nil, tagSequence, outerContent)
	if _, err := cw.Write(outer); err != nil {
		return Stats{}, fmt.Errorf("crl: write: %w", err)
	}
	h := p.hash.New()
	n, err := writeTBS(&hashingWriter{cw, h}, p, entries, prefix, total)
	if err != nil {
		return Stats{}, err
	}
	digest := h.Sum(nil)
	var sig []byte
	for attempt := 1; ; attempt++ {
		sig, err = x509util.SignDigest(rand, signer, signingAlgorithm, digest)
		if err != nil {
			return Stats{}, fmt.Errorf("crl: %w", err)
		}
		if len(sig) == sigSize {
			break
		}
		if !retry || attempt == maxSignAttempts {
			return Stats{}, fmt.Errorf("crl: the signer returned a %d-byte signature, want %d bytes (after %d attempts)", len(sig), sigSize, attempt)
		}
	}
	if err := writeTrailer(cw, p.ai, sig); err != nil {
		return Stats{}, err
	}
	if want := tlvSize(outerContent); cw.n != want {
		return Stats{}, fmt.Errorf("crl: internal error: wrote %d bytes, laid out %d", cw.n, want)
	}
	return Stats{Bytes: cw.n, Entries: n}, nil
}

// createBuffered finishes Create for ML-DSA: the TBSCertList is encoded into
// memory, signed whole, then written.
func createBuffered(cw *countingWriter, rand io.Reader, p *prepared, entries Entries, prefix []byte, tbsSize, total int64) (Stats, error) {
	buf := bytes.NewBuffer(make([]byte, 0, tbsSize))
	n, err := writeTBS(buf, p, entries, prefix, total)
	if err != nil {
		return Stats{}, err
	}
	tbs := buf.Bytes()
	sig, ai, err := x509util.Sign(rand, p.signer, p.alg, tbs)
	if err != nil {
		return Stats{}, fmt.Errorf("crl: %w", err)
	}
	if !bytes.Equal(ai, p.ai) {
		return Stats{}, errors.New("crl: internal error: AlgorithmIdentifier changed")
	}
	outerContent := tbsSize + int64(len(p.ai)) + tlvSize(1+int64(len(sig)))
	if _, err := cw.Write(appendHeader(nil, tagSequence, outerContent)); err != nil {
		return Stats{}, fmt.Errorf("crl: write: %w", err)
	}
	if _, err := cw.Write(tbs); err != nil {
		return Stats{}, fmt.Errorf("crl: write: %w", err)
	}
	if err := writeTrailer(cw, p.ai, sig); err != nil {
		return Stats{}, err
	}
	if want := tlvSize(outerContent); cw.n != want {
		return Stats{}, fmt.Errorf("crl: internal error: wrote %d bytes, laid out %d", cw.n, want)
	}
	return Stats{Bytes: cw.n, Entries: n}, nil
}

// writeTBS is pass 2: it encodes the TBSCertList to dst in chunks and
// returns the number of entries. It fails as soon as the entries outgrow
// the size pass 1 found, and at the end if they fell short. (The
// revokedCertificates header in prefix, or its absence when pass 1 found
// no entries, depends only on that size.)
func writeTBS(dst io.Writer, p *prepared, entries Entries, prefix []byte, total int64) (int64, error) {
	c := &chunkWriter{dst: dst, buf: make([]byte, 0, chunkSize+512)}
	c.write(prefix)
	var n, written int64
	err := each(entries, func(e entry) error {
		size := e.size()
		if written+size > total {
			return errChanged
		}
		written += size
		n++
		c.buf = e.appendTo(c.buf)
		if len(c.buf) >= chunkSize {
			return c.flush()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if written != total {
		return 0, errChanged
	}
	c.write(p.exts)
	if err := c.flush(); err != nil {
		return 0, err
	}
	return n, nil
}

var errChanged = errors.New("crl: the entries changed between the two passes; read them from one consistent snapshot")

func writeTrailer(w io.Writer, ai, sig []byte) error {
	b := append([]byte(nil), ai...)
	b = appendHeader(b, tagBitString, 1+int64(len(sig)))
	b = append(b, 0) // no unused bits
	b = append(b, sig...)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("crl: write: %w", err)
	}
	return nil
}

// each runs fn on every entry, normalized and validated, and returns the
// first error, whether from fn, from validation or from entries itself
// (even if entries ignored the error yield returned).
func each(entries Entries, fn func(entry) error) error {
	var (
		ferr error
		i    int64
	)
	err := entries(func(e Entry) error {
		if ferr != nil {
			return ferr
		}
		ne, err := normalize(e)
		if err != nil {
			ferr = fmt.Errorf("crl: entry %d (serial %x): %w", i, e.Serial, err)
			return ferr
		}
		i++
		if err := fn(ne); err != nil {
			ferr = err
			return err
		}
		return nil
	})
	if ferr != nil {
		return ferr
	}
	if err != nil {
		return fmt.Errorf("crl: reading entries: %w", err)
	}
	return nil
}

// prepared is what Create computes once from the template.
type prepared struct {
	signer crypto.Signer
	alg    string
	hash   crypto.Hash // 0 for ML-DSA
	ai     []byte      // DER AlgorithmIdentifier
	// fixed is the TBSCertList from version to nextUpdate.
	fixed []byte
	// exts is crlExtensions, [0] included.
	exts []byte
}

var (
	oidAuthorityKeyID      = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidCRLNumber           = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidIssuingDistribution = asn1.ObjectIdentifier{2, 5, 29, 28}
	oidDeltaCRLIndicator   = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidFreshestCRL         = asn1.ObjectIdentifier{2, 5, 29, 46}
)

func prepare(t Template, signer crypto.Signer, signingAlgorithm string) (*prepared, error) {
	issuer := t.Issuer
	switch {
	case issuer == nil:
		return nil, errors.New("crl: template has no issuer")
	case signer == nil:
		return nil, errors.New("crl: signer must not be nil")
	case issuer.KeyUsage&x509.KeyUsageCRLSign == 0:
		return nil, errors.New("crl: issuer must have the cRLSign key usage")
	case len(issuer.SubjectKeyId) == 0:
		return nil, errors.New("crl: issuer has no subject key identifier")
	case t.Number == nil || t.Number.Sign() <= 0:
		return nil, errors.New("crl: the CRL number must be positive")
	case t.Number.BitLen() > 159:
		return nil, errors.New("crl: the CRL number exceeds 20 octets")
	}
	if err := checkTime(t.ThisUpdate); err != nil {
		return nil, fmt.Errorf("crl: thisUpdate: %v", err)
	}
	if err := checkTime(t.NextUpdate); err != nil {
		return nil, fmt.Errorf("crl: nextUpdate: %v", err)
	}
	if !t.NextUpdate.After(t.ThisUpdate) {
		return nil, errors.New("crl: nextUpdate must be after thisUpdate")
	}
	for _, uri := range []string{t.IssuingDistributionPoint, t.FreshestCRL} {
		if uri != "" {
			if err := checkURI(uri); err != nil {
				return nil, err
			}
		}
	}
	if t.DeltaOf != nil && (t.DeltaOf.Sign() <= 0 || t.DeltaOf.Cmp(t.Number) >= 0) {
		return nil, errors.New("crl: a delta CRL's base number must be positive and below its own")
	}
	issuerPub, err := x509util.PublicKey(issuer)
	if err != nil {
		return nil, fmt.Errorf("crl: issuer: %w", err)
	}
	if k, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(issuerPub) {
		return nil, errors.New("crl: the signer's key is not the issuer's")
	}
	h, ai, err := x509util.SigningParameters(signer, signingAlgorithm)
	if err != nil {
		return nil, fmt.Errorf("crl: %w", err)
	}
	name := issuer.RawSubject
	if len(name) == 0 {
		if name, err = asn1.Marshal(issuer.Subject.ToRDNSequence()); err != nil {
			return nil, fmt.Errorf("crl: issuer name: %w", err)
		}
	}

	fixed := []byte{tagInteger, 1, 1} // v2
	fixed = append(fixed, ai...)
	fixed = append(fixed, name...)
	fixed = appendTime(fixed, t.ThisUpdate.UTC())
	fixed = appendTime(fixed, t.NextUpdate.UTC())

	var b cryptobyte.Builder
	b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addExtension(b, oidAuthorityKeyID, false, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) {
						b.AddBytes(issuer.SubjectKeyId)
					})
				})
			})
			addExtension(b, oidCRLNumber, false, func(b *cryptobyte.Builder) {
				b.AddASN1BigInt(t.Number)
			})
			if t.DeltaOf != nil {
				addExtension(b, oidDeltaCRLIndicator, true, func(b *cryptobyte.Builder) {
					b.AddASN1BigInt(t.DeltaOf)
				})
			}
			if uri := t.FreshestCRL; uri != "" {
				addExtension(b, oidFreshestCRL, false, func(b *cryptobyte.Builder) {
					// FreshestCRL ::= CRLDistributionPoints: SEQUENCE OF
					// DistributionPoint { distributionPoint [0] { fullName [0] { [6] URI } } }
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
								b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
									b.AddASN1(cbasn1.Tag(6).ContextSpecific(), func(b *cryptobyte.Builder) {
										b.AddBytes([]byte(uri))
									})
								})
							})
						})
					})
				})
			}
			if uri := t.IssuingDistributionPoint; uri != "" {
				addExtension(b, oidIssuingDistribution, true, func(b *cryptobyte.Builder) {
					// IssuingDistributionPoint ::= SEQUENCE {
					//   distributionPoint [0] DistributionPointName {
					//     fullName [0] GeneralNames { [6] IA5String } } }
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
								b.AddASN1(cbasn1.Tag(6).ContextSpecific(), func(b *cryptobyte.Builder) {
									b.AddBytes([]byte(uri))
								})
							})
						})
					})
				})
			}
		})
	})
	exts, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("crl: encode extensions: %w", err)
	}
	return &prepared{signer: signer, alg: signingAlgorithm, hash: h, ai: ai, fixed: fixed, exts: exts}, nil
}

func addExtension(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, critical bool, value func(*cryptobyte.Builder)) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if critical {
			b.AddASN1Boolean(true)
		}
		b.AddASN1(cbasn1.OCTET_STRING, value)
	})
}

// checkURI accepts an absolute URI made of printable ASCII (IA5String).
func checkURI(uri string) error {
	for i := 0; i < len(uri); i++ {
		if uri[i] <= ' ' || uri[i] > '~' {
			return fmt.Errorf("crl: issuing distribution point %q is not printable ASCII", uri)
		}
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("crl: issuing distribution point %q is not an absolute URI", uri)
	}
	return nil
}

// predictSignatureSize returns the DER signature size Create lays out for
// pub's key, and whether a signature of another size is worth a retry
// (ECDSA). For ECDSA it is the likeliest size of ECDSA-Sig-Value: on a
// curve whose order n has a multiple of 8 bits (P-256, P-384), r and s
// each need a sign octet half of the time, so one of them with and one
// without is the likeliest case (p ~ 1/2); on P-521 (521 bits) both at the
// full 66 octets is (p ~ 9/16).
func predictSignatureSize(pub crypto.PublicKey) (size int, retry bool, err error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return (k.N.BitLen() + 7) / 8, false, nil
	case *ecdsa.PublicKey:
		bits := k.Curve.Params().N.BitLen()
		l := int64((bits + 7) / 8)
		r, s := l, l
		if bits%8 == 0 {
			r++
		}
		return int(tlvSize(tlvSize(r) + tlvSize(s))), true, nil
	}
	return 0, false, fmt.Errorf("crl: cannot sign a digest with a %T key", pub)
}

// countingWriter counts the bytes written to w.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// hashingWriter writes to w and hashes what was written.
type hashingWriter struct {
	w io.Writer
	h hash.Hash
}

func (h *hashingWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.h.Write(p[:n])
	return n, err
}

// chunkWriter gathers small writes into chunks for dst.
type chunkWriter struct {
	dst io.Writer
	buf []byte
}

func (c *chunkWriter) write(p []byte) { c.buf = append(c.buf, p...) }

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.dst.Write(c.buf)
	c.buf = c.buf[:0]
	if err != nil {
		return fmt.Errorf("crl: write: %w", err)
	}
	return nil
}
