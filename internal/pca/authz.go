package pca

import (
	"sync"

	"github.com/openpca/openpca/internal/iam"
)

// Authorization follows IAM: every operation is the action
// acm-pca:<OperationName> on the CA's ARN ("*" for CreateCertificateAuthority
// and ListCertificateAuthorities), decided by iam.AuthorizeSession from the caller's
// identity policies (and a role session's session policy) and the CA's
// resource policy. An account's root user is
// allowed everything on its own account's CAs; a caller of another account
// needs both its identity policies and the CA's resource policy to allow.
//
// Each operation authorizes before it changes anything, so a refused call
// has no effect.

// ConditionTemplateArn is the condition key IssueCertificate sets to the
// template ARN in effect.
const ConditionTemplateArn = "acm-pca:TemplateArn"

// authorize returns nil when caller may perform action on resource, owned by
// resourceAccount and carrying the resource policy document policy ("" for
// none), and AccessDenied otherwise.
func (s *Service) authorize(caller Caller, action, resource, resourceAccount, policy string, conditions map[string][]string) error {
	if len(caller.Context) > 0 {
		merged := make(map[string][]string, len(caller.Context)+len(conditions))
		for k, v := range caller.Context {
			merged[k] = v
		}
		for k, v := range conditions {
			merged[k] = v
		}
		conditions = merged
	}
	r := &iam.Request{
		Action:    "acm-pca:" + action,
		Resource:  resource,
		Principal: caller.ARN,
		Account:   caller.Account,
		Context:   conditions,
	}
	d := iam.AuthorizeSession(r, caller.Policies, caller.SessionPolicies, s.policies.parse(policy), resourceAccount, caller.Root)
	if !d.Allowed {
		return &Error{Kind: KindAccessDenied, Message: d.Message(r)}
	}
	return nil
}

// allowed is authorize as a yes or no.
func (s *Service) allowed(caller Caller, action, resource, resourceAccount, policy string, conditions map[string][]string) bool {
	return s.authorize(caller, action, resource, resourceAccount, policy, conditions) == nil
}

// policyCache keeps parsed resource policies by document, so a request
// costs no JSON parse. Documents are checked by PutPolicy before they are
// stored; one that no longer parses counts as no policy.
type policyCache struct {
	mu     sync.RWMutex
	parsed map[string]*iam.Policy
}

// maxCachedPolicies bounds the cache; it starts over when full.
const maxCachedPolicies = 4096

func (c *policyCache) parse(document string) *iam.Policy {
	if document == "" {
		return nil
	}
	c.mu.RLock()
	p, ok := c.parsed[document]
	c.mu.RUnlock()
	if ok {
		return p
	}
	p, err := iam.Parse(document)
	if err != nil {
		p = nil
	}
	c.mu.Lock()
	if c.parsed == nil || len(c.parsed) >= maxCachedPolicies {
		c.parsed = map[string]*iam.Policy{}
	}
	c.parsed[document] = p
	c.mu.Unlock()
	return p
}
