package iam

import "testing"

func TestAuthorizeTrust(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/r"
	trust := func(principal string) *Policy {
		p, err := ParseTrust(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": ` + principal + `, "Action": "sts:AssumeRole"}]}`)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	allowAssume, err := Parse(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	denyAssume, err := Parse(`{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:*", "Resource": "*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	req := func(principal, account string, ctx map[string][]string) *Request {
		return &Request{Action: "sts:AssumeRole", Resource: role, Principal: principal, Account: account, Context: ctx}
	}
	alice := req("arn:aws:iam::111122223333:user/alice", "111122223333", nil)
	bob := req("arn:aws:iam::444455556666:user/bob", "444455556666", nil)
	session := req("arn:aws:sts::111122223333:assumed-role/src/s", "111122223333", map[string][]string{"aws:PrincipalArn": {"arn:aws:iam::111122223333:role/src"}})
	for _, tc := range []struct {
		name     string
		r        *Request
		trust    *Policy
		identity []*Policy
		session  []*Policy
		root     bool
		want     bool
	}{
		{"named user", alice, trust(`{"AWS": "arn:aws:iam::111122223333:user/alice"}`), nil, nil, false, true},
		{"account only, no identity policy", alice, trust(`{"AWS": "111122223333"}`), nil, nil, false, false},
		{"account and identity policy", alice, trust(`{"AWS": "111122223333"}`), []*Policy{allowAssume}, nil, false, true},
		{"account root caller", req("arn:aws:iam::111122223333:root", "111122223333", nil), trust(`{"AWS": "111122223333"}`), nil, nil, true, true},
		{"identity deny wins", alice, trust(`{"AWS": "arn:aws:iam::111122223333:user/alice"}`), []*Policy{denyAssume}, nil, false, false},
		{"other account named, no identity policy", bob, trust(`{"AWS": "arn:aws:iam::444455556666:user/bob"}`), nil, nil, false, false},
		{"other account named and identity policy", bob, trust(`{"AWS": "arn:aws:iam::444455556666:user/bob"}`), []*Policy{allowAssume}, nil, false, true},
		{"other user", alice, trust(`{"AWS": "arn:aws:iam::111122223333:user/carol"}`), []*Policy{allowAssume}, nil, false, false},
		{"session by its role", session, trust(`{"AWS": "arn:aws:iam::111122223333:role/src"}`), nil, nil, false, true},
		{"session policy must allow", session, trust(`{"AWS": "arn:aws:iam::111122223333:role/src"}`), nil, []*Policy{{}}, false, false},
		{"federated not an AWS principal", &Request{Action: "sts:AssumeRole", Resource: role, Principal: "arn:aws:iam::111122223333:oidc-provider/x", Account: "111122223333", Federated: true},
			trust(`{"AWS": "111122223333"}`), nil, nil, true, false},
	} {
		if got := AuthorizeTrust(tc.r, tc.trust, tc.identity, tc.session, tc.root, "111122223333"); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, err := ParseTrust(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}`); err == nil {
		t.Error("a trust policy without a Principal parsed")
	}
}
