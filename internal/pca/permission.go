package pca

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// ACMPrincipal is the only principal CreatePermission accepts: AWS
// Certificate Manager, which renews certificates it issued from the CA.
//
// openpca records and lists permissions, but the service principal never
// calls openpca, so no request is ever authorized by one.
const ACMPrincipal = "acm.amazonaws.com"

// PermissionActions are the actions a permission may grant, in model order.
var PermissionActions = []string{"IssueCertificate", "GetCertificate", "ListPermissions"}

// MaxPermissionsPage is the page size of ListPermissions when MaxResults is
// not given.
const MaxPermissionsPage = 100

// CreatePermission grants acm.amazonaws.com actions on a CA. sourceAccount
// "" means the CA's own account. Repeated actions count once.
func (s *Service) CreatePermission(ctx context.Context, caller Caller, arn, principal, sourceAccount string, actions []string) error {
	ca, err := s.load(ctx, caller, "CreatePermission", arn)
	if err != nil {
		return err
	}
	if err := policyState(ca, arn); err != nil {
		return err
	}
	if principal != ACMPrincipal {
		return Errorf(KindValidation, "The principal %q is not valid: the only principal a permission can name is %s.", principal, ACMPrincipal)
	}
	var granted []string
	for _, a := range PermissionActions {
		if slices.Contains(actions, a) {
			granted = append(granted, a)
		}
	}
	if len(granted) != len(dedupe(actions)) || len(granted) == 0 {
		return Errorf(KindValidation, "Actions must be taken from %s.", strings.Join(PermissionActions, ", "))
	}
	if sourceAccount == "" {
		sourceAccount = ca.Account
	}
	err = s.Store.CreatePermission(ctx, &Permission{CAID: ca.ID, Principal: principal, SourceAccount: sourceAccount, Actions: granted, CreatedAt: s.now()})
	switch {
	case errors.Is(err, ErrConflict):
		return Errorf(KindPermissionAlreadyExists, "The certificate authority %s already grants a permission to %s for account %s.", arn, principal, sourceAccount)
	case errors.Is(err, ErrNotFound):
		return notFound(arn)
	}
	return err
}

// ListPermissions returns one page of a CA's permissions and the next page's token.
func (s *Service) ListPermissions(ctx context.Context, caller Caller, arn string, maxResults int, nextToken string) ([]*Permission, string, error) {
	ca, err := s.load(ctx, caller, "ListPermissions", arn)
	if err != nil {
		return nil, "", err
	}
	if err := policyState(ca, arn); err != nil {
		return nil, "", err
	}
	var afterPrincipal, afterAccount string
	if nextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(nextToken)
		p, a, ok := strings.Cut(string(raw), "\n")
		if err != nil || !ok || p == "" || a == "" {
			return nil, "", Errorf(KindInvalidNextToken, "The token %q is not valid.", nextToken)
		}
		afterPrincipal, afterAccount = p, a
	}
	if maxResults <= 0 {
		maxResults = MaxPermissionsPage
	}
	page, err := s.Store.ListPermissions(ctx, ca.ID, afterPrincipal, afterAccount, maxResults+1)
	if err != nil {
		return nil, "", err
	}
	if len(page) <= maxResults {
		return page, "", nil
	}
	page = page[:maxResults]
	last := page[len(page)-1]
	return page, base64.RawURLEncoding.EncodeToString([]byte(last.Principal + "\n" + last.SourceAccount)), nil
}

// DeletePermission revokes the permission of principal (for sourceAccount,
// "" meaning the CA's own account).
func (s *Service) DeletePermission(ctx context.Context, caller Caller, arn, principal, sourceAccount string) error {
	ca, err := s.load(ctx, caller, "DeletePermission", arn)
	if err != nil {
		return err
	}
	if err := policyState(ca, arn); err != nil {
		return err
	}
	if sourceAccount == "" {
		sourceAccount = ca.Account
	}
	err = s.Store.DeletePermission(ctx, ca.ID, principal, sourceAccount)
	if errors.Is(err, ErrNotFound) {
		return Errorf(KindNotFound, "The certificate authority %s has no permission for %s and account %s.", arn, principal, sourceAccount)
	}
	return err
}

// PermissionPolicy is the resource policy a permission amounts to, as
// ListPermissions reports it.
func (s *Service) PermissionPolicy(p *Permission, caArn string) string {
	actions := make([]string, len(p.Actions))
	for i, a := range p.Actions {
		actions[i] = "acm-pca:" + a
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "ACMPrivateCAPermission",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": p.Principal},
			"Action":    actions,
			"Resource":  caArn,
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": p.SourceAccount}},
		}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

func dedupe(v []string) []string {
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}
