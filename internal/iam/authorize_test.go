package iam

import "testing"

func TestAuthorize(t *testing.T) {
	must := func(doc string) *Policy {
		t.Helper()
		p, err := Parse(doc)
		if err != nil {
			t.Fatalf("Parse(%s): %v", doc, err)
		}
		return p
	}
	var (
		idAllow   = must(allow(``))
		idOther   = must(allow(`, "Action": "acm-pca:RevokeCertificate"`))
		idDeny    = must(`{"Statement": {"Effect": "Deny", "Action": "acm-pca:*", "Resource": "*"}}`)
		resAllow  = must(allow(`, "Principal": {"AWS": "111122223333"}, "Resource": "` + caARN + `"`))
		resOthers = must(allow(`, "Principal": {"AWS": "999988887777"}`))
		resDeny   = must(`{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}}`)
	)
	const (
		noIdentity = "no identity-based policy allows the acm-pca:IssueCertificate action"
		noResource = "no resource-based policy allows the acm-pca:IssueCertificate action"
		idDenied   = "with an explicit deny in an identity-based policy"
		resDenied  = "with an explicit deny in a resource-based policy"
	)
	tests := []struct {
		name            string
		identity        []*Policy
		resource        *Policy
		resourceAccount string
		root            bool
		want            string // "" when allowed
	}{
		{"same account, default deny", nil, nil, account, false, noIdentity},
		{"same account, identity allow", []*Policy{idAllow}, nil, account, false, ""},
		{"same account, identity allows another action", []*Policy{idOther}, nil, account, false, noIdentity},
		{"same account, second identity policy allows", []*Policy{idOther, nil, idAllow}, nil, account, false, ""},
		{"same account, resource allow alone", nil, resAllow, account, false, ""},
		{"same account, resource names others", nil, resOthers, account, false, noIdentity},
		{"same account, identity deny beats identity allow", []*Policy{idAllow, idDeny}, nil, account, false, idDenied},
		{"same account, identity deny beats resource allow", []*Policy{idDeny}, resAllow, account, false, idDenied},
		{"same account, resource deny beats identity allow", []*Policy{idAllow}, resDeny, account, false, resDenied},
		{"no resource account, identity decides", []*Policy{idAllow}, nil, "", false, ""},
		{"no resource account, default deny", nil, nil, "", false, noIdentity},
		{"cross account, identity allow only", []*Policy{idAllow}, nil, other, false, noResource},
		{"cross account, resource names others", []*Policy{idAllow}, resOthers, other, false, noResource},
		{"cross account, resource allow only", nil, resAllow, other, false, noIdentity},
		{"cross account, both allow", []*Policy{idAllow}, resAllow, other, false, ""},
		{"cross account, identity deny", []*Policy{idAllow, idDeny}, resAllow, other, false, idDenied},
		{"cross account, resource deny", []*Policy{idAllow}, resDeny, other, false, resDenied},
		{"cross account, nothing", nil, nil, other, false, noResource},
		{"root, own account", nil, nil, account, true, ""},
		{"root, own account, resource deny", nil, resDeny, account, true, resDenied},
		{"root, cross account, no resource policy", nil, nil, other, true, noResource},
		{"root, cross account, resource allow", nil, resAllow, other, true, ""},
		{"root, cross account, resource names others", nil, resOthers, other, true, noResource},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Authorize(baseRequest(), tc.identity, tc.resource, tc.resourceAccount, tc.root)
			if d.Allowed != (tc.want == "") || d.Reason != tc.want {
				t.Fatalf("got %+v, want reason %q", d, tc.want)
			}
		})
	}
}

func TestAuthorizeAccountFromPrincipal(t *testing.T) {
	p, err := Parse(allow(``))
	if err != nil {
		t.Fatal(err)
	}
	r := baseRequest()
	r.Account = ""
	if d := Authorize(r, []*Policy{p}, nil, account, false); !d.Allowed {
		t.Fatalf("caller in %s refused on its own resource: %+v", account, d)
	}
}

func TestDecisionMessage(t *testing.T) {
	r := baseRequest()
	d := Authorize(r, nil, nil, account, false)
	want := "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: acm-pca:IssueCertificate on resource: " +
		caARN + " because no identity-based policy allows the acm-pca:IssueCertificate action"
	if got := d.Message(r); got != want {
		t.Fatalf("Message:\n got %q\nwant %q", got, want)
	}
}
