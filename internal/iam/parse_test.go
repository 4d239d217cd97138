package iam

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want *Policy
	}{
		{
			name: "statement object, string forms",
			doc: `{"Version": "2012-10-17", "Id": "p1", "Statement": {"Sid": "One", "Effect": "Allow",
				"Action": "acm-pca:IssueCertificate", "Resource": "*"}}`,
			want: &Policy{Version: "2012-10-17", ID: "p1", Statements: []Statement{{
				Sid: "One", Effect: "Allow", Action: []string{"acm-pca:IssueCertificate"}, Resource: []string{"*"},
			}}},
		},
		{
			name: "statement array, array forms, Not elements",
			doc: `{"Version": "2008-10-17", "Statement": [
				{"Effect": "Deny", "NotAction": ["acm-pca:Get*", "acm-pca:List?"], "NotResource": ["arn:aws:acm-pca:*:1:certificate-authority/a", "*"]},
				{"Effect": "Allow", "Action": "*", "Resource": "*", "NotPrincipal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:user/bob"]}}]}`,
			want: &Policy{Version: "2008-10-17", Statements: []Statement{
				{Effect: "Deny", NotAction: []string{"acm-pca:Get*", "acm-pca:List?"},
					NotResource: []string{"arn:aws:acm-pca:*:1:certificate-authority/a", "*"}},
				{Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"},
					NotPrincipal: map[string][]string{"AWS": {"111122223333", "arn:aws:iam::111122223333:user/bob"}}},
			}},
		},
		{
			name: "no version, principals as written",
			doc: `{"Statement": [{"Effect": "Allow", "Action": "acm-pca:*", "Resource": "*", "Principal": "*"},
				{"Effect": "Allow", "Action": "acm-pca:*", "Resource": "*",
				 "Principal": {"AWS": "*", "Service": ["acm.amazonaws.com"], "Federated": "cognito-identity.amazonaws.com", "CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}}]}`,
			want: &Policy{Statements: []Statement{
				{Effect: "Allow", Action: []string{"acm-pca:*"}, Resource: []string{"*"}, Principal: map[string][]string{"*": {"*"}}},
				{Effect: "Allow", Action: []string{"acm-pca:*"}, Resource: []string{"*"}, Principal: map[string][]string{
					"AWS": {"*"}, "Service": {"acm.amazonaws.com"}, "Federated": {"cognito-identity.amazonaws.com"},
					"CanonicalUser": {"79a59df900b949e55d96a1e698fbaced"}}},
			}},
		},
		{
			name: "conditions in written order, scalars stringified",
			doc: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "acm-pca:IssueCertificate", "Resource": "*",
				"Condition": {
					"StringEquals": {"acm-pca:TemplateArn": "arn:aws:acm-pca:::template/EndEntityCertificate/V1", "aws:PrincipalAccount": ["1", "2"]},
					"Bool": {"aws:SecureTransport": true},
					"NumericLessThan": {"n": [10, 2.5e1, "-3"]},
					"ForAllValues:StringLikeIfExists": {"k": ["a*", false]},
					"Null": {"aws:TokenIssueTime": "true"}}}}`,
			want: &Policy{Version: "2012-10-17", Statements: []Statement{{
				Effect: "Allow", Action: []string{"acm-pca:IssueCertificate"}, Resource: []string{"*"},
				Condition: []Condition{
					{"StringEquals", "acm-pca:TemplateArn", []string{"arn:aws:acm-pca:::template/EndEntityCertificate/V1"}},
					{"StringEquals", "aws:PrincipalAccount", []string{"1", "2"}},
					{"Bool", "aws:SecureTransport", []string{"true"}},
					{"NumericLessThan", "n", []string{"10", "2.5e1", "-3"}},
					{"ForAllValues:StringLikeIfExists", "k", []string{"a*", "false"}},
					{"Null", "aws:TokenIssueTime", []string{"true"}},
				},
			}}},
		},
		{
			name: "empty condition block, whitespace around the document",
			doc:  "\n {\"Statement\": {\"Effect\": \"Deny\", \"Action\": \"s3:*\", \"Resource\": \"arn:aws:s3:::b/*\", \"Condition\": {}}} \n",
			want: &Policy{Statements: []Statement{{Effect: "Deny", Action: []string{"s3:*"}, Resource: []string{"arn:aws:s3:::b/*"}}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestParseOperators checks that every supported operator, with each
// qualifier and IfExists, parses, and that near misses do not.
func TestParseOperators(t *testing.T) {
	var names []string
	for base := range baseOperators {
		for _, pre := range []string{"", "ForAnyValue:", "ForAllValues:"} {
			for _, suf := range []string{"", "IfExists"} {
				names = append(names, pre+base+suf)
			}
		}
	}
	if len(names) != 17*6 {
		t.Fatalf("%d operator spellings, want %d", len(names), 17*6)
	}
	for _, name := range append(names, "Null") {
		v := `"1"`
		if strings.Contains(name, "Bool") || name == "Null" {
			v = `"true"`
		}
		doc := `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"` + name + `": {"k": ` + v + `}}}}`
		if _, err := Parse(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"stringequals", "StringEqual", "NullIfExists", "ForAnyValue:Null", "ForAllValues:Null",
		"DateEquals", "IpAddress", "BinaryEquals", "ForAnyValue:", "IfExists", "ForAnyValue:ForAllValues:StringEquals",
		"StringEqualsIfExistsIfExists", "ForSomeValues:StringEquals"} {
		doc := `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"` + name + `": {"k": "true"}}}}`
		want := `Statement.Condition has unknown or unsupported operator "` + name + `"`
		if _, err := Parse(doc); err == nil || err.Error() != want {
			t.Errorf("%s: got error %v, want %s", name, err, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	// stmt wraps statement members in a one-statement array policy.
	stmt := func(members string) string {
		return `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "acm-pca:*", "Resource": "*"}, {` + members + `}]}`
	}
	ok := `"Effect": "Allow", "Action": "acm-pca:*", "Resource": "*"`
	cond := func(c string) string { return stmt(ok + `, "Condition": ` + c) }
	tests := []struct{ name, doc, want string }{
		{"empty", "", "policy document is empty"},
		{"blank", " \n\t", "policy document is empty"},
		{"too long", `{"Statement": "` + strings.Repeat("x", maxDocumentLength) + `"}`,
			"policy document is 81937 characters long; at most 81920 are allowed"},
		{"bad JSON", `{"Statement": [}`, "policy document is not valid JSON: invalid character '}' looking for beginning of value (at byte 15)"},
		{"truncated", `{"Statement": [`, "policy document is not valid JSON: unexpected end of document (at byte 15)"},
		{"trailing data", `{"Statement": {}} {}`, "policy document is not valid JSON: unexpected data after the top-level value (at byte 19)"},
		{"too deep", `{"Id": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, "policy document nests too deeply"},
		{"array", `[]`, "policy document must be a JSON object, not an array"},
		{"string", `"policy"`, "policy document must be a JSON object, not a string"},
		{"unknown top-level element", `{"Version": "2012-10-17", "Statements": []}`, `policy document has unknown element "Statements"`},
		{"lower-case top-level element", `{"version": "2012-10-17"}`, `policy document has unknown element "version"`},
		{"duplicate top-level element", `{"Statement": {}, "Statement": {}}`, `policy document has element "Statement" twice`},
		{"bad version", `{"Version": "2012-10-18", "Statement": {}}`, `Version must be "2012-10-17" or "2008-10-17", not "2012-10-18"`},
		{"version number", `{"Version": 2012, "Statement": {}}`, "Version must be a string, not a number"},
		{"id number", `{"Id": 1, "Statement": {}}`, "Id must be a string, not a number"},
		{"no statement", `{"Version": "2012-10-17"}`, "policy document has no Statement element"},
		{"empty statement list", `{"Statement": []}`, "Statement must not be empty"},
		{"statement string", `{"Statement": "x"}`, "Statement must be an object or an array of objects, not a string"},
		{"statement element not object", `{"Statement": [{` + ok + `}, 7]}`, "Statement[1] must be an object, not a number"},
		{"unknown statement element", stmt(ok + `, "Resources": "*"`), `Statement[1] has unknown element "Resources"`},
		{"duplicate statement element", stmt(ok + `, "Effect": "Deny"`), `Statement[1] has element "Effect" twice`},
		{"object statement error path", `{"Statement": {"Effect": "allow"}}`, `Statement.Effect must be "Allow" or "Deny"`},
		{"sid number", stmt(`"Sid": 1, ` + ok), "Statement[1].Sid must be a string, not a number"},
		{"duplicate sid", `{"Statement": [{"Sid": "A", ` + ok + `}, {"Sid": "B", ` + ok + `}, {"Sid": "A", ` + ok + `}]}`,
			`Statement[2].Sid "A" is already the Sid of Statement[0]; Sids must be unique`},
		{"no effect", stmt(`"Action": "acm-pca:*", "Resource": "*"`), `Statement[1] has no Effect element; it must be "Allow" or "Deny"`},
		{"lower-case effect", stmt(`"Effect": "allow", "Action": "acm-pca:*", "Resource": "*"`), `Statement[1].Effect must be "Allow" or "Deny"`},
		{"effect array", stmt(`"Effect": ["Allow"], "Action": "acm-pca:*", "Resource": "*"`), `Statement[1].Effect must be "Allow" or "Deny"`},
		{"no action", stmt(`"Effect": "Allow", "Resource": "*"`), "Statement[1] has neither an Action nor a NotAction element"},
		{"action and not action", stmt(ok + `, "NotAction": "s3:*"`), "Statement[1] has both an Action and a NotAction element; it may have only one"},
		{"empty action list", stmt(`"Effect": "Allow", "Action": [], "Resource": "*"`), "Statement[1].Action must not be an empty array"},
		{"action number", stmt(`"Effect": "Allow", "Action": 5, "Resource": "*"`), "Statement[1].Action must be a string or an array of strings, not a number"},
		{"action list with number", stmt(`"Effect": "Allow", "Action": ["s3:*", 5], "Resource": "*"`), "Statement[1].Action[1] must be a string, not a number"},
		{"action without service", stmt(`"Effect": "Allow", "Action": "IssueCertificate", "Resource": "*"`),
			`Statement[1].Action "IssueCertificate" is not "*" or of the form service:action`},
		{"action upper-case service", stmt(`"Effect": "Allow", "NotAction": ["s3:*", "ACM-PCA:Issue"], "Resource": "*"`),
			`Statement[1].NotAction[1] "ACM-PCA:Issue" is not "*" or of the form service:action`},
		{"action empty name", stmt(`"Effect": "Allow", "Action": "acm-pca:", "Resource": "*"`),
			`Statement[1].Action "acm-pca:" is not "*" or of the form service:action`},
		{"action bad character", stmt(`"Effect": "Allow", "Action": "acm-pca:Issue-Certificate", "Resource": "*"`),
			`Statement[1].Action "acm-pca:Issue-Certificate" is not "*" or of the form service:action`},
		{"action two colons", stmt(`"Effect": "Allow", "Action": "acm-pca:a:b", "Resource": "*"`),
			`Statement[1].Action "acm-pca:a:b" is not "*" or of the form service:action`},
		{"no resource", stmt(`"Effect": "Allow", "Action": "acm-pca:*"`), "Statement[1] has neither a Resource nor a NotResource element"},
		{"resource and not resource", stmt(ok + `, "NotResource": "*"`), "Statement[1] has both a Resource and a NotResource element; it may have only one"},
		{"empty resource list", stmt(`"Effect": "Allow", "Action": "acm-pca:*", "NotResource": []`), "Statement[1].NotResource must not be an empty array"},
		{"resource not ARN", stmt(`"Effect": "Allow", "Action": "acm-pca:*", "Resource": ["*", "my-ca"]`), `Statement[1].Resource[1] "my-ca" must be "*" or an ARN`},
		{"resource object", stmt(`"Effect": "Allow", "Action": "acm-pca:*", "Resource": {}`), "Statement[1].Resource must be a string or an array of strings, not an object"},
		{"principal and not principal", stmt(ok + `, "Principal": "*", "NotPrincipal": "*"`), "Statement[1] has both a Principal and a NotPrincipal element; it may have only one"},
		{"principal string", stmt(ok + `, "Principal": "111122223333"`), `Statement[1].Principal must be "*" or an object such as {"AWS": "111122223333"}`},
		{"principal array", stmt(ok + `, "NotPrincipal": ["*"]`), `Statement[1].NotPrincipal must be "*" or an object such as {"AWS": "111122223333"}, not an array`},
		{"principal empty object", stmt(ok + `, "Principal": {}`), "Statement[1].Principal must name at least one principal"},
		{"principal unknown type", stmt(ok + `, "Principal": {"User": "alice"}`),
			`Statement[1].Principal has unknown principal type "User"; it must be "AWS", "Service", "Federated" or "CanonicalUser"`},
		{"principal duplicate type", stmt(ok + `, "Principal": {"AWS": "*", "AWS": "*"}`), `Statement[1].Principal has principal type "AWS" twice`},
		{"principal bad account", stmt(ok + `, "Principal": {"AWS": ["111122223333", "1111"]}`),
			`Statement[1].Principal.AWS[1] "1111" must be "*", a 12-digit account id or an ARN`},
		{"principal partial wildcard", stmt(ok + `, "Principal": {"AWS": "arn:aws:iam::111122223333:user/*"}`),
			`Statement[1].Principal.AWS "arn:aws:iam::111122223333:user/*" may not contain wildcards; only "*" alone is allowed`},
		{"principal empty value", stmt(ok + `, "Principal": {"Service": ""}`), "Statement[1].Principal.Service must not be empty"},
		{"principal number", stmt(ok + `, "Principal": {"AWS": 111122223333}`),
			"Statement[1].Principal.AWS must be a string or an array of strings, not a number"},
		{"condition array", cond(`[]`), `Statement[1].Condition must be an object such as {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}, not an array`},
		{"condition unknown operator", cond(`{"StringEquals": {"k": "v"}, "StringEqual": {"k": "v"}}`), `Statement[1].Condition has unknown or unsupported operator "StringEqual"`},
		{"condition duplicate operator", cond(`{"StringEquals": {"a": "v"}, "StringEquals": {"b": "v"}}`),
			`Statement[1].Condition has operator "StringEquals" twice; put its keys in one block`},
		{"condition operator string", cond(`{"StringEquals": "v"}`), "Statement[1].Condition.StringEquals must be an object of condition keys and values, not a string"},
		{"condition operator empty", cond(`{"StringEquals": {}}`), "Statement[1].Condition.StringEquals must have at least one condition key"},
		{"condition duplicate key", cond(`{"StringEquals": {"k": "v", "k": "w"}}`), `Statement[1].Condition.StringEquals has key "k" twice`},
		{"condition empty key", cond(`{"StringEquals": {"": "v"}}`), "Statement[1].Condition.StringEquals has an empty condition key"},
		{"condition null value", cond(`{"StringEquals": {"k": null}}`),
			`Statement[1].Condition.StringEquals["k"] must be a string, number, boolean or an array of them, not null`},
		{"condition object value", cond(`{"StringEquals": {"k": {"a": 1}}}`),
			`Statement[1].Condition.StringEquals["k"] must be a string, number, boolean or an array of them, not an object`},
		{"condition nested array", cond(`{"StringEquals": {"k": ["a", ["b"]]}}`),
			`Statement[1].Condition.StringEquals["k"][1] must be a string, number or boolean, not an array`},
		{"condition empty values", cond(`{"StringLike": {"k": []}}`), `Statement[1].Condition.StringLike["k"] must not be an empty array`},
		{"bool value", cond(`{"Bool": {"aws:SecureTransport": "yes"}}`), `Statement[1].Condition.Bool["aws:SecureTransport"] value "yes" must be true or false`},
		{"null value", cond(`{"Null": {"k": ["true", 1]}}`), `Statement[1].Condition.Null["k"][1] value "1" must be true or false`},
		{"numeric value", cond(`{"ForAnyValue:NumericLessThanIfExists": {"n": "ten"}}`),
			`Statement[1].Condition.ForAnyValue:NumericLessThanIfExists["n"] value "ten" must be a number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.doc)
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want error %q", p, tc.want)
			}
			if p != nil {
				t.Errorf("Parse returned a policy with its error")
			}
			if err.Error() != tc.want {
				t.Fatalf("error\n got %q\nwant %q", err.Error(), tc.want)
			}
		})
	}
}

// TestParseLongDocument checks the limit counts characters, not bytes.
func TestParseLongDocument(t *testing.T) {
	pad := strings.Repeat("é", maxDocumentLength-100)
	doc := `{"Id": "` + pad + `", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}`
	if len(doc) <= maxDocumentLength {
		t.Fatalf("document is only %d bytes", len(doc))
	}
	if _, err := Parse(doc); err != nil {
		t.Fatalf("Parse: %v", err)
	}
}
