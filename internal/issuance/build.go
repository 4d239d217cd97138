package issuance

import (
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net"
	"net/url"
	"strconv"
	"time"
)

// Request holds everything Build needs to produce a certificate template.
type Request struct {
	// Template is the certificate template (from LookupTemplate). Required.
	Template *Template

	// CSR is the parsed, signature-checked request. Its RawSubject (or
	// Subject when RawSubject is empty) and its requested Extensions are
	// used; its public key is the caller's business. Required.
	CSR *x509.CertificateRequest

	// SubjectKeyID is the subject key identifier, computed by the caller from
	// the real public key. Required.
	SubjectKeyID []byte

	// Passthrough is the IssueCertificate ApiPassthrough. It is ignored
	// (and not validated) unless Template.APIPassthrough is set.
	Passthrough *Passthrough

	// Issuer is the issuing CA's certificate. Its SubjectKeyId (or, when it
	// has none, the SHA-1 of its public key) becomes the authority key
	// identifier, and its path length constraint is enforced for CA
	// templates. Nil only when a root CA signs its own certificate, which
	// requires a Root template; the result then has no authority key
	// identifier unless API passthrough supplies one.
	Issuer *x509.Certificate

	// SerialNumber must be positive (see NewSerial).
	SerialNumber *big.Int

	// NotBefore and NotAfter bound the validity (see ComputeValidity);
	// NotBefore must be before NotAfter.
	NotBefore, NotAfter time.Time

	// CRLDistributionPoints are the CRL URLs from the CA's revocation
	// configuration; nil means none. Root templates never get them.
	CRLDistributionPoints []string
	// FreshestCRL are the URLs of the delta CRLs of those CRLs (RFC 5280
	// 4.2.1.15); nil means none. Root templates never get them.
	FreshestCRL []string

	// OCSPServer are the OCSP URLs put in the authority information access
	// extension; nil means none. Root templates never get them.
	OCSPServer []string
}

// Build returns the certificate template to sign for req, applying the AWS
// precedence rule: the template definition, then API passthrough, then CSR
// passthrough.
//
//   - basicConstraints, the subject key identifier and (when there is an
//     Issuer) the authority key identifier always come from the template;
//     so do the CRL distribution points and OCSP URL when the CA
//     configuration provides them.
//   - Key usage and extended key usage come from the template, except on
//     Blank templates, which take them from API passthrough, else from the
//     CSR (CSR passthrough templates only).
//   - The subject is the CSR's, replaced by a non-empty API subject on API
//     passthrough templates. Subject alternative names are the CSR's (even on
//     base templates), replaced by API names on API passthrough templates;
//     the extension is critical exactly when the subject is empty.
//   - Any other extension requested in the CSR is copied on CSR passthrough
//     templates; API certificate policies and custom extensions are copied on
//     API passthrough templates, and beat the CSR's.
//
// Every extension of the result is in ExtraExtensions, in its final encoding
// and criticality. The typed fields BasicConstraintsValid, IsCA, MaxPathLen,
// MaxPathLenZero, KeyUsage, ExtKeyUsage, UnknownExtKeyUsage, SubjectKeyId,
// AuthorityKeyId, DNSNames, EmailAddresses, IPAddresses and URIs mirror those
// extensions, and CRLDistributionPoints and OCSPServer mirror the CA
// configuration, for inspection only: x509.CreateCertificate lets
// ExtraExtensions take precedence, so nothing is encoded twice. The caller
// sets SignatureAlgorithm and supplies the public key and issuer when signing.
//
// Names are checked before anything is signed (see checkDNSName and the
// other checks of names.go): a subject or subject alternative name from the
// CSR that fails is a *MalformedError; from the API, an *ArgError, except
// subject alternative names that are empty, only whitespace or hold a
// control character, which AWS refuses as malformed whatever their source.
//
// Errors: *ArgError for invalid API passthrough, a subject with neither a
// name nor subject alternative names, or a malformed requested extension;
// *MalformedError as just said;
// *PathLenError when the issuer's path length constraint forbids a CA
// template; any other error means req itself is incomplete.
func Build(req Request) (*x509.Certificate, error) {
	t := req.Template
	switch {
	case t == nil:
		return nil, errors.New("issuance: Request.Template is required")
	case req.CSR == nil:
		return nil, errors.New("issuance: Request.CSR is required")
	case len(req.SubjectKeyID) == 0:
		return nil, errors.New("issuance: Request.SubjectKeyID is required")
	case req.SerialNumber == nil || req.SerialNumber.Sign() <= 0:
		return nil, errors.New("issuance: Request.SerialNumber must be positive")
	case !req.NotBefore.Before(req.NotAfter):
		return nil, errors.New("issuance: Request.NotBefore must be before Request.NotAfter")
	case req.Issuer == nil && !t.Root:
		return nil, errors.New("issuance: Request.Issuer is required for template " + t.Name)
	}
	if err := checkPathLen(t, req.Issuer); err != nil {
		return nil, err
	}

	// Passthrough sources, each in order and keyed by OID.
	var api []pkix.Extension
	var apiSubject *Name
	if t.APIPassthrough && req.Passthrough != nil {
		if err := req.Passthrough.Validate(); err != nil {
			return nil, err
		}
		var err error
		if api, err = req.Passthrough.extensions(); err != nil {
			return nil, err
		}
		if s := req.Passthrough.Subject; s != nil && !s.IsEmpty() {
			apiSubject = s
		}
	}
	var csr []pkix.Extension
	for _, e := range req.CSR.Extensions {
		if findExt(csr, e.Id) != nil {
			continue // keep the first of duplicated requests
		}
		// The SAN always comes from the CSR; the rest only on CSR passthrough.
		if t.CSRPassthrough || e.Id.Equal(oidExtSubjectAltName) {
			csr = append(csr, e)
		}
	}

	// Subject.
	rawSubject := append([]byte(nil), req.CSR.RawSubject...)
	if apiSubject != nil {
		der, err := marshalName(*apiSubject)
		if err != nil {
			return nil, argErrorf("subject: %v", err)
		}
		rawSubject = der
	} else if len(rawSubject) == 0 {
		der, err := asn1.Marshal(req.CSR.Subject.ToRDNSequence())
		if err != nil {
			return nil, argErrorf("subject: %v", err)
		}
		rawSubject = der
	}
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(rawSubject, &rdns); err != nil || len(rest) != 0 {
		return nil, argErrorf("the subject is not a valid distinguished name")
	}
	subjectEmpty := len(rdns) == 0
	if err := checkRDNSequence("subject", rawSubject); err != nil {
		if apiSubject == nil {
			return nil, asMalformed(err)
		}
		return nil, asArg(err)
	}

	// Template-owned extensions. A nil entry suppresses the OID from every
	// source ("the template defines none").
	owned := map[string]*pkix.Extension{}
	own := func(e pkix.Extension, err error) error {
		if err != nil {
			return err
		}
		owned[e.Id.String()] = &e
		return nil
	}
	suppress := func(oid asn1.ObjectIdentifier) { owned[oid.String()] = nil }

	if err := own(basicConstraintsExtension(t.IsCA, t.MaxPathLen, t.BasicConstraintsCritical)); err != nil {
		return nil, err
	}
	if err := own(subjectKeyIDExtension(req.SubjectKeyID)); err != nil {
		return nil, err
	}
	if req.Issuer != nil {
		if err := own(authorityKeyIDExtension(authorityKeyID(req.Issuer))); err != nil {
			return nil, err
		}
	}
	if !t.Blank {
		suppress(oidExtKeyUsage)
		suppress(oidExtExtKeyUsage)
		if t.KeyUsage != 0 {
			if err := own(keyUsageExtension(t.KeyUsage, true)); err != nil {
				return nil, err
			}
		}
		if len(t.ExtKeyUsage) > 0 {
			oids := make([]asn1.ObjectIdentifier, 0, len(t.ExtKeyUsage))
			for _, u := range t.ExtKeyUsage {
				oid, ok := oidFromExtKeyUsage(u)
				if !ok {
					return nil, errors.New("issuance: template has an unsupported extended key usage")
				}
				oids = append(oids, oid)
			}
			if err := own(extKeyUsageExtension(oids, t.ExtKeyUsageCritical)); err != nil {
				return nil, err
			}
		}
	}
	if !t.Root && len(req.CRLDistributionPoints) > 0 {
		if err := own(crlDistributionPointsExtension(req.CRLDistributionPoints)); err != nil {
			return nil, err
		}
	}
	if !t.Root && len(req.FreshestCRL) > 0 {
		ext, err := crlDistributionPointsExtension(req.FreshestCRL)
		ext.Id = oidExtFreshestCRL
		if err := own(ext, err); err != nil {
			return nil, err
		}
	}
	if !t.Root && len(req.OCSPServer) > 0 {
		if err := own(ocspAIAExtension(req.OCSPServer)); err != nil {
			return nil, err
		}
	}

	// Resolve each OID: template, then API, then CSR. Order: the standard
	// extensions first, then API extensions, then CSR extensions.
	order := []asn1.ObjectIdentifier{
		oidExtBasicConstraints, oidExtKeyUsage, oidExtExtKeyUsage, oidExtSubjectKeyID, oidExtAuthorityKeyID,
		oidExtSubjectAltName, oidExtCertificatePolicies, oidExtCRLDistributionPoints, oidExtFreshestCRL, oidExtAuthorityInfoAccess,
	}
	for _, e := range api {
		order = append(order, e.Id)
	}
	for _, e := range csr {
		order = append(order, e.Id)
	}
	var exts []pkix.Extension
	seen := map[string]bool{}
	sanFromCSR := false
	for _, oid := range order {
		key := oid.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		var chosen *pkix.Extension
		if e, ok := owned[key]; ok {
			chosen = e
		} else if e := findExt(api, oid); e != nil {
			chosen = e
		} else if e := findExt(csr, oid); e != nil {
			chosen = e
			if oid.Equal(oidExtSubjectAltName) {
				sanFromCSR = true
			}
		}
		if chosen != nil {
			exts = append(exts, pkix.Extension{Id: chosen.Id, Critical: chosen.Critical, Value: chosen.Value})
		}
	}

	cert := &x509.Certificate{
		SerialNumber:          new(big.Int).Set(req.SerialNumber),
		NotBefore:             req.NotBefore,
		NotAfter:              req.NotAfter,
		RawSubject:            rawSubject,
		BasicConstraintsValid: true,
		IsCA:                  t.IsCA,
		MaxPathLen:            t.MaxPathLen,
		MaxPathLenZero:        t.MaxPathLen == 0,
		SubjectKeyId:          append([]byte(nil), req.SubjectKeyID...),
	}
	cert.Subject.FillFromRDNSequence(&rdns)
	if !t.Root {
		cert.CRLDistributionPoints = append([]string(nil), req.CRLDistributionPoints...)
		cert.OCSPServer = append([]string(nil), req.OCSPServer...)
	}

	// Mirror the chosen extensions into the typed fields and apply the
	// RFC 5280 criticality rule to the SAN.
	hasSAN := false
	for i := range exts {
		e := &exts[i]
		switch {
		case e.Id.Equal(oidExtSubjectAltName):
			// Checked here, whatever its source: API custom extensions
			// can carry a SAN too.
			if err := checkSAN(e.Value); err != nil {
				if sanFromCSR {
					return nil, asMalformed(err)
				}
				return nil, err
			}
			n, err := mirrorSAN(cert, e.Value)
			if err != nil {
				return nil, err
			}
			hasSAN = n > 0
			e.Critical = subjectEmpty
		case e.Id.Equal(oidExtKeyUsage):
			ku, err := parseKeyUsage(e.Value)
			if err != nil {
				return nil, err
			}
			cert.KeyUsage = ku
		case e.Id.Equal(oidExtExtKeyUsage):
			var oids []asn1.ObjectIdentifier
			if rest, err := asn1.Unmarshal(e.Value, &oids); err != nil || len(rest) != 0 {
				return nil, argErrorf("the extended key usage extension is malformed")
			}
			for _, oid := range oids {
				if u, ok := extKeyUsageFromOID(oid); ok {
					cert.ExtKeyUsage = append(cert.ExtKeyUsage, u)
				} else {
					cert.UnknownExtKeyUsage = append(cert.UnknownExtKeyUsage, oid)
				}
			}
		case e.Id.Equal(oidExtAuthorityKeyID):
			cert.AuthorityKeyId = parseAuthorityKeyID(e.Value)
		}
	}
	if subjectEmpty && !hasSAN {
		return nil, argErrorf("the certificate must have a subject name or a subject alternative name")
	}
	cert.ExtraExtensions = exts
	return cert, nil
}

// checkPathLen refuses a CA template below an issuer whose path length
// constraint leaves no room for another CA certificate, following the rules
// of crypto/x509 verification (a parsed MaxPathLen of 0 is a limit of 0).
func checkPathLen(t *Template, issuer *x509.Certificate) error {
	if !t.IsCA || issuer == nil {
		return nil
	}
	if issuer.BasicConstraintsValid && !issuer.IsCA {
		return &PathLenError{Msg: "the issuing certificate is not a CA certificate"}
	}
	if !issuer.BasicConstraintsValid || issuer.MaxPathLen < 0 {
		return nil
	}
	limit := issuer.MaxPathLen
	if limit == 0 {
		return &PathLenError{Msg: "the path length constraint of the issuing CA (0) does not allow issuing a CA certificate"}
	}
	if t.MaxPathLen < 0 || t.MaxPathLen >= limit {
		want := "no path length constraint"
		if t.MaxPathLen >= 0 {
			want = "path length " + strconv.Itoa(t.MaxPathLen)
		}
		return &PathLenError{Msg: "a CA certificate with " + want +
			" cannot be issued below a CA with path length " + strconv.Itoa(limit)}
	}
	return nil
}

// authorityKeyID returns the issuer's subject key identifier or, when it has
// none, the SHA-1 hash of its subjectPublicKey bits (RFC 5280 4.2.1.2 (1)).
func authorityKeyID(issuer *x509.Certificate) []byte {
	if issuer == nil {
		return nil
	}
	if len(issuer.SubjectKeyId) > 0 {
		return append([]byte(nil), issuer.SubjectKeyId...)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(issuer.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:]
}

func parseAuthorityKeyID(der []byte) []byte {
	var aki struct {
		ID []byte `asn1:"optional,tag:0"`
	}
	if _, err := asn1.Unmarshal(der, &aki); err != nil {
		return nil
	}
	return aki.ID
}

func parseKeyUsage(der []byte) (x509.KeyUsage, error) {
	var bits asn1.BitString
	if rest, err := asn1.Unmarshal(der, &bits); err != nil || len(rest) != 0 {
		return 0, argErrorf("the key usage extension is malformed")
	}
	var ku x509.KeyUsage
	for i := 0; i < 9; i++ {
		if bits.At(i) != 0 {
			ku |= 1 << uint(i)
		}
	}
	return ku, nil
}

// mirrorSAN checks that der is a non-empty GeneralNames, copies the names Go
// has typed fields for into cert, and returns how many names it holds.
func mirrorSAN(cert *x509.Certificate, der []byte) (int, error) {
	var names []asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &names); err != nil || len(rest) != 0 {
		return 0, argErrorf("the subject alternative name extension is malformed")
	}
	for _, n := range names {
		if n.Class != asn1.ClassContextSpecific {
			return 0, argErrorf("the subject alternative name extension is malformed")
		}
		switch n.Tag {
		case tagRFC822Name:
			cert.EmailAddresses = append(cert.EmailAddresses, string(n.Bytes))
		case tagDNSName:
			cert.DNSNames = append(cert.DNSNames, string(n.Bytes))
		case tagURI:
			if u, err := url.Parse(string(n.Bytes)); err == nil {
				cert.URIs = append(cert.URIs, u)
			}
		case tagIPAddress:
			if len(n.Bytes) == net.IPv4len || len(n.Bytes) == net.IPv6len {
				cert.IPAddresses = append(cert.IPAddresses, net.IP(append([]byte(nil), n.Bytes...)))
			}
		}
	}
	return len(names), nil
}

func findExt(exts []pkix.Extension, oid asn1.ObjectIdentifier) *pkix.Extension {
	for i := range exts {
		if exts[i].Id.Equal(oid) {
			return &exts[i]
		}
	}
	return nil
}

// Key purpose OIDs for the crypto/x509 ExtKeyUsage values the templates use
// and the ones a parsed extension may map back to.
var extKeyUsageOIDs = []struct {
	u   x509.ExtKeyUsage
	oid asn1.ObjectIdentifier
}{
	{x509.ExtKeyUsageAny, asn1.ObjectIdentifier{2, 5, 29, 37, 0}},
	{x509.ExtKeyUsageServerAuth, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}},
	{x509.ExtKeyUsageClientAuth, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}},
	{x509.ExtKeyUsageCodeSigning, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 3}},
	{x509.ExtKeyUsageEmailProtection, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4}},
	{x509.ExtKeyUsageIPSECEndSystem, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 5}},
	{x509.ExtKeyUsageIPSECTunnel, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 6}},
	{x509.ExtKeyUsageIPSECUser, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 7}},
	{x509.ExtKeyUsageTimeStamping, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}},
	{x509.ExtKeyUsageOCSPSigning, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 9}},
	{x509.ExtKeyUsageMicrosoftServerGatedCrypto, asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 3, 3}},
	{x509.ExtKeyUsageNetscapeServerGatedCrypto, asn1.ObjectIdentifier{2, 16, 840, 1, 113730, 4, 1}},
	{x509.ExtKeyUsageMicrosoftCommercialCodeSigning, asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 22}},
	{x509.ExtKeyUsageMicrosoftKernelCodeSigning, asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 61, 1, 1}},
}

func oidFromExtKeyUsage(u x509.ExtKeyUsage) (asn1.ObjectIdentifier, bool) {
	for _, e := range extKeyUsageOIDs {
		if e.u == u {
			return e.oid, true
		}
	}
	return nil, false
}

func extKeyUsageFromOID(oid asn1.ObjectIdentifier) (x509.ExtKeyUsage, bool) {
	for _, e := range extKeyUsageOIDs {
		if e.oid.Equal(oid) {
			return e.u, true
		}
	}
	return 0, false
}
