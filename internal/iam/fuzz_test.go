package iam

import "testing"

func FuzzParse(f *testing.F) {
	f.Add(`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "acm-pca:*", "Resource": "*"}}`)
	f.Add(`{"Version": "2012-10-17", "Id": "x", "Statement": [
		{"Sid": "A", "Effect": "Deny", "NotAction": ["acm-pca:Revoke?ertificate"], "NotResource": "arn:aws:acm-pca:*:*:*",
		 "NotPrincipal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:user/alice"], "Service": "acm.amazonaws.com"}},
		{"Sid": "B", "Effect": "Allow", "Action": "*", "Resource": ["*"], "Principal": "*",
		 "Condition": {"ForAllValues:StringLikeIfExists": {"k": ["a*", 1, true]}, "Null": {"n": "false"},
		               "NumericLessThan": {"aws:MultiFactorAuthAge": 3600}, "ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::*"}}}]}`)
	f.Add(`{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "yes"}}}}`)
	f.Add(`{"Statement": [{"Effect": "Allow", "Effect": "Deny"}]}`)
	f.Add(`{"Version": "2012-10-17", "Statement": [}`)
	f.Add(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`)
	requests := []*Request{
		baseRequest(),
		{Action: "s3:GetObject", Resource: "*", Principal: "acm.amazonaws.com",
			Context: map[string][]string{"k": {"abc", "a"}, "N": {"true"}, "aws:MultiFactorAuthAge": {"10"}}},
		{Action: "", Resource: "", Principal: "", Account: "", Context: map[string][]string{"aws:SourceArn": {}}},
	}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned policy %v and error %v", p, err)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if len(p.Statements) == 0 {
			t.Fatal("parsed policy has no statements")
		}
		for _, r := range requests {
			e := p.Evaluate(r)
			if e != NotApplicable && e != Allow && e != Deny {
				t.Fatalf("Evaluate = %d", e)
			}
			d := Authorize(r, []*Policy{p}, p, "444455556666", false)
			if d.Allowed != (d.Reason == "") {
				t.Fatalf("decision %+v", d)
			}
			if e == Deny && d.Allowed {
				t.Fatalf("policy denies but Authorize allows")
			}
		}
	})
}
