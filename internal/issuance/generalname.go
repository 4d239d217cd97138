package issuance

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"net/netip"
)

// GeneralName is an RFC 5280 GeneralName in the shape of the AWS GeneralName
// structure. Exactly one choice must be set; an empty string or nil pointer
// means "not set".
type GeneralName struct {
	OtherName                 *OtherName
	RFC822Name                string
	DNSName                   string
	DirectoryName             *Name
	EdiPartyName              *EdiPartyName
	UniformResourceIdentifier string
	// IPAddress is an IPv4 (encoded in 4 bytes) or IPv6 (16 bytes) address
	// in textual form, without a zone.
	IPAddress string
	// RegisteredID is a dotted-decimal OID.
	RegisteredID string
}

// OtherName is an RFC 5280 OtherName. TypeID is a dotted-decimal OID. AWS
// sends Value as a string; it is encoded as a UTF8String inside the
// [0] EXPLICIT value field.
type OtherName struct {
	TypeID string
	Value  string
}

// EdiPartyName is an RFC 5280 EDIPartyName. PartyName is required;
// NameAssigner is optional. Both are encoded as UTF8String DirectoryStrings.
type EdiPartyName struct {
	NameAssigner string
	PartyName    string
}

// AccessDescription is an RFC 5280 AccessDescription in the shape of the AWS
// structure, used by the subject information access extension of a CA's CSR.
// Exactly one of MethodType and MethodOID must be set.
type AccessDescription struct {
	// MethodType is an AWS AccessMethodType: CA_REPOSITORY,
	// RESOURCE_PKI_MANIFEST or RESOURCE_PKI_NOTIFY.
	MethodType string
	// MethodOID is a custom access method as a dotted-decimal OID.
	MethodOID string
	Location  GeneralName
}

// GeneralName context-specific tags (RFC 5280 section 4.2.1.6).
const (
	tagOtherName     = 0
	tagRFC822Name    = 1
	tagDNSName       = 2
	tagDirectoryName = 4
	tagEdiPartyName  = 5
	tagURI           = 6
	tagIPAddress     = 7
	tagRegisteredID  = 8
)

var (
	oidExtSubjectInfoAccess = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 11}

	// accessMethods maps the AWS AccessMethodType enum to OIDs:
	// id-ad-caRepository (RFC 5280), id-ad-rpkiManifest (RFC 6487) and
	// id-ad-rpkiNotify (RFC 8182).
	accessMethods = map[string]asn1.ObjectIdentifier{
		"CA_REPOSITORY":         {1, 3, 6, 1, 5, 5, 7, 48, 5},
		"RESOURCE_PKI_MANIFEST": {1, 3, 6, 1, 5, 5, 7, 48, 10},
		"RESOURCE_PKI_NOTIFY":   {1, 3, 6, 1, 5, 5, 7, 48, 13},
	}
)

// choices counts the choices set in g.
func (g GeneralName) choices() int {
	n := 0
	for _, set := range []bool{
		g.OtherName != nil, g.RFC822Name != "", g.DNSName != "", g.DirectoryName != nil,
		g.EdiPartyName != nil, g.UniformResourceIdentifier != "", g.IPAddress != "", g.RegisteredID != "",
	} {
		if set {
			n++
		}
	}
	return n
}

// Validate reports, as an *ArgError, a GeneralName that sets zero or several
// choices or whose value cannot be encoded or is not of its choice's syntax
// (a DNS name, an email address, an absolute URI); and, as a
// *MalformedError, one whose text is only whitespace or holds a control
// character.
func (g GeneralName) Validate() error {
	_, err := g.marshal()
	return err
}

// marshal returns the DER encoding of g.
func (g GeneralName) marshal() (asn1.RawValue, error) {
	switch g.choices() {
	case 1:
	case 0:
		return asn1.RawValue{}, argErrorf("a GeneralName must set exactly one choice; none is set")
	default:
		return asn1.RawValue{}, argErrorf("a GeneralName must set exactly one choice; %d are set", g.choices())
	}
	ctx := func(tag int, compound bool, content []byte) asn1.RawValue {
		return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: compound, Bytes: content}
	}
	switch {
	case g.OtherName != nil:
		oid, err := parseOID(g.OtherName.TypeID)
		if err != nil {
			return asn1.RawValue{}, argErrorf("OtherName: invalid type OID %q", g.OtherName.TypeID)
		}
		oidDER, err := asn1.Marshal(oid)
		if err != nil {
			return asn1.RawValue{}, argErrorf("OtherName: invalid type OID %q", g.OtherName.TypeID)
		}
		val, err := marshalUTF8(g.OtherName.Value)
		if err != nil {
			return asn1.RawValue{}, argErrorf("OtherName: value is not valid UTF-8")
		}
		if d := textDefect(g.OtherName.Value); d != "" {
			return asn1.RawValue{}, malformedf("OtherName value %q %s", g.OtherName.Value, d)
		}
		// value [0] EXPLICIT ANY
		valDER, err := asn1.Marshal(ctx(0, true, val))
		if err != nil {
			return asn1.RawValue{}, err
		}
		// [0] IMPLICIT SEQUENCE { type-id, value }
		return ctx(tagOtherName, true, append(oidDER, valDER...)), nil
	case g.RFC822Name != "":
		if err := checkIA5("Rfc822Name", []byte(g.RFC822Name), checkRFC822Name); err != nil {
			return asn1.RawValue{}, err
		}
		return ctx(tagRFC822Name, false, []byte(g.RFC822Name)), nil
	case g.DNSName != "":
		if err := checkIA5("DnsName", []byte(g.DNSName), checkDNSName); err != nil {
			return asn1.RawValue{}, err
		}
		return ctx(tagDNSName, false, []byte(g.DNSName)), nil
	case g.DirectoryName != nil:
		if g.DirectoryName.IsEmpty() {
			return asn1.RawValue{}, argErrorf("DirectoryName is empty")
		}
		if err := g.DirectoryName.validateStructure(); err != nil {
			return asn1.RawValue{}, err
		}
		name, err := marshalName(*g.DirectoryName)
		if err != nil {
			return asn1.RawValue{}, argErrorf("DirectoryName: %v", err)
		}
		// As a SAN entry, bad text in it is malformed whatever its source.
		if err := checkRDNSequence("DirectoryName", name); err != nil {
			return asn1.RawValue{}, err
		}
		// Name is a CHOICE, so the tag is explicit.
		return ctx(tagDirectoryName, true, name), nil
	case g.EdiPartyName != nil:
		if g.EdiPartyName.PartyName == "" {
			return asn1.RawValue{}, argErrorf("EdiPartyName: PartyName is required")
		}
		var content []byte
		// DirectoryString is a CHOICE, so both tags are explicit.
		for _, f := range []struct {
			tag int
			v   string
		}{{0, g.EdiPartyName.NameAssigner}, {1, g.EdiPartyName.PartyName}} {
			if f.v == "" {
				continue
			}
			if d := textDefect(f.v); d != "" {
				return asn1.RawValue{}, malformedf("EdiPartyName value %q %s", f.v, d)
			}
			s, err := marshalUTF8(f.v)
			if err != nil {
				return asn1.RawValue{}, argErrorf("EdiPartyName: value is not valid UTF-8")
			}
			der, err := asn1.Marshal(ctx(f.tag, true, s))
			if err != nil {
				return asn1.RawValue{}, err
			}
			content = append(content, der...)
		}
		return ctx(tagEdiPartyName, true, content), nil
	case g.UniformResourceIdentifier != "":
		if err := checkIA5("UniformResourceIdentifier", []byte(g.UniformResourceIdentifier), checkURI); err != nil {
			return asn1.RawValue{}, err
		}
		return ctx(tagURI, false, []byte(g.UniformResourceIdentifier)), nil
	case g.IPAddress != "":
		ip, err := netip.ParseAddr(g.IPAddress)
		if err != nil || ip.Zone() != "" {
			return asn1.RawValue{}, argErrorf("IpAddress %q is not an IPv4 or IPv6 address", g.IPAddress)
		}
		return ctx(tagIPAddress, false, ip.AsSlice()), nil
	default: // RegisteredID
		oid, err := parseOID(g.RegisteredID)
		if err != nil {
			return asn1.RawValue{}, argErrorf("RegisteredId: invalid OID %q", g.RegisteredID)
		}
		der, err := asn1.Marshal(oid)
		if err != nil {
			return asn1.RawValue{}, argErrorf("RegisteredId: invalid OID %q", g.RegisteredID)
		}
		var raw asn1.RawValue
		if _, err := asn1.Unmarshal(der, &raw); err != nil {
			return asn1.RawValue{}, err
		}
		// [8] IMPLICIT OBJECT IDENTIFIER: keep the content octets.
		return ctx(tagRegisteredID, false, raw.Bytes), nil
	}
}

// MarshalGeneralNames returns the DER encoding of GeneralNames (a SEQUENCE OF
// GeneralName), the value of a subject or issuer alternative name extension.
// An empty list, or any invalid entry, is an *ArgError or *MalformedError
// (see GeneralName.Validate).
func MarshalGeneralNames(names []GeneralName) ([]byte, error) {
	if len(names) == 0 {
		return nil, argErrorf("the list of general names is empty")
	}
	raws := make([]asn1.RawValue, 0, len(names))
	for i, g := range names {
		raw, err := g.marshal()
		if err != nil {
			return nil, prefixed(err, "general name %d: ", i)
		}
		raws = append(raws, raw)
	}
	return asn1.Marshal(raws)
}

// SubjectInfoAccessExtension returns the non-critical subject information
// access extension (RFC 5280 section 4.2.2.2) listing ads, as put in a CA's
// CSR from the AWS CsrExtensions.SubjectInformationAccess list. Invalid input
// is an *ArgError or *MalformedError, as for MarshalGeneralNames.
func SubjectInfoAccessExtension(ads []AccessDescription) (pkix.Extension, error) {
	if len(ads) == 0 {
		return pkix.Extension{}, argErrorf("the list of access descriptions is empty")
	}
	type accessDescription struct {
		Method   asn1.ObjectIdentifier
		Location asn1.RawValue
	}
	out := make([]accessDescription, 0, len(ads))
	for i, ad := range ads {
		var method asn1.ObjectIdentifier
		switch {
		case ad.MethodType != "" && ad.MethodOID != "":
			return pkix.Extension{}, argErrorf("access description %d: only one of AccessMethodType and CustomObjectIdentifier may be set", i)
		case ad.MethodType != "":
			m, ok := accessMethods[ad.MethodType]
			if !ok {
				return pkix.Extension{}, argErrorf("access description %d: unknown access method type %q", i, ad.MethodType)
			}
			method = m
		case ad.MethodOID != "":
			m, err := parseOID(ad.MethodOID)
			if err != nil {
				return pkix.Extension{}, argErrorf("access description %d: invalid access method OID %q", i, ad.MethodOID)
			}
			method = m
		default:
			return pkix.Extension{}, argErrorf("access description %d: an access method is required", i)
		}
		loc, err := ad.Location.marshal()
		if err != nil {
			return pkix.Extension{}, prefixed(err, "access description %d: ", i)
		}
		out = append(out, accessDescription{Method: method, Location: loc})
	}
	der, err := asn1.Marshal(out)
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidExtSubjectInfoAccess, Value: der}, nil
}

func marshalUTF8(s string) ([]byte, error) {
	return asn1.MarshalWithParams(s, "utf8")
}

func isIA5(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > 0x7f {
			return false
		}
	}
	return true
}
