package ocsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/openpca/openpca/internal/x509util"
)

// issuer is a CA as the responder uses it. Everything but the signer is
// fixed by the certificate and signing algorithm; a reload that finds both
// unchanged keeps the issuer (so its cached responses stay valid) and only
// swaps in the signer the Backend handed out this time.
type issuer struct {
	id          string
	cert        *x509.Certificate
	alg         string
	responderID []byte // DER ResponderID: byKey [2] EXPLICIT OCTET STRING
	nameHash    map[crypto.Hash][]byte
	keyHash     map[crypto.Hash][]byte
	signer      atomic.Pointer[crypto.Signer]
}

// matchKey finds the issuer of a CertID. Arrays, not strings, so a lookup
// allocates nothing.
type matchKey struct {
	hash crypto.Hash
	name [64]byte
	key  [64]byte
}

// caSet is one reading of Backend.CAs.
type caSet struct {
	loaded time.Time
	byID   map[string]*issuer
	byHash map[matchKey]*issuer
}

// match returns the issuer of id, or nil.
func (s *caSet) match(id certID) *issuer {
	n := id.hash.Size()
	if len(id.nameHash) != n || len(id.keyHash) != n {
		return nil
	}
	k := matchKey{hash: id.hash}
	copy(k.name[:], id.nameHash)
	copy(k.key[:], id.keyHash)
	return s.byHash[k]
}

// newIssuer checks a CA and precomputes what matching and signing need.
func newIssuer(ca CA) (*issuer, error) {
	if ca.Certificate == nil || ca.Signer == nil {
		return nil, errors.New("ocsp: CA has no certificate or no signer")
	}
	keyBits, err := subjectPublicKeyBits(ca.Certificate.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, err
	}
	is := &issuer{
		id: ca.ID, cert: ca.Certificate, alg: ca.SigningAlgorithm,
		nameHash: map[crypto.Hash][]byte{}, keyHash: map[crypto.Hash][]byte{},
	}
	if err := is.setSigner(ca.Signer); err != nil {
		return nil, err
	}
	for _, c := range certHashes {
		h := c.hash.New()
		h.Write(ca.Certificate.RawSubject)
		is.nameHash[c.hash] = h.Sum(nil)
		h.Reset()
		h.Write(keyBits)
		is.keyHash[c.hash] = h.Sum(nil)
	}
	// RFC 6960 4.2.1: KeyHash is the SHA-1 of the subjectPublicKey bits.
	sum := sha1.Sum(keyBits)
	var b cryptobyte.Builder
	b.AddASN1(tagExplicit2, func(b *cryptobyte.Builder) { b.AddASN1OctetString(sum[:]) })
	is.responderID = b.BytesOrPanic()
	return is, nil
}

// setSigner installs signer after checking it holds the certificate's key
// and can produce the CA's signing algorithm.
func (is *issuer) setSigner(signer crypto.Signer) error {
	if _, _, err := x509util.SigningParameters(signer, is.alg); err != nil {
		return fmt.Errorf("ocsp: %w", err)
	}
	pub, err := x509util.PublicKey(is.cert)
	if err != nil {
		return fmt.Errorf("ocsp: %w", err)
	}
	k, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !k.Equal(pub) {
		return errors.New("ocsp: the signer's key is not the CA certificate's")
	}
	is.signer.Store(&signer)
	return nil
}

// subjectPublicKeyBits returns the contents of the subjectPublicKey BIT
// STRING, which issuerKeyHash and KeyHash are computed over. It parses the
// structure only, so it works for ML-DSA keys that crypto/x509 cannot parse.
func subjectPublicKeyBits(spki []byte) ([]byte, error) {
	in := cryptobyte.String(spki)
	var seq cryptobyte.String
	var bits []byte
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.SkipASN1(cbasn1.SEQUENCE) || !readBitString(&seq, &bits) || !seq.Empty() {
		return nil, errors.New("ocsp: malformed CA public key")
	}
	return bits, nil
}

func readBitString(s *cryptobyte.String, out *[]byte) bool {
	var bs cryptobyte.String
	if !s.ReadASN1(&bs, cbasn1.BIT_STRING) || len(bs) == 0 || bs[0] != 0 {
		return false
	}
	*out = bs[1:]
	return true
}

// loadCAs reads the CAs from the Backend into a new set. Issuers whose
// certificate and signing algorithm did not change since old are kept.
func (r *Responder) loadCAs(ctx context.Context, old *caSet) (*caSet, error) {
	cas, err := r.backend.CAs(ctx)
	if err != nil {
		return nil, fmt.Errorf("ocsp: reading CAs: %w", err)
	}
	set := &caSet{loaded: r.now(), byID: make(map[string]*issuer, len(cas)), byHash: map[matchKey]*issuer{}}
	for _, ca := range cas {
		var is *issuer
		if old != nil {
			if prev := old.byID[ca.ID]; prev != nil && prev.alg == ca.SigningAlgorithm &&
				ca.Certificate != nil && bytes.Equal(prev.cert.Raw, ca.Certificate.Raw) && ca.Signer != nil {
				if err := prev.setSigner(ca.Signer); err == nil {
					is = prev
				}
			}
		}
		if is == nil {
			if is, err = newIssuer(ca); err != nil {
				r.log.Error("CA cannot answer OCSP", "ca", ca.ID, "err", err)
				continue
			}
		}
		if set.byID[ca.ID] != nil {
			r.log.Error("CA listed twice; keeping the first", "ca", ca.ID)
			continue
		}
		set.byID[ca.ID] = is
		for _, c := range certHashes {
			k := matchKey{hash: c.hash}
			copy(k.name[:], is.nameHash[c.hash])
			copy(k.key[:], is.keyHash[c.hash])
			if other := set.byHash[k]; other != nil {
				// Same name and key: the CertIDs cannot tell them apart.
				r.log.Warn("two CAs share a name and key; OCSP answers for the first", "ca", ca.ID, "first", other.id)
				break
			}
			set.byHash[k] = is
		}
	}
	return set, nil
}
