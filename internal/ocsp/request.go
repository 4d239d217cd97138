package ocsp

import (
	"bytes"
	"crypto"
	"errors"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// golang.org/x/crypto/ocsp.ParseRequest keeps only the first CertID, drops
// the request extensions (so the nonce) and refuses signed requests, so
// requests are parsed here.

const (
	// maxRequestBytes caps a POST body or a decoded GET path. A request
	// with maxCertIDs SHA-512 CertIDs and a nonce is under 6 KiB.
	maxRequestBytes = 16 << 10
	// maxCertIDs bounds the work one request can ask for.
	maxCertIDs = 32
	// maxNonce is RFC 9654's upper bound (RFC 8954 said 32).
	maxNonce = 128
	// maxSerial is the longest serial INTEGER content a CA can have issued:
	// 20 octets (RFC 5280 4.1.2.2) plus a sign octet.
	maxSerial = 21
)

// DER contents of the OBJECT IDENTIFIERs a request may carry.
var (
	oidSHA1   = []byte{0x2b, 0x0e, 0x03, 0x02, 0x1a}                         // 1.3.14.3.2.26
	oidSHA256 = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01} // 2.16.840.1.101.3.4.2.1
	oidSHA384 = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02} // 2.16.840.1.101.3.4.2.2
	oidSHA512 = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03} // 2.16.840.1.101.3.4.2.3
	oidNonce  = []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02} // 1.3.6.1.5.5.7.48.1.2
	oidBasic  = []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01} // 1.3.6.1.5.5.7.48.1.1 id-pkix-ocsp-basic
)

// certHashes are the CertID hash algorithms answered, with their OIDs.
var certHashes = []struct {
	hash crypto.Hash
	oid  []byte
}{
	{crypto.SHA1, oidSHA1},
	{crypto.SHA256, oidSHA256},
	{crypto.SHA384, oidSHA384},
	{crypto.SHA512, oidSHA512},
}

func hashOID(h crypto.Hash) []byte {
	for _, c := range certHashes {
		if c.hash == h {
			return c.oid
		}
	}
	return nil
}

// request is a parsed OCSPRequest. Its byte slices alias the input.
type request struct {
	certs []certID
	// nonce is the nonce extension's extnValue, echoed verbatim; nil when
	// the request has none.
	nonce []byte
}

// certID is one CertID. serial is the INTEGER's contents, minimally
// encoded (so the response can carry it back unchanged).
type certID struct {
	hash              crypto.Hash
	nameHash, keyHash []byte
	serial            []byte
}

var errMalformed = errors.New("ocsp: malformed request")

var (
	tagExplicit0 = cbasn1.Tag(0).Constructed().ContextSpecific()
	tagExplicit1 = cbasn1.Tag(1).Constructed().ContextSpecific()
	tagExplicit2 = cbasn1.Tag(2).Constructed().ContextSpecific()
)

// parseRequest parses a DER OCSPRequest (RFC 6960 4.1.1). The optional
// signature is ignored: the responder is public and answers anyone. Unknown
// extensions are ignored unless critical.
func parseRequest(der []byte) (request, error) {
	var req request
	in := cryptobyte.String(der)
	var outer, tbs, list cryptobyte.String
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) || !in.Empty() ||
		!outer.ReadASN1(&tbs, cbasn1.SEQUENCE) ||
		!outer.SkipOptionalASN1(tagExplicit0) || !outer.Empty() {
		return req, errMalformed
	}
	var version cryptobyte.String
	var hasVersion, hasExts bool
	if !tbs.ReadOptionalASN1(&version, &hasVersion, tagExplicit0) {
		return req, errMalformed
	}
	if hasVersion {
		var v int64
		if !version.ReadASN1Integer(&v) || !version.Empty() || v != 0 {
			return req, errMalformed
		}
	}
	var exts cryptobyte.String
	if !tbs.SkipOptionalASN1(tagExplicit1) || // requestorName
		!tbs.ReadASN1(&list, cbasn1.SEQUENCE) ||
		!tbs.ReadOptionalASN1(&exts, &hasExts, tagExplicit2) || !tbs.Empty() {
		return req, errMalformed
	}
	for !list.Empty() {
		if len(req.certs) == maxCertIDs {
			return req, errMalformed
		}
		var one cryptobyte.String
		if !list.ReadASN1(&one, cbasn1.SEQUENCE) {
			return req, errMalformed
		}
		id, err := parseCertID(&one)
		if err != nil {
			return req, err
		}
		var singleExts cryptobyte.String
		var hasSingleExts bool
		if !one.ReadOptionalASN1(&singleExts, &hasSingleExts, tagExplicit0) || !one.Empty() {
			return req, errMalformed
		}
		if hasSingleExts {
			// No single-request extension is understood.
			if err := eachExtension(singleExts, func([]byte, []byte) bool { return false }); err != nil {
				return req, err
			}
		}
		req.certs = append(req.certs, id)
	}
	if len(req.certs) == 0 {
		return req, errMalformed
	}
	if hasExts {
		bad := false
		err := eachExtension(exts, func(oid, value []byte) bool {
			if !bytes.Equal(oid, oidNonce) {
				return false
			}
			// RFC 8954 and RFC 9654: a badly sized nonce is a
			// malformedRequest; so is a repeated one.
			bad = bad || req.nonce != nil || !validNonce(value)
			req.nonce = value
			return true
		})
		if err != nil || bad {
			return req, errMalformed
		}
	}
	return req, nil
}

// validNonce reports whether an extnValue is a nonce of an acceptable size.
// RFC 8954 made it a DER OCTET STRING; some older clients put the raw
// bytes there, which is accepted too (it is echoed unchanged either way).
func validNonce(value []byte) bool {
	s := cryptobyte.String(value)
	var inner cryptobyte.String
	if s.ReadASN1(&inner, cbasn1.OCTET_STRING) && s.Empty() {
		return len(inner) >= 1 && len(inner) <= maxNonce
	}
	return len(value) >= 1 && len(value) <= maxNonce
}

// eachExtension walks a SEQUENCE OF Extension. known says whether an
// extension was understood; an unknown critical one makes the request
// malformed.
func eachExtension(exts cryptobyte.String, known func(oid, value []byte) bool) error {
	var seq cryptobyte.String
	if !exts.ReadASN1(&seq, cbasn1.SEQUENCE) || !exts.Empty() {
		return errMalformed
	}
	for !seq.Empty() {
		var ext, oid, value cryptobyte.String
		critical := false
		if !seq.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) || len(oid) == 0 {
			return errMalformed
		}
		if ext.PeekASN1Tag(cbasn1.BOOLEAN) && !ext.ReadASN1Boolean(&critical) {
			return errMalformed
		}
		if !ext.ReadASN1(&value, cbasn1.OCTET_STRING) || !ext.Empty() {
			return errMalformed
		}
		if !known(oid, value) && critical {
			return errMalformed
		}
	}
	return nil
}

// parseCertID reads a CertID from s.
func parseCertID(s *cryptobyte.String) (certID, error) {
	var id certID
	var seq, ai, oid, nameHash, keyHash, serial cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) ||
		!seq.ReadASN1(&ai, cbasn1.SEQUENCE) ||
		!seq.ReadASN1(&nameHash, cbasn1.OCTET_STRING) ||
		!seq.ReadASN1(&keyHash, cbasn1.OCTET_STRING) ||
		!seq.ReadASN1(&serial, cbasn1.INTEGER) || !seq.Empty() {
		return id, errMalformed
	}
	// Parameters are NULL or, as some encoders write them, absent.
	if !ai.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) || !ai.SkipOptionalASN1(cbasn1.NULL) || !ai.Empty() {
		return id, errMalformed
	}
	for _, c := range certHashes {
		if bytes.Equal(oid, c.oid) {
			id.hash = c.hash
		}
	}
	if id.hash == 0 {
		return id, errMalformed
	}
	// DER INTEGERs are non-empty and minimal.
	if len(serial) == 0 || len(serial) > 1 &&
		(serial[0] == 0 && serial[1]&0x80 == 0 || serial[0] == 0xff && serial[1]&0x80 != 0) {
		return id, errMalformed
	}
	id.nameHash, id.keyHash, id.serial = nameHash, keyHash, serial
	return id, nil
}

// serialHex returns the serial as the Backend names it (lowercase hex, no
// leading zeros), or false for a serial no CA issues (zero, negative or
// longer than RFC 5280 allows).
func serialHex(serial []byte) (string, bool) {
	if len(serial) == 0 || len(serial) > maxSerial || serial[0]&0x80 != 0 {
		return "", false
	}
	for len(serial) > 0 && serial[0] == 0 {
		serial = serial[1:]
	}
	if len(serial) == 0 {
		return "", false
	}
	const digits = "0123456789abcdef"
	buf := make([]byte, 0, 2*len(serial))
	if serial[0] < 0x10 {
		buf = append(buf, digits[serial[0]])
	} else {
		buf = append(buf, digits[serial[0]>>4], digits[serial[0]&0xf])
	}
	for _, b := range serial[1:] {
		buf = append(buf, digits[b>>4], digits[b&0xf])
	}
	return string(buf), true
}
