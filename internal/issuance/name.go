package issuance

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Name is an X.500 distinguished name in the shape of the AWS ASN1Subject
// structure. An empty string means the attribute is absent.
//
// CustomAttributes replace the standard attributes entirely: AWS forbids using
// both in one name, and Validate reports that as an *ArgError.
type Name struct {
	Country                    string
	Organization               string
	OrganizationalUnit         string
	DistinguishedNameQualifier string
	State                      string
	CommonName                 string
	SerialNumber               string
	Locality                   string
	Title                      string
	Surname                    string
	GivenName                  string
	Initials                   string
	Pseudonym                  string
	GenerationQualifier        string
	CustomAttributes           []Attribute
}

// Attribute is one custom relative distinguished name: an attribute type OID
// in dotted-decimal form and its string value.
type Attribute struct {
	ObjectIdentifier string
	Value            string
}

// Attribute type OIDs (RFC 5280 appendix A, X.520).
var (
	oidAttrCountry             = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidAttrOrganization        = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidAttrOrganizationalUnit  = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidAttrDNQualifier         = asn1.ObjectIdentifier{2, 5, 4, 46}
	oidAttrState               = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidAttrCommonName          = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidAttrSerialNumber        = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidAttrLocality            = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidAttrTitle               = asn1.ObjectIdentifier{2, 5, 4, 12}
	oidAttrSurname             = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidAttrGivenName           = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidAttrInitials            = asn1.ObjectIdentifier{2, 5, 4, 43}
	oidAttrPseudonym           = asn1.ObjectIdentifier{2, 5, 4, 65}
	oidAttrGenerationQualifier = asn1.ObjectIdentifier{2, 5, 4, 44}
)

// standard returns the standard attributes in the order of the AWS
// ASN1Subject shape, which is also the order they are encoded in.
func (n Name) standard() []pkix.AttributeTypeAndValue {
	fields := []struct {
		oid asn1.ObjectIdentifier
		v   string
	}{
		{oidAttrCountry, n.Country},
		{oidAttrOrganization, n.Organization},
		{oidAttrOrganizationalUnit, n.OrganizationalUnit},
		{oidAttrDNQualifier, n.DistinguishedNameQualifier},
		{oidAttrState, n.State},
		{oidAttrCommonName, n.CommonName},
		{oidAttrSerialNumber, n.SerialNumber},
		{oidAttrLocality, n.Locality},
		{oidAttrTitle, n.Title},
		{oidAttrSurname, n.Surname},
		{oidAttrGivenName, n.GivenName},
		{oidAttrInitials, n.Initials},
		{oidAttrPseudonym, n.Pseudonym},
		{oidAttrGenerationQualifier, n.GenerationQualifier},
	}
	var out []pkix.AttributeTypeAndValue
	for _, f := range fields {
		if f.v != "" {
			out = append(out, pkix.AttributeTypeAndValue{Type: f.oid, Value: f.v})
		}
	}
	return out
}

// IsEmpty reports whether n has no attribute at all.
func (n Name) IsEmpty() bool {
	return len(n.standard()) == 0 && len(n.CustomAttributes) == 0
}

// Validate checks n the way AWS checks an ASN1Subject: custom attributes must
// not be combined with standard attributes, custom attribute OIDs must be
// well-formed and their values non-empty, and every value must be valid UTF-8.
// On top of that, as a CA must, no value may be only whitespace or hold a
// control character (a NUL byte in a CommonName cuts it short for C
// software), and an emailAddress custom attribute must be an email address.
// Problems are reported as *ArgError.
func (n Name) Validate() error {
	if err := n.validateStructure(); err != nil {
		return err
	}
	der, err := marshalName(n)
	if err != nil {
		return argErrorf("subject: %v", err)
	}
	return asArg(checkRDNSequence("subject", der))
}

// validateStructure is Validate without the checks of the values' text.
func (n Name) validateStructure() error {
	std := n.standard()
	if len(n.CustomAttributes) > 0 && len(std) > 0 {
		return argErrorf("custom attributes cannot be used in combination with standard attributes")
	}
	for _, a := range std {
		if !utf8.ValidString(a.Value.(string)) {
			return argErrorf("subject attribute %s is not valid UTF-8", a.Type)
		}
	}
	for i, a := range n.CustomAttributes {
		if _, err := parseOID(a.ObjectIdentifier); err != nil {
			return argErrorf("custom attribute %d: invalid object identifier %q", i, a.ObjectIdentifier)
		}
		if a.Value == "" {
			return argErrorf("custom attribute %d (%s): empty value", i, a.ObjectIdentifier)
		}
		if !utf8.ValidString(a.Value) {
			return argErrorf("custom attribute %d (%s): value is not valid UTF-8", i, a.ObjectIdentifier)
		}
	}
	return nil
}

// ToPKIX converts n to a pkix.Name whose encoding (ToRDNSequence) holds one
// single-valued RDN per attribute: the standard attributes in the order of the
// ASN1Subject shape (C, O, OU, dnQualifier, ST, CN, serialNumber, L, title,
// SN, GN, initials, pseudonym, generationQualifier), then the custom
// attributes in the order given. Values are Go strings, so encoding/asn1 picks
// PrintableString when the value allows it and UTF8String otherwise.
//
// All attributes are carried in ExtraNames, which fixes the encoding order;
// the typed fields Go knows (Country, Organization, OrganizationalUnit,
// Province, Locality, CommonName, SerialNumber) are filled too, for reading.
// Custom attributes whose OID does not parse are left out: call Validate first.
func (n Name) ToPKIX() pkix.Name {
	var out pkix.Name
	for _, a := range n.standard() {
		out.ExtraNames = append(out.ExtraNames, a)
	}
	for _, a := range n.CustomAttributes {
		oid, err := parseOID(a.ObjectIdentifier)
		if err != nil {
			continue
		}
		out.ExtraNames = append(out.ExtraNames, pkix.AttributeTypeAndValue{Type: oid, Value: a.Value})
	}
	// Fill the typed fields from the same attributes; ToRDNSequence skips
	// a typed field whose OID is present in ExtraNames, so nothing is
	// encoded twice.
	var seq pkix.RDNSequence
	for _, a := range out.ExtraNames {
		seq = append(seq, pkix.RelativeDistinguishedNameSET{a})
	}
	extra := out.ExtraNames
	out.FillFromRDNSequence(&seq)
	out.Names = nil
	out.ExtraNames = extra
	return out
}

// marshalName returns the DER encoding of n.
func marshalName(n Name) ([]byte, error) {
	return asn1.Marshal(n.ToPKIX().ToRDNSequence())
}

// parseOID parses a dotted-decimal object identifier. It accepts what the
// AWS CustomObjectIdentifier pattern accepts, with arcs limited to int.
func parseOID(s string) (asn1.ObjectIdentifier, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return nil, strconv.ErrSyntax
	}
	oid := make(asn1.ObjectIdentifier, len(parts))
	for i, p := range parts {
		if p == "" {
			return nil, strconv.ErrSyntax
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return nil, strconv.ErrSyntax
			}
		}
		// Arcs are bounded as crypto/x509 and encoding/asn1 decode them:
		// a larger one gives a CSR or certificate nobody can parse back.
		v, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return nil, err
		}
		oid[i] = int(v)
	}
	// The first two arcs are encoded as one, 40*first+second.
	if oid[0] > 2 || (oid[0] < 2 && oid[1] >= 40) || oid[1] > math.MaxInt32-80 {
		return nil, strconv.ErrSyntax
	}
	return oid, nil
}
