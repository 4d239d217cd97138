package sigv4

import (
	"fmt"
	"strings"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"
)

// Authorization is the parsed form of a SigV4 Authorization header.
type Authorization struct {
	AccessKeyID   string
	Date          string // credential scope date, YYYYMMDD
	Region        string
	Service       string
	SignedHeaders []string
	Signature     string
}

// String formats a as an Authorization header value, the inverse of
// ParseAuthorization.
func (a Authorization) String() string {
	return algorithm + " Credential=" + strings.Join([]string{a.AccessKeyID, a.Date, a.Region, a.Service, terminator}, "/") +
		", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") +
		", Signature=" + a.Signature
}

// ParseAuthorization parses an "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/acm-pca/aws4_request,
// SignedHeaders=a;b, Signature=hex" header. Errors are *Error with code
// IncompleteSignatureException.
func ParseAuthorization(h string) (Authorization, error) {
	// Only blanks: they cannot occur inside a value, so trimming keeps
	// ParseAuthorization(a.String()) == a.
	h = strings.Trim(h, " \t")
	alg, rest, _ := strings.Cut(h, " ")
	if alg != algorithm {
		return Authorization{}, incomplete(fmt.Sprintf("Unsupported AWS 'algorithm': '%s'.", alg))
	}

	// Like AWS, split on commas and blanks alike, so "Credential= AKID/..."
	// is a malformed pair rather than an access key with a leading space.
	params := map[string]string{}
	for _, p := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return Authorization{}, incomplete(fmt.Sprintf("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", p, h))
		}
		switch k {
		case "Credential", "SignedHeaders", "Signature":
		default:
			return Authorization{}, incomplete(fmt.Sprintf("'%s' is not a valid Authorization parameter.", k))
		}
		if _, dup := params[k]; dup {
			return Authorization{}, incomplete(fmt.Sprintf("Authorization header has more than one '%s' parameter.", k))
		}
		params[k] = v
	}

	var missing strings.Builder
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[k] == "" {
			fmt.Fprintf(&missing, "Authorization header requires '%s' parameter. ", k)
		}
	}
	if missing.Len() > 0 {
		return Authorization{}, incomplete(missing.String() + "Authorization=" + h)
	}

	a, err := parseCredential(params["Credential"])
	if err != nil {
		return Authorization{}, err
	}
	a.SignedHeaders = strings.Split(params["SignedHeaders"], ";")
	for _, name := range a.SignedHeaders {
		if name == "" {
			return Authorization{}, incomplete(fmt.Sprintf("SignedHeaders contains an empty header name: '%s'.", params["SignedHeaders"]))
		}
	}
	a.Signature = params["Signature"]
	return a, nil
}

// parseCredential parses "AKID/YYYYMMDD/region/service/aws4_request".
func parseCredential(c string) (Authorization, error) {
	parts := strings.Split(c, "/")
	if len(parts) != 5 {
		return Authorization{}, incomplete(fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", c))
	}
	for _, p := range parts {
		if p == "" {
			return Authorization{}, incomplete(fmt.Sprintf("Credential has an empty element: '%s'", c))
		}
	}
	if parts[4] != terminator {
		return Authorization{}, incomplete(fmt.Sprintf("Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, parts[4]))
	}
	// Reformatting rejects forms time.Parse tolerates but the scope forbids.
	if d, err := time.Parse(scopeDateFormat, parts[1]); err != nil || d.Format(scopeDateFormat) != parts[1] {
		return Authorization{}, incomplete(fmt.Sprintf("Credential date '%s' is not in the format YYYYMMDD.", parts[1]))
	}
	return Authorization{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}
