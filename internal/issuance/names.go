package issuance

import (
	"encoding/asn1"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The checks below run before anything is signed, so a name a relying party
// could misread (a line break in a DNS name that forges a log line, a NUL
// that C string handling stops at) never carries the CA's signature. zlint
// finds some of these too, but only in the signed certificate.
//
// Each check returns a *MalformedError for text that is empty, only
// whitespace or holds a control character, the subject alternative name
// entries AWS refuses as MalformedCSRException whatever their source (AWS
// Private CA User Guide, "Certificate request validation"), and an
// *ArgError for any other syntax error, on which AWS documents nothing. Callers re-type the result for where
// the value came from (asMalformed for a CSR, asArg for an API subject).

// textDefect says what makes s unfit to be a name, or returns "": it is
// empty, only whitespace, or holds a control character (C0, DEL or C1).
func textDefect(s string) string {
	if s == "" {
		return "is empty"
	}
	blank := true
	for _, r := range s {
		if unicode.IsControl(r) {
			return "contains a control character"
		}
		if !unicode.IsSpace(r) {
			blank = false
		}
	}
	if blank {
		return "is only whitespace"
	}
	return ""
}

const (
	maxDNSNameLen  = 253 // RFC 1034 section 3.1, without the root's dot
	maxDNSLabelLen = 63
	maxLocalLen    = 64 // RFC 5321 section 4.5.3.1.1
)

// checkDNSName checks a dNSName against the preferred name syntax of RFC 1034
// section 3.5 as relaxed by RFC 1123 section 2.1, which RFC 5280 section
// 4.2.1.6 requires: labels of 1 to 63 letters, digits and hyphens that
// neither start nor end with a hyphen, 253 characters at most, no trailing
// dot. A leftmost label "*" is a wildcard, as AWS Private CA issues them.
// Internationalised names pass in their A-label form (xn--...), which is
// already letters, digits and hyphens.
func checkDNSName(field, s string) error {
	if d := textDefect(s); d != "" {
		return malformedf("%s %q %s", field, s, d)
	}
	if err := dnsNameSyntax(s, true); err != "" {
		return argErrorf("%s %q is not a valid DNS name: %s", field, s, err)
	}
	return nil
}

// dnsNameSyntax returns what is wrong with s as a DNS name, or "".
func dnsNameSyntax(s string, wildcard bool) string {
	if len(s) > maxDNSNameLen {
		return "it is longer than 253 characters"
	}
	labels := strings.Split(s, ".")
	for i, l := range labels {
		switch {
		case l == "" && i == len(labels)-1 && i > 0:
			return "it ends with a dot"
		case l == "":
			return "it has an empty label"
		case l == "*" && i == 0 && wildcard && len(labels) > 1:
			continue
		case strings.Contains(l, "*"):
			return "a wildcard must be the whole leftmost label of a longer name"
		case len(l) > maxDNSLabelLen:
			return "a label is longer than 63 characters"
		case l[0] == '-' || l[len(l)-1] == '-':
			return "a label starts or ends with a hyphen"
		}
		for j := 0; j < len(l); j++ {
			if c := l[j]; !isLetterDigit(c) && c != '-' {
				return "a label holds a character other than a letter, digit or hyphen"
			}
		}
	}
	return ""
}

func isLetterDigit(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// checkRFC822Name checks an rfc822Name: RFC 5280 section 4.2.1.6 wants an
// RFC 5322 addr-spec, local-part "@" domain. The local part must be a
// dot-atom (quoted local parts, which may hold spaces and "@", are refused)
// and the domain a DNS name in preferred syntax.
func checkRFC822Name(field, s string) error {
	if d := textDefect(s); d != "" {
		return malformedf("%s %q %s", field, s, d)
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok {
		return argErrorf("%s %q is not an email address (local-part@domain)", field, s)
	}
	if err := dotAtomSyntax(local); err != "" {
		return argErrorf("%s %q is not an email address: its local part %s", field, s, err)
	}
	if err := dnsNameSyntax(domain, false); err != "" {
		return argErrorf("%s %q is not an email address: its domain is not a DNS name (%s)", field, s, err)
	}
	return nil
}

// dotAtomSyntax returns what is wrong with s as an RFC 5322 dot-atom, or "".
func dotAtomSyntax(s string) string {
	if len(s) > maxLocalLen {
		return "is longer than 64 characters"
	}
	for _, atom := range strings.Split(s, ".") {
		if atom == "" {
			return "is empty or has an empty dot-separated part"
		}
		for i := 0; i < len(atom); i++ {
			if c := atom[i]; !isLetterDigit(c) && !strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", rune(c)) {
				return "holds a character an unquoted local part cannot"
			}
		}
	}
	return ""
}

// checkURI checks a uniformResourceIdentifier: RFC 5280 section 4.2.1.6
// wants an absolute URI with a scheme and a scheme-specific part, in RFC
// 3986 syntax, which has no spaces.
func checkURI(field, s string) error {
	if d := textDefect(s); d != "" {
		return malformedf("%s %q %s", field, s, d)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || strings.ContainsRune(s, ' '):
		return argErrorf("%s %q is not a URI", field, s)
	case u.Scheme == "":
		return argErrorf("%s %q is a relative URI; it needs a scheme", field, s)
	case u.Opaque == "" && u.Host == "" && u.Path == "":
		return argErrorf("%s %q has nothing after its scheme", field, s)
	}
	return nil
}

// attrNames names attribute types in messages: the ASN1Subject members of
// the AWS API, then emailAddress and domainComponent, common in CSRs.
var attrNames = map[string]string{
	oidAttrCountry.String():             "Country",
	oidAttrOrganization.String():        "Organization",
	oidAttrOrganizationalUnit.String():  "OrganizationalUnit",
	oidAttrDNQualifier.String():         "DistinguishedNameQualifier",
	oidAttrState.String():               "State",
	oidAttrCommonName.String():          "CommonName",
	oidAttrSerialNumber.String():        "SerialNumber",
	oidAttrLocality.String():            "Locality",
	oidAttrTitle.String():               "Title",
	oidAttrSurname.String():             "Surname",
	oidAttrGivenName.String():           "GivenName",
	oidAttrInitials.String():            "Initials",
	oidAttrPseudonym.String():           "Pseudonym",
	oidAttrGenerationQualifier.String(): "GenerationQualifier",
	oidAttrEmailAddress.String():        "emailAddress",
	"0.9.2342.19200300.100.1.25":        "domainComponent",
}

// oidAttrEmailAddress is PKCS #9 emailAddress, an IA5String that RFC 5280
// section 4.1.2.6 still lets a subject carry.
var oidAttrEmailAddress = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}

func attrName(oid asn1.ObjectIdentifier) string {
	if n, ok := attrNames[oid.String()]; ok {
		return n
	}
	return oid.String()
}

// checkRDNSequence checks the attribute values of a DER distinguished name
// (a subject, or a directoryName): every value that is a string must be
// neither empty nor only whitespace nor hold a control character, and an
// emailAddress must be an email address. what prefixes messages ("subject").
func checkRDNSequence(what string, der []byte) error {
	var rdns []asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &rdns); err != nil || len(rest) != 0 {
		return argErrorf("the %s is not a valid distinguished name", what)
	}
	for _, rdn := range rdns {
		var atvs []struct {
			Type  asn1.ObjectIdentifier
			Value asn1.RawValue
		}
		if rest, err := asn1.UnmarshalWithParams(rdn.FullBytes, &atvs, "set"); err != nil || len(rest) != 0 {
			return argErrorf("the %s is not a valid distinguished name", what)
		}
		for _, atv := range atvs {
			field := what + " " + attrName(atv.Type)
			s, ok := decodeString(atv.Value)
			if !ok {
				if err := checkDERStrings(field, atv.Value.FullBytes); err != nil {
					return err
				}
				continue
			}
			if atv.Type.Equal(oidAttrEmailAddress) {
				if err := checkRFC822Name(field, s); err != nil {
					return err
				}
			} else if d := textDefect(s); d != "" {
				return malformedf("%s %q %s", field, s, d)
			}
		}
	}
	return nil
}

// checkDERStrings walks a DER value and checks every string inside it, for
// the GeneralName choices whose strings sit in structures (otherName,
// ediPartyName).
func checkDERStrings(field string, der []byte) error {
	for len(der) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(der, &v)
		if err != nil {
			return argErrorf("%s is not valid DER", field)
		}
		der = rest
		if s, ok := decodeString(v); ok {
			if d := textDefect(s); d != "" {
				return malformedf("%s %q %s", field, s, d)
			}
		} else if v.IsCompound {
			if err := checkDERStrings(field, v.Bytes); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeString returns the text of a universal string type. Types whose
// character set is a subset of ASCII or Latin-1 are read byte by byte, so
// a control byte shows as a control character.
func decodeString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String:
		if !utf8.Valid(v.Bytes) {
			return string([]rune{utf8.RuneError}), true
		}
		return string(v.Bytes), true
	case asn1.TagNumericString, asn1.TagPrintableString, asn1.TagT61String, 21, // VideotexString
		asn1.TagIA5String, 25, 26, 27: // GraphicString, VisibleString, GeneralString
		r := make([]rune, len(v.Bytes))
		for i, b := range v.Bytes {
			r[i] = rune(b)
		}
		return string(r), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return string([]rune{utf8.RuneError}), true
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), true
	case 28: // UniversalString, UCS-4
		if len(v.Bytes)%4 != 0 {
			return string([]rune{utf8.RuneError}), true
		}
		r := make([]rune, len(v.Bytes)/4)
		for i := range r {
			b := v.Bytes[4*i:]
			r[i] = rune(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
		}
		return string(r), true
	}
	return "", false
}

// checkSAN checks every entry of a DER GeneralNames (a subject alternative
// name extension's value) with the rules above.
func checkSAN(der []byte) error {
	var names []asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &names); err != nil || len(rest) != 0 {
		return argErrorf("the subject alternative name extension is malformed")
	}
	for i, n := range names {
		if err := checkGeneralName(n); err != nil {
			return prefixed(err, "subject alternative name %d: ", i)
		}
	}
	return nil
}

// checkGeneralName checks one DER GeneralName.
func checkGeneralName(n asn1.RawValue) error {
	if n.Class != asn1.ClassContextSpecific {
		return argErrorf("not a GeneralName")
	}
	switch n.Tag {
	case tagRFC822Name:
		return checkIA5("Rfc822Name", n.Bytes, checkRFC822Name)
	case tagDNSName:
		return checkIA5("DnsName", n.Bytes, checkDNSName)
	case tagURI:
		return checkIA5("UniformResourceIdentifier", n.Bytes, checkURI)
	case tagIPAddress:
		if len(n.Bytes) != 4 && len(n.Bytes) != 16 {
			return malformedf("IpAddress has %d bytes; an IPv4 address has 4 and an IPv6 address 16", len(n.Bytes))
		}
	case tagDirectoryName:
		return checkRDNSequence("DirectoryName", n.Bytes)
	case tagOtherName:
		return checkDERStrings("OtherName", n.Bytes)
	case tagEdiPartyName:
		return checkDERStrings("EdiPartyName", n.Bytes)
	}
	return nil
}

// checkIA5 applies check to an IA5String's text, refusing bytes beyond ASCII.
func checkIA5(field string, b []byte, check func(field, s string) error) error {
	if !isIA5(string(b)) {
		return argErrorf("%s %q is not an IA5String", field, b)
	}
	return check(field, string(b))
}

// prefixed prepends to the message of an *ArgError or *MalformedError.
func prefixed(err error, format string, args ...any) error {
	switch e := err.(type) {
	case *ArgError:
		return argErrorf(format+"%s", append(args, e.Msg)...)
	case *MalformedError:
		return malformedf(format+"%s", append(args, e.Msg)...)
	}
	return err
}
