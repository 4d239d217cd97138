// Package iam parses IAM JSON policies and evaluates requests against them
// the way AWS IAM does: an explicit Deny wins, an Allow is needed, and
// everything else is denied by default.
//
// It knows nothing of openpca's storage or protocol: callers parse policy
// documents with Parse and ask Authorize about one request at a time.
//
// Where it knowingly differs from IAM:
//   - Policy variables such as ${aws:username} are not substituted, under
//     either Version; they match only their own literal text.
//   - The condition operators are the String, Arn, Numeric, Bool and Null
//     families, with IfExists and the ForAnyValue:/ForAllValues: set
//     qualifiers. Date, IpAddress and Binary operators are refused by Parse.
//   - A resource policy naming an account's root as Principal matches every
//     principal of that account and, within the account, allows by itself;
//     IAM would still require an identity-based Allow.
//   - A role session is matched by its own ARN and by its role's (its
//     aws:PrincipalArn), as in IAM; session tags and paths are not modelled.
package iam

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one element of a policy's Statement list.
type Statement struct {
	Sid    string
	Effect string // "Allow" or "Deny"
	// Principal and NotPrincipal map a principal type ("AWS", "Service",
	// "*") to its values; both are nil when absent (identity policies).
	Principal    map[string][]string
	NotPrincipal map[string][]string
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Condition    []Condition
}

// Condition is one operator/key pair of a Condition block, e.g.
// {"StringEquals": {"acm-pca:TemplateArn": [...]}}.
type Condition struct {
	Operator string // as written, e.g. "StringLikeIfExists", "ForAnyValue:StringEquals"
	Key      string
	Values   []string
}

// Parse parses and checks a policy document. Its errors say what is wrong
// in words fit for an InvalidPolicyException or an operator.
func Parse(document string) (*Policy, error) {
	return parse(document, false)
}

// ParseTrust parses a role's trust policy: every statement must name a
// Principal (or NotPrincipal) and may leave out Resource, the role itself.
func ParseTrust(document string) (*Policy, error) {
	return parse(document, true)
}

// Request is one call to be authorized.
type Request struct {
	Action    string // e.g. "acm-pca:IssueCertificate"
	Resource  string // the resource ARN, or "*" for actions on no resource
	Principal string // the caller's ARN, e.g. arn:aws:iam::111122223333:user/alice
	Account   string // the caller's account id
	// Context holds the condition keys of the request, such as
	// "acm-pca:TemplateArn"; aws:PrincipalArn and aws:PrincipalAccount are
	// derived from Principal and Account unless given. Keys match
	// case-insensitively. A policy naming the given aws:PrincipalArn (a
	// session's role) as Principal names the caller too.
	Context map[string][]string
	// Federated says Principal is an identity provider's ARN (web
	// identity), which only a Principal of type "Federated" names.
	Federated bool
}

// Effect is what one policy says about a request.
type Effect int

const (
	NotApplicable Effect = iota // no statement matches
	Allow
	Deny
)

// Evaluate returns Deny if a Deny statement matches r, else Allow if an
// Allow statement matches, else NotApplicable. A statement with a
// Principal or NotPrincipal element (a resource policy's) matches only the
// principals it names.
func (p *Policy) Evaluate(r *Request) Effect {
	return p.evaluate(newCaller(r))
}

// Decision is the outcome of Authorize.
type Decision struct {
	Allowed bool
	// Reason completes AWS's refusal message when Allowed is false, e.g.
	// "no identity-based policy allows the acm-pca:IssueCertificate action"
	// or "with an explicit deny in a resource-based policy".
	Reason string
}

// Authorize decides r as IAM does for a caller acting on a resource owned
// by resourceAccount. identity holds the caller's identity policies; a
// nil resource means the resource has no policy. rootOfAccount says the
// caller is its account's root user, whose identity policies allow
// everything in its own account.
//
// An explicit Deny anywhere refuses. Within one account, an Allow in either
// an identity or the resource policy suffices; across accounts both must
// allow.
func Authorize(r *Request, identity []*Policy, resource *Policy, resourceAccount string, rootOfAccount bool) Decision {
	return authorize(r, identity, resource, resourceAccount, rootOfAccount)
}

// Message is AWS's AccessDeniedException text for a refused request.
func (d Decision) Message(r *Request) string {
	return "User: " + r.Principal + " is not authorized to perform: " + r.Action + " on resource: " + r.Resource + " because " + d.Reason
}

// AuthorizeSession is Authorize for a caller whose permissions are also
// limited by session policies (nil: none): the request must be allowed
// as Authorize allows it and by a session policy, and nothing may deny it.
func AuthorizeSession(r *Request, identity, session []*Policy, resource *Policy, resourceAccount string, rootOfAccount bool) Decision {
	return authorizeSession(r, identity, session, resource, resourceAccount, rootOfAccount)
}

// AuthorizeTrust decides whether the caller may assume a role, as IAM
// decides sts:AssumeRole: the role's trust policy must allow the request
// and no policy may deny it. Within the role's account a trust policy
// that names the caller itself (or "*") suffices; one that names only the
// caller's account, and any trust policy of another account, also needs
// an Allow in the caller's identity policies (always there for its
// account's root). session, when not nil, must allow the request too.
func AuthorizeTrust(r *Request, trust *Policy, identity, session []*Policy, rootOfAccount bool, roleAccount string) bool {
	return authorizeTrust(r, trust, identity, session, rootOfAccount, roleAccount)
}
