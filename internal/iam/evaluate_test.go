package iam

import (
	"strings"
	"testing"
)

const (
	alice   = "arn:aws:iam::111122223333:user/alice"
	caARN   = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/ca1"
	issue   = "acm-pca:IssueCertificate"
	account = "111122223333"
	other   = "444455556666"
)

func baseRequest() *Request {
	return &Request{Action: issue, Resource: caARN, Principal: alice, Account: account}
}

// allow builds a one-statement Allow policy from statement members; an
// Action and a Resource default to issue and "*".
func allow(members string) string {
	if !strings.Contains(members, "Action\"") {
		members += `, "Action": "` + issue + `"`
	}
	if !strings.Contains(members, "Resource\"") {
		members += `, "Resource": "*"`
	}
	return `{"Version": "2012-10-17", "Statement": {"Effect": "Allow"` + members + `}}`
}

// when adds a Condition block to an Allow of issue on any resource.
func when(cond string) string { return allow(`, "Condition": ` + cond) }

func TestEvaluate(t *testing.T) {
	ctx := func(kv ...string) func(*Request) {
		return func(r *Request) {
			r.Context = map[string][]string{}
			for i := 0; i < len(kv); i += 2 {
				r.Context[kv[i]] = append(r.Context[kv[i]], kv[i+1])
			}
		}
	}
	multi := func(k string, v ...string) func(*Request) {
		return func(r *Request) { r.Context = map[string][]string{k: v} }
	}
	action := func(a string) func(*Request) { return func(r *Request) { r.Action = a } }
	resource := func(a string) func(*Request) { return func(r *Request) { r.Resource = a } }
	principal := func(p, acct string) func(*Request) {
		return func(r *Request) { r.Principal, r.Account = p, acct }
	}
	tests := []struct {
		name   string
		policy string
		req    func(*Request)
		want   Effect
	}{
		// Action.
		{"action string", allow(``), nil, Allow},
		{"action other", allow(`, "Action": "acm-pca:RevokeCertificate"`), nil, NotApplicable},
		{"action array", allow(`, "Action": ["acm-pca:RevokeCertificate", "acm-pca:IssueCertificate"]`), nil, Allow},
		{"action case-insensitive", allow(`, "Action": "acm-pca:issuecertificate"`), nil, Allow},
		{"request action case-insensitive", allow(``), action("ACM-PCA:ISSUECERTIFICATE"), Allow},
		{"action star", allow(`, "Action": "*"`), nil, Allow},
		{"action service star", allow(`, "Action": "acm-pca:*"`), nil, Allow},
		{"action prefix star", allow(`, "Action": "acm-pca:Issue*"`), nil, Allow},
		{"action inner star", allow(`, "Action": "acm-pca:I*Certificate"`), nil, Allow},
		{"action question mark", allow(`, "Action": "acm-pca:Issue?ertificate"`), nil, Allow},
		{"action question mark is one character", allow(`, "Action": "acm-pca:Issue?"`), nil, NotApplicable},
		{"action other service", allow(`, "Action": "s3:*"`), nil, NotApplicable},
		{"action star does not cross service", allow(`, "Action": "acm:*"`), nil, NotApplicable},
		{"not action excludes others", allow(`, "NotAction": "acm-pca:Revoke*"`), nil, Allow},
		{"not action excludes this", allow(`, "NotAction": ["s3:*", "acm-pca:Issue*"]`), nil, NotApplicable},

		// Resource.
		{"resource exact", allow(`, "Resource": "` + caARN + `"`), nil, Allow},
		{"resource star", allow(`, "Resource": "*"`), nil, Allow},
		{"resource array", allow(`, "Resource": ["arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/ca2", "` + caARN + `"]`), nil, Allow},
		{"resource case-sensitive", allow(`, "Resource": "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/CA1"`), nil, NotApplicable},
		{"resource trailing star", allow(`, "Resource": "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/*"`), nil, Allow},
		{"resource star per part", allow(`, "Resource": "arn:aws:acm-pca:*:*:certificate-authority/ca?"`), nil, Allow},
		{"resource star in region only", allow(`, "Resource": "arn:aws:acm-pca:*:444455556666:*"`), nil, NotApplicable},
		{"resource short pattern", allow(`, "Resource": "arn:aws:acm-pca:*"`), nil, Allow},
		{"resource other CA", allow(`, "Resource": "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/ca2"`), nil, NotApplicable},
		{"no-resource request matches star", allow(``), resource("*"), Allow},
		{"no-resource request misses ARN", allow(`, "Resource": "arn:aws:acm-pca:*:*:*"`), resource("*"), NotApplicable},
		{"not resource excludes others", allow(`, "NotResource": "arn:aws:acm-pca:*:*:certificate-authority/ca2"`), nil, Allow},
		{"not resource excludes this", allow(`, "NotResource": "arn:aws:acm-pca:*:*:certificate-authority/*"`), nil, NotApplicable},

		// Principal and NotPrincipal.
		{"principal star", allow(`, "Principal": "*"`), nil, Allow},
		{"principal AWS star", allow(`, "Principal": {"AWS": "*"}`), nil, Allow},
		{"principal bare account", allow(`, "Principal": {"AWS": "111122223333"}`), nil, Allow},
		{"principal account root", allow(`, "Principal": {"AWS": "arn:aws:iam::111122223333:root"}`), nil, Allow},
		{"principal other account", allow(`, "Principal": {"AWS": "444455556666"}`), nil, NotApplicable},
		{"principal account from ARN", allow(`, "Principal": {"AWS": "111122223333"}`), principal(alice, ""), Allow},
		{"principal root other partition", allow(`, "Principal": {"AWS": "arn:aws:iam::111122223333:root"}`),
			principal("arn:aws-cn:iam::111122223333:user/alice", account), NotApplicable},
		{"principal exact ARN", allow(`, "Principal": {"AWS": "` + alice + `"}`), nil, Allow},
		{"principal other user", allow(`, "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"}`), nil, NotApplicable},
		{"principal ARN case-sensitive", allow(`, "Principal": {"AWS": "arn:aws:iam::111122223333:user/Alice"}`), nil, NotApplicable},
		{"principal array", allow(`, "Principal": {"AWS": ["444455556666", "` + alice + `"]}`), nil, Allow},
		{"principal root is the root", allow(`, "Principal": {"AWS": "111122223333"}`),
			principal("arn:aws:iam::111122223333:root", account), Allow},
		{"principal service", allow(`, "Principal": {"Service": "acm.amazonaws.com"}`), principal("acm.amazonaws.com", ""), Allow},
		{"principal service not user", allow(`, "Principal": {"Service": "acm.amazonaws.com"}`), nil, NotApplicable},
		{"principal federated", allow(`, "Principal": {"Federated": "accounts.google.com"}`), principal("accounts.google.com", ""), Allow},
		{"not principal others", allow(`, "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/bob"}`), nil, Allow},
		{"not principal this", allow(`, "NotPrincipal": {"AWS": "` + alice + `"}`), nil, NotApplicable},
		{"not principal account", allow(`, "NotPrincipal": {"AWS": "111122223333"}`), nil, NotApplicable},
		{"not principal other account", allow(`, "NotPrincipal": {"AWS": "444455556666"}`), nil, Allow},

		// Effects within one policy.
		{"deny wins after allow", `{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
			{"Effect": "Deny", "Action": "acm-pca:Issue*", "Resource": "*"}]}`, nil, Deny},
		{"deny wins before allow", `{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"},
			{"Effect": "Allow", "Action": "*", "Resource": "*"}]}`, nil, Deny},
		{"deny elsewhere", `{"Statement": [{"Effect": "Deny", "Action": "acm-pca:Revoke*", "Resource": "*"},
			{"Effect": "Allow", "Action": "*", "Resource": "*"}]}`, nil, Allow},
		{"deny alone", `{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}`, nil, Deny},
		{"nothing matches", `{"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}}`, nil, NotApplicable},
		{"deny whose condition fails", `{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
			{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}`,
			ctx("aws:SecureTransport", "true"), Allow},

		// Condition blocks: values OR'd, keys and operators AND'd, keys case-insensitive.
		{"StringEquals match", when(`{"StringEquals": {"acm-pca:TemplateArn": "t1"}}`), ctx("acm-pca:TemplateArn", "t1"), Allow},
		{"StringEquals mismatch", when(`{"StringEquals": {"acm-pca:TemplateArn": "t1"}}`), ctx("acm-pca:TemplateArn", "t2"), NotApplicable},
		{"StringEquals case-sensitive value", when(`{"StringEquals": {"k": "abc"}}`), ctx("k", "ABC"), NotApplicable},
		{"StringEquals missing", when(`{"StringEquals": {"k": "v"}}`), nil, NotApplicable},
		{"StringEquals empty value list is missing", when(`{"StringEquals": {"k": "v"}}`), multi("k"), NotApplicable},
		{"values are OR'd", when(`{"StringEquals": {"k": ["a", "b", "c"]}}`), ctx("k", "b"), Allow},
		{"keys are AND'd", when(`{"StringEquals": {"a": "1", "b": "2"}}`), ctx("a", "1", "b", "3"), NotApplicable},
		{"keys all hold", when(`{"StringEquals": {"a": "1", "b": "2"}}`), ctx("a", "1", "b", "2"), Allow},
		{"operators are AND'd", when(`{"StringEquals": {"a": "1"}, "StringLike": {"b": "x*"}}`), ctx("a", "1", "b", "y"), NotApplicable},
		{"operators all hold", when(`{"StringEquals": {"a": "1"}, "StringLike": {"b": "x*"}}`), ctx("a", "1", "b", "xy"), Allow},
		{"policy key case-insensitive", when(`{"StringEquals": {"ACM-PCA:templatearn": "t1"}}`), ctx("acm-pca:TemplateArn", "t1"), Allow},
		{"context key case-insensitive", when(`{"StringEquals": {"acm-pca:TemplateArn": "t1"}}`), ctx("ACM-PCA:TEMPLATEARN", "t1"), Allow},
		{"single operator, multi-valued key, one matches", when(`{"StringEquals": {"k": "b"}}`), multi("k", "a", "b"), Allow},

		{"StringNotEquals differs", when(`{"StringNotEquals": {"k": "v"}}`), ctx("k", "w"), Allow},
		{"StringNotEquals equal", when(`{"StringNotEquals": {"k": ["u", "v"]}}`), ctx("k", "v"), NotApplicable},
		{"StringNotEquals missing", when(`{"StringNotEquals": {"k": "v"}}`), nil, Allow},
		{"StringNotEquals multi-valued key, one equal", when(`{"StringNotEquals": {"k": "b"}}`), multi("k", "a", "b"), NotApplicable},
		{"StringEqualsIgnoreCase", when(`{"StringEqualsIgnoreCase": {"k": "abc"}}`), ctx("k", "AbC"), Allow},
		{"StringEqualsIgnoreCase mismatch", when(`{"StringEqualsIgnoreCase": {"k": "abc"}}`), ctx("k", "abd"), NotApplicable},
		{"StringNotEqualsIgnoreCase equal", when(`{"StringNotEqualsIgnoreCase": {"k": "abc"}}`), ctx("k", "ABC"), NotApplicable},
		{"StringNotEqualsIgnoreCase differs", when(`{"StringNotEqualsIgnoreCase": {"k": "abc"}}`), ctx("k", "xyz"), Allow},
		{"StringNotEqualsIgnoreCase missing", when(`{"StringNotEqualsIgnoreCase": {"k": "abc"}}`), nil, Allow},
		{"StringLike star", when(`{"StringLike": {"k": "team-*"}}`), ctx("k", "team-blue"), Allow},
		{"StringLike question mark", when(`{"StringLike": {"k": "v?"}}`), ctx("k", "v2"), Allow},
		{"StringLike case-sensitive", when(`{"StringLike": {"k": "team-*"}}`), ctx("k", "Team-blue"), NotApplicable},
		{"StringLike missing", when(`{"StringLike": {"k": "*"}}`), nil, NotApplicable},
		{"StringNotLike matches", when(`{"StringNotLike": {"k": "team-*"}}`), ctx("k", "team-red"), NotApplicable},
		{"StringNotLike differs", when(`{"StringNotLike": {"k": "team-*"}}`), ctx("k", "ops"), Allow},
		{"StringNotLike missing", when(`{"StringNotLike": {"k": "team-*"}}`), nil, Allow},

		{"ArnEquals", when(`{"ArnEquals": {"aws:SourceArn": "` + caARN + `"}}`), ctx("aws:SourceArn", caARN), Allow},
		{"ArnEquals wildcard", when(`{"ArnEquals": {"aws:SourceArn": "arn:aws:acm-pca:*:111122223333:*"}}`), ctx("aws:SourceArn", caARN), Allow},
		{"ArnLike", when(`{"ArnLike": {"aws:SourceArn": "arn:aws:acm-pca:us-east-1:*:certificate-authority/*"}}`), ctx("aws:SourceArn", caARN), Allow},
		{"ArnLike part-wise", when(`{"ArnLike": {"aws:SourceArn": "arn:aws:acm-pca:*:444455556666:*"}}`), ctx("aws:SourceArn", caARN), NotApplicable},
		{"ArnLike case-sensitive", when(`{"ArnLike": {"aws:SourceArn": "arn:aws:ACM-PCA:*"}}`), ctx("aws:SourceArn", caARN), NotApplicable},
		{"ArnLike missing", when(`{"ArnLike": {"aws:SourceArn": "*"}}`), nil, NotApplicable},
		{"ArnNotEquals equal", when(`{"ArnNotEquals": {"aws:SourceArn": "` + caARN + `"}}`), ctx("aws:SourceArn", caARN), NotApplicable},
		{"ArnNotEquals missing", when(`{"ArnNotEquals": {"aws:SourceArn": "` + caARN + `"}}`), nil, Allow},
		{"ArnNotLike differs", when(`{"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::*"}}`), ctx("aws:SourceArn", caARN), Allow},
		{"ArnNotLike matches", when(`{"ArnNotLike": {"aws:SourceArn": "arn:aws:acm-pca:*"}}`), ctx("aws:SourceArn", caARN), NotApplicable},

		{"Bool string", when(`{"Bool": {"aws:SecureTransport": "true"}}`), ctx("aws:SecureTransport", "true"), Allow},
		{"Bool JSON boolean", when(`{"Bool": {"aws:SecureTransport": true}}`), ctx("aws:SecureTransport", "true"), Allow},
		{"Bool case-insensitive", when(`{"Bool": {"aws:SecureTransport": "TRUE"}}`), ctx("aws:SecureTransport", "True"), Allow},
		{"Bool mismatch", when(`{"Bool": {"aws:SecureTransport": false}}`), ctx("aws:SecureTransport", "true"), NotApplicable},
		{"Bool missing", when(`{"Bool": {"aws:SecureTransport": true}}`), nil, NotApplicable},
		{"BoolIfExists missing", when(`{"BoolIfExists": {"aws:MultiFactorAuthPresent": true}}`), nil, Allow},
		{"BoolIfExists present false", when(`{"BoolIfExists": {"aws:MultiFactorAuthPresent": true}}`), ctx("aws:MultiFactorAuthPresent", "false"), NotApplicable},

		{"Null true, missing", when(`{"Null": {"k": "true"}}`), nil, Allow},
		{"Null true, present", when(`{"Null": {"k": "true"}}`), ctx("k", "v"), NotApplicable},
		{"Null true, empty", when(`{"Null": {"k": true}}`), multi("k"), Allow},
		{"Null false, present", when(`{"Null": {"k": false}}`), ctx("k", "v"), Allow},
		{"Null false, missing", when(`{"Null": {"k": "false"}}`), nil, NotApplicable},
		{"Null either", when(`{"Null": {"k": ["true", "false"]}}`), ctx("k", "v"), Allow},

		{"NumericEquals", when(`{"NumericEquals": {"n": 5}}`), ctx("n", "5.0"), Allow},
		{"NumericEquals string value", when(`{"NumericEquals": {"n": "5"}}`), ctx("n", "5"), Allow},
		{"NumericEquals mismatch", when(`{"NumericEquals": {"n": 5}}`), ctx("n", "6"), NotApplicable},
		{"NumericEquals not a number", when(`{"NumericEquals": {"n": 5}}`), ctx("n", "five"), NotApplicable},
		{"NumericEquals missing", when(`{"NumericEquals": {"n": 5}}`), nil, NotApplicable},
		{"NumericNotEquals differs", when(`{"NumericNotEquals": {"n": 5}}`), ctx("n", "6"), Allow},
		{"NumericNotEquals equal", when(`{"NumericNotEquals": {"n": [4, 5]}}`), ctx("n", "5"), NotApplicable},
		{"NumericNotEquals missing", when(`{"NumericNotEquals": {"n": 5}}`), nil, Allow},
		{"NumericLessThan", when(`{"NumericLessThan": {"n": 10}}`), ctx("n", "9.5"), Allow},
		{"NumericLessThan equal", when(`{"NumericLessThan": {"n": 10}}`), ctx("n", "10"), NotApplicable},
		{"NumericLessThanEquals equal", when(`{"NumericLessThanEquals": {"n": 10}}`), ctx("n", "10"), Allow},
		{"NumericLessThanEquals greater", when(`{"NumericLessThanEquals": {"n": 10}}`), ctx("n", "11"), NotApplicable},
		{"NumericGreaterThan", when(`{"NumericGreaterThan": {"n": -1}}`), ctx("n", "0"), Allow},
		{"NumericGreaterThan equal", when(`{"NumericGreaterThan": {"n": 3}}`), ctx("n", "3"), NotApplicable},
		{"NumericGreaterThanEquals equal", when(`{"NumericGreaterThanEquals": {"n": 3}}`), ctx("n", "3"), Allow},
		{"NumericGreaterThanEquals less", when(`{"NumericGreaterThanEquals": {"n": 3}}`), ctx("n", "2"), NotApplicable},
		{"NumericLessThanIfExists missing", when(`{"NumericLessThanIfExists": {"n": 3}}`), nil, Allow},

		// IfExists.
		{"StringEqualsIfExists missing", when(`{"StringEqualsIfExists": {"k": "v"}}`), nil, Allow},
		{"StringEqualsIfExists match", when(`{"StringEqualsIfExists": {"k": "v"}}`), ctx("k", "v"), Allow},
		{"StringEqualsIfExists mismatch", when(`{"StringEqualsIfExists": {"k": "v"}}`), ctx("k", "w"), NotApplicable},
		{"StringNotEqualsIfExists missing", when(`{"StringNotEqualsIfExists": {"k": "v"}}`), nil, Allow},
		{"StringNotEqualsIfExists equal", when(`{"StringNotEqualsIfExists": {"k": "v"}}`), ctx("k", "v"), NotApplicable},
		{"ArnLikeIfExists missing", when(`{"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:s3:::*"}}`), nil, Allow},

		// Set qualifiers.
		{"ForAnyValue one matches", when(`{"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}`), multi("tags", "x", "b"), Allow},
		{"ForAnyValue none match", when(`{"ForAnyValue:StringEquals": {"tags": ["a", "b"]}}`), multi("tags", "x", "y"), NotApplicable},
		{"ForAnyValue missing", when(`{"ForAnyValue:StringEquals": {"tags": "a"}}`), nil, NotApplicable},
		{"ForAnyValue empty", when(`{"ForAnyValue:StringEquals": {"tags": "a"}}`), multi("tags"), NotApplicable},
		{"ForAnyValue negated missing", when(`{"ForAnyValue:StringNotEquals": {"tags": "a"}}`), nil, NotApplicable},
		{"ForAnyValue negated, one outside", when(`{"ForAnyValue:StringNotEquals": {"tags": ["a", "b"]}}`), multi("tags", "a", "z"), Allow},
		{"ForAnyValue negated, all inside", when(`{"ForAnyValue:StringNotEquals": {"tags": ["a", "b"]}}`), multi("tags", "a", "b"), NotApplicable},
		{"ForAnyValue IfExists missing", when(`{"ForAnyValue:StringEqualsIfExists": {"tags": "a"}}`), nil, Allow},
		{"ForAnyValue StringLike", when(`{"ForAnyValue:StringLike": {"tags": "env-*"}}`), multi("tags", "x", "env-prod"), Allow},
		{"ForAllValues all inside", when(`{"ForAllValues:StringEquals": {"tags": ["a", "b", "c"]}}`), multi("tags", "a", "c"), Allow},
		{"ForAllValues one outside", when(`{"ForAllValues:StringEquals": {"tags": ["a", "b"]}}`), multi("tags", "a", "z"), NotApplicable},
		{"ForAllValues missing", when(`{"ForAllValues:StringEquals": {"tags": "a"}}`), nil, Allow},
		{"ForAllValues empty", when(`{"ForAllValues:StringEquals": {"tags": "a"}}`), multi("tags"), Allow},
		{"ForAllValues negated, none inside", when(`{"ForAllValues:StringNotEquals": {"tags": ["a", "b"]}}`), multi("tags", "x", "y"), Allow},
		{"ForAllValues negated, one inside", when(`{"ForAllValues:StringNotEquals": {"tags": ["a", "b"]}}`), multi("tags", "x", "b"), NotApplicable},
		{"ForAllValues ignore case", when(`{"ForAllValues:StringEqualsIgnoreCase": {"tags": ["a", "b"]}}`), multi("tags", "A", "B"), Allow},
		{"ForAllValues numeric", when(`{"ForAllValues:NumericLessThan": {"n": 10}}`), multi("n", "1", "9"), Allow},
		{"ForAllValues numeric one over", when(`{"ForAllValues:NumericLessThan": {"n": 10}}`), multi("n", "1", "19"), NotApplicable},

		// Derived context keys.
		{"aws:PrincipalAccount derived", when(`{"StringEquals": {"aws:PrincipalAccount": "111122223333"}}`), nil, Allow},
		{"aws:PrincipalAccount from principal ARN", when(`{"StringEquals": {"aws:PrincipalAccount": "111122223333"}}`), principal(alice, ""), Allow},
		{"aws:PrincipalArn derived", when(`{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/*"}}`), nil, Allow},
		{"aws:PrincipalArn other", when(`{"StringEquals": {"aws:principalarn": "arn:aws:iam::111122223333:user/bob"}}`), nil, NotApplicable},
		{"context overrides derived key", when(`{"StringEquals": {"aws:PrincipalAccount": "111122223333"}}`), ctx("AWS:PrincipalAccount", other), NotApplicable},
		{"no principal, no derived key", when(`{"Null": {"aws:PrincipalArn": true}}`), principal("", ""), Allow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.policy)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			r := baseRequest()
			if tc.req != nil {
				tc.req(r)
			}
			if got := p.Evaluate(r); got != tc.want {
				t.Fatalf("Evaluate = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestEvaluateHandBuilt covers policies that did not come from Parse.
func TestEvaluateHandBuilt(t *testing.T) {
	var nilPolicy *Policy
	if got := nilPolicy.Evaluate(baseRequest()); got != NotApplicable {
		t.Errorf("nil policy: %v", got)
	}
	badOp := []Condition{{Operator: "DateLessThan", Key: "k", Values: []string{"x"}}}
	tests := []struct {
		name string
		s    Statement
		want Effect
	}{
		{"no action", Statement{Effect: "Allow", Resource: []string{"*"}}, NotApplicable},
		{"no resource", Statement{Effect: "Allow", Action: []string{"*"}}, NotApplicable},
		{"bad effect", Statement{Effect: "allow", Action: []string{"*"}, Resource: []string{"*"}}, NotApplicable},
		{"unknown operator in allow", Statement{Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"}, Condition: badOp}, NotApplicable},
		{"unknown operator in deny", Statement{Effect: "Deny", Action: []string{"*"}, Resource: []string{"*"}, Condition: badOp}, Deny},
		{"star principal key", Statement{Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"}, Principal: map[string][]string{"*": nil}}, Allow},
		{"empty principal map", Statement{Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"}, Principal: map[string][]string{}}, NotApplicable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &Policy{Statements: []Statement{tc.s}}
			if got := p.Evaluate(baseRequest()); got != tc.want {
				t.Fatalf("Evaluate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatchers(t *testing.T) {
	globs := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", true},
		{"a*", "a", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"*a", "bab", false},
		{"?", "é", true},
		{"??", "é", false},
		{"a**", "abc", true},
		{"*x*", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	}
	for _, g := range globs {
		if got := glob(g.pattern, g.s); got != g.want {
			t.Errorf("glob(%q, %q) = %v", g.pattern, g.s, got)
		}
	}
	arns := []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:acm-pca:*:x:y", "arn:aws:acm-pca:us-east-1:a:b:x:y", false}, // a plain glob would match
		{"arn:aws:logs:us-east-1:1:log-group:*", "arn:aws:logs:us-east-1:1:log-group:a:b", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/key", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false},
		{"arn:aws:s3:::*", "*", false},
	}
	for _, a := range arns {
		if got := arnMatch(a.pattern, a.arn); got != a.want {
			t.Errorf("arnMatch(%q, %q) = %v", a.pattern, a.arn, got)
		}
	}
}
