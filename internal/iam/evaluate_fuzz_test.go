package iam

import (
	"slices"
	"strings"
	"testing"
)

// FuzzEvaluate evaluates a fuzzed policy against a fuzzed request. The
// effect of a policy is that of its statements taken one at a time (a Deny
// wins, then an Allow), so it does not depend on their order; condition keys
// match whatever their case; and Authorize with the policy as the caller's
// only identity policy, in the caller's own account, allows exactly what
// Evaluate allows (or, for the account's root, what it does not deny).
func FuzzEvaluate(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"acm-pca:Issue*","Resource":"*","Condition":{"StringLike":{"acm-pca:TemplateArn":"arn:aws:acm-pca:::template/EndEntity*"}}}}`,
		issue, caARN, alice, account, "acm-pca:TemplateArn", "arn:aws:acm-pca:::template/EndEntityCertificate/V1")
	f.Add(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":"acm-pca:Get*","Resource":"arn:aws:acm-pca:*:*:certificate-authority/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
		"acm-pca:RevokeCertificate", caARN, alice, "", "aws:SecureTransport", "false")
	f.Add(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"acm-pca:*","NotResource":"arn:aws:s3:::*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]},"NumericLessThanIfExists":{"n":"10"},"Null":{"x":"true"}}}]}`,
		issue, "*", "arn:aws:iam::111122223333:root", account, "aws:TagKeys", "a")
	f.Add(`{"Statement":[{"Effect":"Deny","NotPrincipal":{"Service":"acm.amazonaws.com"},"Action":"acm-pca:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceAccount":"111122223333"}}}]}`,
		"acm-pca:GetCertificate", caARN, "acm.amazonaws.com", "", "aws:SourceAccount", other)
	f.Fuzz(func(t *testing.T, doc, action, resource, principal, acct, key, value string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		r := &Request{Action: action, Resource: resource, Principal: principal, Account: acct}
		if key != "" {
			r.Context = map[string][]string{key: {value}}
		}
		e := p.Evaluate(r)
		if again := p.Evaluate(r); again != e {
			t.Fatalf("Evaluate = %d, then %d", e, again)
		}
		want := NotApplicable
		for _, s := range p.Statements {
			one := &Policy{Version: p.Version, Statements: []Statement{s}}
			switch one.Evaluate(r) {
			case Deny:
				want = Deny
			case Allow:
				if want == NotApplicable {
					want = Allow
				}
			}
		}
		if e != want {
			t.Fatalf("Evaluate = %d, statement by statement %d", e, want)
		}
		rev := &Policy{Version: p.Version, ID: p.ID, Statements: slices.Clone(p.Statements)}
		slices.Reverse(rev.Statements)
		if got := rev.Evaluate(r); got != e {
			t.Fatalf("Evaluate = %d, with the statements reversed %d", e, got)
		}
		if key != "" {
			for _, k := range []string{strings.ToUpper(key), strings.ToLower(key)} {
				r2 := *r
				r2.Context = map[string][]string{k: {value}}
				if got := p.Evaluate(&r2); got != e {
					t.Fatalf("condition key %q: %d, as %q: %d", key, e, k, got)
				}
			}
		}
		own := newCaller(r).account
		if d := Authorize(r, []*Policy{p}, nil, own, false); d.Allowed != (e == Allow) || d.Allowed != (d.Reason == "") {
			t.Fatalf("Evaluate = %d, Authorize = %+v", e, d)
		}
		if d := Authorize(r, []*Policy{p}, nil, own, true); d.Allowed != (e != Deny) {
			t.Fatalf("root: Evaluate = %d, Authorize = %+v", e, d)
		}
		if d := Authorize(r, nil, p, own, false); d.Allowed != (e == Allow) {
			t.Fatalf("resource policy: Evaluate = %d, Authorize = %+v", e, d)
		}
	})
}
