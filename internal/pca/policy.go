package pca

import (
	"context"
	"strconv"
	"strings"

	"github.com/openpca/openpca/internal/iam"
)

// ShareableActions are the actions a CA's resource policy may grant: those
// of AWS's documented share policy and of the RAM permissions for Private
// CA (which add RevokeCertificate).
var ShareableActions = []string{
	"acm-pca:DescribeCertificateAuthority",
	"acm-pca:GetCertificate",
	"acm-pca:GetCertificateAuthorityCertificate",
	"acm-pca:ListPermissions",
	"acm-pca:ListTags",
	"acm-pca:IssueCertificate",
	"acm-pca:RevokeCertificate",
}

// PutPolicy attaches a resource-based policy to a CA, replacing any other.
//
// LockoutPreventedException is never returned: a resource policy may hold
// only Allow statements, so it cannot take away what the owning account's
// identity policies grant, and PutPolicy, GetPolicy and DeletePolicy are not
// shareable, so no caller's access to the policy itself depends on it.
func (s *Service) PutPolicy(ctx context.Context, caller Caller, arn, document string) error {
	_, err := s.update(ctx, caller, "PutPolicy", arn, func(ca *CA) error {
		if err := policyState(ca, arn); err != nil {
			return err
		}
		if err := CheckResourcePolicy(document, arn); err != nil {
			return err
		}
		ca.Policy = document
		return nil
	})
	return err
}

// GetPolicy returns a CA's resource-based policy, exactly as put.
func (s *Service) GetPolicy(ctx context.Context, caller Caller, arn string) (string, error) {
	ca, err := s.load(ctx, caller, "GetPolicy", arn)
	if err != nil {
		return "", err
	}
	if err := policyState(ca, arn); err != nil {
		return "", err
	}
	if ca.Policy == "" {
		return "", Errorf(KindNotFound, "The certificate authority %s has no resource-based policy.", arn)
	}
	return ca.Policy, nil
}

// DeletePolicy removes a CA's resource-based policy; a CA without one
// succeeds unchanged.
func (s *Service) DeletePolicy(ctx context.Context, caller Caller, arn string) error {
	_, err := s.update(ctx, caller, "DeletePolicy", arn, func(ca *CA) error {
		if err := policyState(ca, arn); err != nil {
			return err
		}
		ca.Policy = ""
		return nil
	})
	return err
}

// policyState refuses policy and permission operations on CAs that failed
// or are deleted.
func policyState(ca *CA, arn string) error {
	if ca.Status == StatusFailed || ca.Status == StatusDeleted {
		return Errorf(KindInvalidState, "The certificate authority %s is in the %s state.", arn, ca.Status)
	}
	return nil
}

// CheckResourcePolicy checks a resource-based policy for the CA arn the way
// PutPolicy does: it must parse, have Version 2012-10-17 and at least one
// statement, and every statement must Allow some ShareableActions, named
// exactly, on this CA to named principals. NotAction, NotResource and
// NotPrincipal are refused.
func CheckResourcePolicy(document, arn string) error {
	p, err := iam.Parse(document)
	if err != nil {
		return Errorf(KindInvalidPolicy, "The resource policy is invalid: %v", err)
	}
	if p.Version != "2012-10-17" {
		return Errorf(KindInvalidPolicy, "The resource policy must have Version \"2012-10-17\".")
	}
	if len(p.Statements) == 0 {
		return Errorf(KindInvalidPolicy, "The resource policy is missing a required statement.")
	}
	for i, st := range p.Statements {
		name := st.Sid
		if name == "" {
			name = "#" + strconv.Itoa(i+1)
		}
		switch {
		case st.Effect != "Allow":
			return Errorf(KindInvalidPolicy, "Statement %s: resource policies for private CAs support only Allow statements.", name)
		case len(st.NotAction) > 0 || len(st.NotResource) > 0 || len(st.NotPrincipal) > 0:
			return Errorf(KindInvalidPolicy, "Statement %s: NotAction, NotResource and NotPrincipal are not supported.", name)
		case len(st.Principal) == 0:
			return Errorf(KindInvalidPolicy, "Statement %s is missing a required Principal.", name)
		case len(st.Action) == 0:
			return Errorf(KindInvalidPolicy, "Statement %s is missing a required Action.", name)
		case len(st.Resource) == 0:
			return Errorf(KindInvalidPolicy, "Statement %s is missing a required Resource.", name)
		}
		for _, a := range st.Action {
			if !shareable(a) {
				return Errorf(KindInvalidPolicy, "Statement %s: the action %q cannot be granted by a private CA's resource policy; allowed: %s.", name, a, strings.Join(ShareableActions, ", "))
			}
		}
		for _, r := range st.Resource {
			if r != arn {
				return Errorf(KindInvalidPolicy, "Statement %s: the resource %q is not this certificate authority (%s).", name, r, arn)
			}
		}
	}
	return nil
}

func shareable(action string) bool {
	for _, a := range ShareableActions {
		if strings.EqualFold(a, action) {
			return true
		}
	}
	return false
}
