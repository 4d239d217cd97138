package iam

import "strings"

// caller is a Request prepared for evaluation: the caller's account and
// partition worked out once, and the condition context keyed in lower
// case with the derived aws:Principal* keys added.
type caller struct {
	*Request
	principal string
	account   string
	partition string
	ctx       map[string][]string
	// principalARN is aws:PrincipalArn when it differs from the caller's
	// ARN: a role session's role, which policies naming the role match.
	principalARN string
	// direct disables matching the caller through its account's root, to
	// tell whether a policy names the caller itself.
	direct bool
}

func newCaller(r *Request) *caller {
	c := &caller{Request: r, principal: r.Principal, account: r.Account}
	if f := strings.SplitN(r.Principal, ":", 6); len(f) == 6 && f[0] == "arn" {
		c.partition = f[1]
		if c.account == "" {
			c.account = f[4]
		}
	}
	c.ctx = make(map[string][]string, len(r.Context)+2)
	for k, v := range r.Context {
		k = strings.ToLower(k)
		c.ctx[k] = append(c.ctx[k], v...)
	}
	if _, ok := c.ctx["aws:principalarn"]; !ok && c.principal != "" {
		c.ctx["aws:principalarn"] = []string{c.principal}
	}
	if _, ok := c.ctx["aws:principalaccount"]; !ok && c.account != "" {
		c.ctx["aws:principalaccount"] = []string{c.account}
	}
	if v := c.ctx["aws:principalarn"]; len(v) == 1 && v[0] != c.principal {
		c.principalARN = v[0]
	}
	return c
}

func (p *Policy) evaluate(c *caller) Effect {
	if p == nil {
		return NotApplicable
	}
	effect := NotApplicable
	for i := range p.Statements {
		s := &p.Statements[i]
		if !s.matches(c) {
			continue
		}
		switch s.Effect {
		case "Deny":
			return Deny
		case "Allow":
			effect = Allow
		}
	}
	return effect
}

// matches reports whether every element of s applies to the caller's
// request. A statement with neither Action nor NotAction, or neither
// Resource nor NotResource (possible only when built by hand), matches
// nothing.
func (s *Statement) matches(c *caller) bool {
	if s.Effect != "Allow" && s.Effect != "Deny" {
		return false
	}
	switch {
	case s.Principal != nil:
		if !principalMatches(s.Principal, c) {
			return false
		}
	case s.NotPrincipal != nil:
		if principalMatches(s.NotPrincipal, c) {
			return false
		}
	}
	switch {
	case s.Action != nil:
		if !actionMatches(s.Action, c.Action) {
			return false
		}
	case s.NotAction != nil:
		if actionMatches(s.NotAction, c.Action) {
			return false
		}
	default:
		return false
	}
	switch {
	case s.Resource != nil:
		if !resourceMatches(s.Resource, c.Resource) {
			return false
		}
	case s.NotResource != nil:
		if resourceMatches(s.NotResource, c.Resource) {
			return false
		}
	default:
		return false
	}
	return conditionsHold(s.Condition, c.ctx, s.Effect == "Deny")
}

func authorize(r *Request, identity []*Policy, resource *Policy, resourceAccount string, rootOfAccount bool) Decision {
	c := newCaller(r)
	idAllow := false
	for _, p := range identity {
		switch p.evaluate(c) {
		case Deny:
			return Decision{Reason: "with an explicit deny in an identity-based policy"}
		case Allow:
			idAllow = true
		}
	}
	resEffect := resource.evaluate(c)
	if resEffect == Deny {
		return Decision{Reason: "with an explicit deny in a resource-based policy"}
	}
	resAllow := resEffect == Allow
	// The root user's identity side allows everything in its own account.
	idAllow = idAllow || rootOfAccount
	// With no resource account and no resource policy (an action on no
	// resource), only the caller's own account is involved.
	if resourceAccount == c.account || (resourceAccount == "" && resource == nil) {
		if idAllow || resAllow {
			return Decision{Allowed: true}
		}
		return Decision{Reason: "no identity-based policy allows the " + r.Action + " action"}
	}
	if !resAllow {
		return Decision{Reason: "no resource-based policy allows the " + r.Action + " action"}
	}
	if !idAllow {
		return Decision{Reason: "no identity-based policy allows the " + r.Action + " action"}
	}
	return Decision{Allowed: true}
}

func authorizeTrust(r *Request, trust *Policy, identity, session []*Policy, rootOfAccount bool, roleAccount string) bool {
	c := newCaller(r)
	idAllow, sessionAllow := rootOfAccount, session == nil
	for _, p := range identity {
		switch p.evaluate(c) {
		case Deny:
			return false
		case Allow:
			idAllow = true
		}
	}
	for _, p := range session {
		switch p.evaluate(c) {
		case Deny:
			return false
		case Allow:
			sessionAllow = true
		}
	}
	if trust.evaluate(c) != Allow || !sessionAllow {
		return false
	}
	if roleAccount == c.account {
		direct := *c
		direct.direct = true
		if trust.evaluate(&direct) == Allow {
			return true
		}
	}
	return idAllow
}

func authorizeSession(r *Request, identity, session []*Policy, resource *Policy, resourceAccount string, rootOfAccount bool) Decision {
	d := authorize(r, identity, resource, resourceAccount, rootOfAccount)
	if !d.Allowed || session == nil {
		return d
	}
	c := newCaller(r)
	allowed := false
	for _, p := range session {
		switch p.evaluate(c) {
		case Deny:
			return Decision{Reason: "with an explicit deny in a session policy"}
		case Allow:
			allowed = true
		}
	}
	if !allowed {
		return Decision{Reason: "no session policy allows the " + r.Action + " action"}
	}
	return d
}
