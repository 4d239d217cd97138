package acmpca

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/openpca/openpca/internal/awsproto"
	"github.com/openpca/openpca/internal/iam"
	"github.com/openpca/openpca/internal/pca"
)

// Preauthorize refuses, before its input is decoded, a call the domain
// would refuse whatever the input holds, with the domain's own words: it
// decides from the caller's identity policies and the CA's ARN (a top-level
// member of the body, read by member) alone. That is the domain's decision
// exactly when no resource policy can change it: for the root user it
// defers (it is allowed everything in its own account), and for the
// actions a resource policy may grant (pca.ShareableActions), which a CA's
// policy can allow within its account by itself. Resource policies hold only
// Allow statements of those actions, so for every other action the CA's
// policy adds nothing, and its absence here changes neither the outcome nor
// the message. nil leaves the call to the operation, which authorizes again.
func Preauthorize(ctx context.Context, operation string, member func(name string) (string, bool)) error {
	c, ok := CallerFrom(ctx)
	if !ok || c.Root {
		return nil
	}
	action := "acm-pca:" + operation
	if slices.ContainsFunc(pca.ShareableActions, func(a string) bool { return strings.EqualFold(a, action) }) {
		return nil
	}
	resource, account := "*", c.Account // CreateCertificateAuthority, ListCertificateAuthorities
	if operation != "CreateCertificateAuthority" && operation != "ListCertificateAuthorities" {
		name := "CertificateAuthorityArn"
		switch operation {
		case "PutPolicy", "GetPolicy", "DeletePolicy":
			name = "ResourceArn"
		}
		arn, ok := member(name)
		if !ok {
			return nil
		}
		if account, ok = caAccount(arn); !ok {
			return nil // the domain answers InvalidArnException
		}
		resource = arn
	}
	r := &iam.Request{Action: action, Resource: resource, Principal: c.ARN, Account: c.Account}
	if d := iam.Authorize(r, c.Policies, nil, account, false); !d.Allowed {
		return awsproto.NewError(awsproto.CodeAccessDenied, d.Message(r))
	}
	return nil
}

var caIDPattern = regexp.MustCompile(`^certificate-authority/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// caAccount returns the account of a CA ARN the domain accepts, the same
// test as the domain's ARN parser, so that an ARN it would call invalid is
// left to it.
func caAccount(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "acm-pca" || len(parts[4]) != 12 || !caIDPattern.MatchString(parts[5]) {
		return "", false
	}
	return parts[4], true
}
