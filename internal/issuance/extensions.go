package issuance

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

// KeyUsage is the AWS KeyUsage structure: one flag per RFC 5280 key usage
// bit. The zero value sets no bit.
type KeyUsage struct {
	DigitalSignature bool
	NonRepudiation   bool
	KeyEncipherment  bool
	DataEncipherment bool
	KeyAgreement     bool
	KeyCertSign      bool
	CRLSign          bool
	EncipherOnly     bool
	DecipherOnly     bool
}

// ToX509 returns the equivalent crypto/x509 bit set.
func (k KeyUsage) ToX509() x509.KeyUsage {
	var ku x509.KeyUsage
	for _, b := range []struct {
		set bool
		bit x509.KeyUsage
	}{
		{k.DigitalSignature, x509.KeyUsageDigitalSignature},
		{k.NonRepudiation, x509.KeyUsageContentCommitment},
		{k.KeyEncipherment, x509.KeyUsageKeyEncipherment},
		{k.DataEncipherment, x509.KeyUsageDataEncipherment},
		{k.KeyAgreement, x509.KeyUsageKeyAgreement},
		{k.KeyCertSign, x509.KeyUsageCertSign},
		{k.CRLSign, x509.KeyUsageCRLSign},
		{k.EncipherOnly, x509.KeyUsageEncipherOnly},
		{k.DecipherOnly, x509.KeyUsageDecipherOnly},
	} {
		if b.set {
			ku |= b.bit
		}
	}
	return ku
}

// Extension returns k as a critical key usage extension, for example for a
// CA's CSR built from the AWS CsrExtensions.KeyUsage structure. A KeyUsage
// with no bit set is an *ArgError: the extension must assert at least one.
func (k KeyUsage) Extension() (pkix.Extension, error) {
	ku := k.ToX509()
	if ku == 0 {
		return pkix.Extension{}, argErrorf("key usage sets no bit")
	}
	return keyUsageExtension(ku, true)
}

// ExtendedKeyUsage is the AWS ExtendedKeyUsage structure. Exactly one of Type
// and OID must be set.
type ExtendedKeyUsage struct {
	// Type is an AWS ExtendedKeyUsageType: SERVER_AUTH, CLIENT_AUTH,
	// CODE_SIGNING, EMAIL_PROTECTION, TIME_STAMPING, OCSP_SIGNING,
	// SMART_CARD_LOGIN, DOCUMENT_SIGNING or CERTIFICATE_TRANSPARENCY.
	Type string
	// OID is a custom key purpose as a dotted-decimal OID
	// (ExtendedKeyUsageObjectIdentifier).
	OID string
}

// extKeyUsageTypes maps the AWS ExtendedKeyUsageType enum to key purpose OIDs.
var extKeyUsageTypes = map[string]asn1.ObjectIdentifier{
	"SERVER_AUTH":      {1, 3, 6, 1, 5, 5, 7, 3, 1},
	"CLIENT_AUTH":      {1, 3, 6, 1, 5, 5, 7, 3, 2},
	"CODE_SIGNING":     {1, 3, 6, 1, 5, 5, 7, 3, 3},
	"EMAIL_PROTECTION": {1, 3, 6, 1, 5, 5, 7, 3, 4},
	"TIME_STAMPING":    {1, 3, 6, 1, 5, 5, 7, 3, 8},
	"OCSP_SIGNING":     {1, 3, 6, 1, 5, 5, 7, 3, 9},
	// Microsoft smart card logon (szOID_KP_SMARTCARD_LOGON).
	"SMART_CARD_LOGIN": {1, 3, 6, 1, 4, 1, 311, 20, 2, 2},
	// id-kp-documentSigning (RFC 9336).
	"DOCUMENT_SIGNING": {1, 3, 6, 1, 5, 5, 7, 3, 36},
	// Certificate Transparency precertificate signing (RFC 6962 section 3.1).
	"CERTIFICATE_TRANSPARENCY": {1, 3, 6, 1, 4, 1, 11129, 2, 4, 4},
}

func (e ExtendedKeyUsage) oid() (asn1.ObjectIdentifier, error) {
	switch {
	case e.Type != "" && e.OID != "":
		return nil, argErrorf("an extended key usage must set only one of ExtendedKeyUsageType and ExtendedKeyUsageObjectIdentifier")
	case e.Type != "":
		oid, ok := extKeyUsageTypes[e.Type]
		if !ok {
			return nil, argErrorf("unknown extended key usage type %q", e.Type)
		}
		return oid, nil
	case e.OID != "":
		oid, err := parseOID(e.OID)
		if err != nil {
			return nil, argErrorf("invalid extended key usage OID %q", e.OID)
		}
		return oid, nil
	default:
		return nil, argErrorf("an extended key usage must set ExtendedKeyUsageType or ExtendedKeyUsageObjectIdentifier")
	}
}

// PolicyInformation is one certificate policy term of the AWS
// CertificatePolicies list.
type PolicyInformation struct {
	// PolicyOID is the dotted-decimal policy OID (CertPolicyId).
	PolicyOID  string
	Qualifiers []PolicyQualifier
}

// PolicyQualifier is an AWS PolicyQualifierInfo. QualifierID is "CPS", the
// only value AWS accepts (an empty string is taken as "CPS"); CPSURI is the
// certification practice statement URI.
type PolicyQualifier struct {
	QualifierID string
	CPSURI      string
}

// CustomExtension is an AWS CustomExtension: an extension OID, its DER value
// (already base64-decoded) and its criticality.
type CustomExtension struct {
	OID      string
	Value    []byte
	Critical bool
}

// Extensions is the AWS Extensions structure of ApiPassthrough.
type Extensions struct {
	CertificatePolicies     []PolicyInformation
	CustomExtensions        []CustomExtension
	ExtendedKeyUsage        []ExtendedKeyUsage
	KeyUsage                *KeyUsage
	SubjectAlternativeNames []GeneralName
}

// Passthrough is the AWS ApiPassthrough structure. A nil field means the
// caller supplied nothing for it.
type Passthrough struct {
	Subject    *Name
	Extensions *Extensions
}

// Validate checks p as AWS checks ApiPassthrough and reports the first
// problem as an *ArgError. Build validates a passthrough only when the template
// honours it; the domain may call Validate to check it up front regardless.
func (p *Passthrough) Validate() error {
	_, err := p.extensions()
	if err != nil {
		return err
	}
	if p != nil && p.Subject != nil {
		return p.Subject.Validate()
	}
	return nil
}

// extensions returns the extensions p asks for, in a fixed order (SAN,
// key usage, extended key usage, certificate policies, then the custom
// extensions in order). A key usage with no bit set counts as absent. Two
// entries with one OID are an *ArgError.
func (p *Passthrough) extensions() ([]pkix.Extension, error) {
	if p == nil || p.Extensions == nil {
		return nil, nil
	}
	e := p.Extensions
	var out []pkix.Extension
	if len(e.SubjectAlternativeNames) > 0 {
		der, err := MarshalGeneralNames(e.SubjectAlternativeNames)
		if err != nil {
			return nil, err
		}
		out = append(out, pkix.Extension{Id: oidExtSubjectAltName, Value: der})
	}
	if e.KeyUsage != nil && e.KeyUsage.ToX509() != 0 {
		ext, err := keyUsageExtension(e.KeyUsage.ToX509(), true)
		if err != nil {
			return nil, err
		}
		out = append(out, ext)
	}
	if len(e.ExtendedKeyUsage) > 0 {
		oids := make([]asn1.ObjectIdentifier, 0, len(e.ExtendedKeyUsage))
		for _, u := range e.ExtendedKeyUsage {
			oid, err := u.oid()
			if err != nil {
				return nil, err
			}
			oids = append(oids, oid)
		}
		ext, err := extKeyUsageExtension(oids, false)
		if err != nil {
			return nil, err
		}
		out = append(out, ext)
	}
	if len(e.CertificatePolicies) > 0 {
		ext, err := certificatePoliciesExtension(e.CertificatePolicies)
		if err != nil {
			return nil, err
		}
		out = append(out, ext)
	}
	for i, c := range e.CustomExtensions {
		oid, err := parseOID(c.OID)
		if err != nil {
			return nil, argErrorf("custom extension %d: invalid object identifier %q", i, c.OID)
		}
		if len(c.Value) == 0 {
			return nil, argErrorf("custom extension %d (%s): empty value", i, c.OID)
		}
		var raw asn1.RawValue
		if rest, err := asn1.Unmarshal(c.Value, &raw); err != nil || len(rest) != 0 {
			return nil, argErrorf("custom extension %d (%s): value is not a single DER element", i, c.OID)
		}
		out = append(out, pkix.Extension{Id: oid, Critical: c.Critical, Value: c.Value})
	}
	for i := range out {
		for j := range i {
			if out[i].Id.Equal(out[j].Id) {
				return nil, argErrorf("extension %s is supplied more than once", out[i].Id)
			}
		}
	}
	return out, nil
}

// Extension OIDs (RFC 5280 section 4.2).
var (
	oidExtSubjectKeyID          = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtKeyUsage              = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtSubjectAltName        = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidExtBasicConstraints      = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtCRLDistributionPoints = asn1.ObjectIdentifier{2, 5, 29, 31}
	oidExtFreshestCRL           = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidExtCertificatePolicies   = asn1.ObjectIdentifier{2, 5, 29, 32}
	oidExtAuthorityKeyID        = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtExtKeyUsage           = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidExtAuthorityInfoAccess   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}

	oidAccessOCSP     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1}
	oidQualifierIDCPS = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 1}
)

// keyUsageExtension encodes ku as a minimal DER BIT STRING (RFC 5280 4.2.1.3).
func keyUsageExtension(ku x509.KeyUsage, critical bool) (pkix.Extension, error) {
	var a [2]byte
	a[0] = reverseBits(byte(ku))
	a[1] = reverseBits(byte(ku >> 8))
	l := 1
	if a[1] != 0 {
		l = 2
	}
	b := a[:l]
	// DER drops trailing zero bits (X.690 section 11.2.2).
	bitLen := len(b) * 8
trim:
	for i := len(b) - 1; i >= 0; i-- {
		for bit := 0; bit < 8; bit++ {
			if b[i]>>bit&1 == 1 {
				break trim
			}
			bitLen--
		}
	}
	der, err := asn1.Marshal(asn1.BitString{Bytes: b, BitLength: bitLen})
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidExtKeyUsage, Critical: critical, Value: der}, nil
}

func reverseBits(b byte) byte {
	var r byte
	for i := 0; i < 8; i++ {
		r <<= 1
		r |= b & 1
		b >>= 1
	}
	return r
}

func extKeyUsageExtension(oids []asn1.ObjectIdentifier, critical bool) (pkix.Extension, error) {
	der, err := asn1.Marshal(oids)
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidExtExtKeyUsage, Critical: critical, Value: der}, nil
}

func certificatePoliciesExtension(policies []PolicyInformation) (pkix.Extension, error) {
	type qualifierInfo struct {
		ID        asn1.ObjectIdentifier
		Qualifier string `asn1:"ia5"`
	}
	type policyInformation struct {
		Policy     asn1.ObjectIdentifier
		Qualifiers []qualifierInfo `asn1:"optional,omitempty"`
	}
	out := make([]policyInformation, 0, len(policies))
	for i, p := range policies {
		oid, err := parseOID(p.PolicyOID)
		if err != nil {
			return pkix.Extension{}, argErrorf("certificate policy %d: invalid policy OID %q", i, p.PolicyOID)
		}
		pi := policyInformation{Policy: oid}
		for _, q := range p.Qualifiers {
			if q.QualifierID != "" && q.QualifierID != "CPS" {
				return pkix.Extension{}, argErrorf("certificate policy %d: unsupported policy qualifier %q", i, q.QualifierID)
			}
			if q.CPSURI == "" || !isIA5(q.CPSURI) {
				return pkix.Extension{}, argErrorf("certificate policy %d: the CPS URI must be a non-empty IA5String", i)
			}
			pi.Qualifiers = append(pi.Qualifiers, qualifierInfo{ID: oidQualifierIDCPS, Qualifier: q.CPSURI})
		}
		out = append(out, pi)
	}
	for i := range out {
		for j := range i {
			if out[i].Policy.Equal(out[j].Policy) {
				return pkix.Extension{}, argErrorf("certificate policy %s is listed more than once", out[i].Policy)
			}
		}
	}
	der, err := asn1.Marshal(out)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("issuance: encoding certificate policies: %w", err)
	}
	return pkix.Extension{Id: oidExtCertificatePolicies, Value: der}, nil
}

func basicConstraintsExtension(isCA bool, maxPathLen int, critical bool) (pkix.Extension, error) {
	type basicConstraints struct {
		IsCA       bool `asn1:"optional"`
		MaxPathLen int  `asn1:"optional,default:-1"`
	}
	der, err := asn1.Marshal(basicConstraints{IsCA: isCA, MaxPathLen: maxPathLen})
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidExtBasicConstraints, Critical: critical, Value: der}, nil
}

func subjectKeyIDExtension(id []byte) (pkix.Extension, error) {
	der, err := asn1.Marshal(id)
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidExtSubjectKeyID, Value: der}, nil
}

func authorityKeyIDExtension(id []byte) (pkix.Extension, error) {
	type authKeyID struct {
		ID []byte `asn1:"optional,tag:0"`
	}
	der, err := asn1.Marshal(authKeyID{ID: id})
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidExtAuthorityKeyID, Value: der}, nil
}

// crlDistributionPointsExtension puts every URL in one distribution point as
// a fullName, the way AWS Private CA encodes its configured CRL location.
func crlDistributionPointsExtension(urls []string) (pkix.Extension, error) {
	names := make([]asn1.RawValue, 0, len(urls))
	for _, u := range urls {
		if u == "" || !isIA5(u) {
			return pkix.Extension{}, fmt.Errorf("issuance: CRL distribution point %q is not a non-empty IA5String", u)
		}
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagURI, Bytes: []byte(u)})
	}
	type distributionPointName struct {
		FullName []asn1.RawValue `asn1:"optional,tag:0"`
	}
	type distributionPoint struct {
		Name distributionPointName `asn1:"optional,tag:0"`
	}
	der, err := asn1.Marshal([]distributionPoint{{Name: distributionPointName{FullName: names}}})
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidExtCRLDistributionPoints, Value: der}, nil
}

func ocspAIAExtension(urls []string) (pkix.Extension, error) {
	type accessDescription struct {
		Method   asn1.ObjectIdentifier
		Location asn1.RawValue
	}
	ads := make([]accessDescription, 0, len(urls))
	for _, u := range urls {
		if u == "" || !isIA5(u) {
			return pkix.Extension{}, fmt.Errorf("issuance: OCSP URL %q is not a non-empty IA5String", u)
		}
		ads = append(ads, accessDescription{
			Method:   oidAccessOCSP,
			Location: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagURI, Bytes: []byte(u)},
		})
	}
	der, err := asn1.Marshal(ads)
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidExtAuthorityInfoAccess, Value: der}, nil
}
