package acmpca

import (
	"context"

	"github.com/openpca/openpca/internal/acmpca/api"
)

func (a *Adapter) PutPolicy(ctx context.Context, in *api.PutPolicyInput) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	return apiError(a.domain.PutPolicy(ctx, c, *in.ResourceArn, *in.Policy))
}

func (a *Adapter) GetPolicy(ctx context.Context, in *api.GetPolicyInput) (*api.GetPolicyOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	policy, err := a.domain.GetPolicy(ctx, c, *in.ResourceArn)
	if err != nil {
		return nil, apiError(err)
	}
	return &api.GetPolicyOutput{Policy: &policy}, nil
}

func (a *Adapter) DeletePolicy(ctx context.Context, in *api.DeletePolicyInput) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	return apiError(a.domain.DeletePolicy(ctx, c, *in.ResourceArn))
}

func (a *Adapter) CreatePermission(ctx context.Context, in *api.CreatePermissionInput) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	actions := make([]string, len(in.Actions))
	for i, act := range in.Actions {
		actions[i] = string(act)
	}
	return apiError(a.domain.CreatePermission(ctx, c, *in.CertificateAuthorityArn, *in.Principal, deref(in.SourceAccount), actions))
}

func (a *Adapter) ListPermissions(ctx context.Context, in *api.ListPermissionsInput) (*api.ListPermissionsOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	arn := *in.CertificateAuthorityArn
	perms, next, err := a.domain.ListPermissions(ctx, c, arn, int(derefInt(in.MaxResults)), deref(in.NextToken))
	if err != nil {
		return nil, apiError(err)
	}
	out := &api.ListPermissionsOutput{Permissions: make([]api.Permission, 0, len(perms))}
	for _, p := range perms {
		actions := make([]api.ActionType, len(p.Actions))
		for i, act := range p.Actions {
			actions[i] = api.ActionType(act)
		}
		out.Permissions = append(out.Permissions, api.Permission{
			Actions:                 actions,
			CertificateAuthorityArn: ptr(arn),
			CreatedAt:               ptr(p.CreatedAt),
			Policy:                  ptr(a.domain.PermissionPolicy(p, arn)),
			Principal:               ptr(p.Principal),
			SourceAccount:           ptr(p.SourceAccount),
		})
	}
	if next != "" {
		out.NextToken = &next
	}
	return out, nil
}

func (a *Adapter) DeletePermission(ctx context.Context, in *api.DeletePermissionInput) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	return apiError(a.domain.DeletePermission(ctx, c, *in.CertificateAuthorityArn, *in.Principal, deref(in.SourceAccount)))
}
