package acmpca

import (
	"context"
	"errors"

	"github.com/openpca/openpca/internal/acmpca/api"
	"github.com/openpca/openpca/internal/pca"
)

// Adapter implements api.Service on top of the domain.
type Adapter struct {
	// UnimplementedService answers the operations whose features have not
	// landed yet with NotImplemented, naming the operation.
	api.UnimplementedService
	domain *pca.Service
}

var _ api.Service = (*Adapter)(nil)

// New returns the API adapter for domain.
func New(domain *pca.Service) *Adapter { return &Adapter{domain: domain} }

type callerKey struct{}

// WithCaller records the authenticated caller for the operations to act as.
func WithCaller(ctx context.Context, c pca.Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller WithCaller recorded in ctx.
func CallerFrom(ctx context.Context) (pca.Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(pca.Caller)
	return c, ok
}

// caller returns the authenticated caller. Authentication runs before any
// operation, so a missing caller is a wiring bug, reported as internal.
func caller(ctx context.Context) (pca.Caller, error) {
	c, ok := CallerFrom(ctx)
	if !ok {
		return pca.Caller{}, errors.New("acmpca: request reached an operation without an authenticated caller")
	}
	return c, nil
}

func (a *Adapter) CreateCertificateAuthority(ctx context.Context, in *api.CreateCertificateAuthorityInput) (*api.CreateCertificateAuthorityOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ca, err := a.domain.CreateCA(ctx, c, pca.CreateRequest{
		Type:             pca.Type(in.CertificateAuthorityType),
		Config:           configFromAPI(in.CertificateAuthorityConfiguration),
		Revocation:       revocationFromAPI(in.RevocationConfiguration),
		KeyStorage:       string(in.KeyStorageSecurityStandard),
		UsageMode:        string(in.UsageMode),
		Tags:             tagsFromAPI(in.Tags),
		IdempotencyToken: deref(in.IdempotencyToken),
	})
	if err != nil {
		return nil, apiError(err)
	}
	return &api.CreateCertificateAuthorityOutput{CertificateAuthorityArn: ptr(a.domain.CAArn(ca))}, nil
}

func (a *Adapter) DescribeCertificateAuthority(ctx context.Context, in *api.DescribeCertificateAuthorityInput) (*api.DescribeCertificateAuthorityOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ca, err := a.domain.DescribeCA(ctx, c, *in.CertificateAuthorityArn)
	if err != nil {
		return nil, apiError(err)
	}
	return &api.DescribeCertificateAuthorityOutput{CertificateAuthority: a.caToAPI(ca)}, nil
}

func (a *Adapter) ListCertificateAuthorities(ctx context.Context, in *api.ListCertificateAuthoritiesInput) (*api.ListCertificateAuthoritiesOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	list := a.domain.ListCAs
	if in.ResourceOwner == api.ResourceOwnerOtherAccounts {
		list = a.domain.ListSharedCAs
	}
	cas, next, err := list(ctx, c, int(derefInt(in.MaxResults)), deref(in.NextToken))
	if err != nil {
		return nil, apiError(err)
	}
	out := &api.ListCertificateAuthoritiesOutput{CertificateAuthorities: make([]api.CertificateAuthority, 0, len(cas))}
	for _, ca := range cas {
		out.CertificateAuthorities = append(out.CertificateAuthorities, *a.caToAPI(ca))
	}
	if next != "" {
		out.NextToken = &next
	}
	return out, nil
}

func (a *Adapter) UpdateCertificateAuthority(ctx context.Context, in *api.UpdateCertificateAuthorityInput) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	req := pca.UpdateRequest{Revocation: revocationFromAPI(in.RevocationConfiguration)}
	if in.Status != "" {
		st := pca.Status(in.Status)
		req.Status = &st
	}
	return apiError(a.domain.UpdateCA(ctx, c, *in.CertificateAuthorityArn, req))
}

func (a *Adapter) DeleteCertificateAuthority(ctx context.Context, in *api.DeleteCertificateAuthorityInput) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	return apiError(a.domain.DeleteCA(ctx, c, *in.CertificateAuthorityArn, int(derefInt(in.PermanentDeletionTimeInDays))))
}

func (a *Adapter) RestoreCertificateAuthority(ctx context.Context, in *api.RestoreCertificateAuthorityInput) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	return apiError(a.domain.RestoreCA(ctx, c, *in.CertificateAuthorityArn))
}

func (a *Adapter) TagCertificateAuthority(ctx context.Context, in *api.TagCertificateAuthorityInput) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	return apiError(a.domain.TagCA(ctx, c, *in.CertificateAuthorityArn, tagsFromAPI(in.Tags)))
}

func (a *Adapter) UntagCertificateAuthority(ctx context.Context, in *api.UntagCertificateAuthorityInput) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	return apiError(a.domain.UntagCA(ctx, c, *in.CertificateAuthorityArn, tagsFromAPI(in.Tags)))
}

func (a *Adapter) ListTags(ctx context.Context, in *api.ListTagsInput) (*api.ListTagsOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	tags, next, err := a.domain.ListTags(ctx, c, *in.CertificateAuthorityArn, int(derefInt(in.MaxResults)), deref(in.NextToken))
	if err != nil {
		return nil, apiError(err)
	}
	out := &api.ListTagsOutput{Tags: make([]api.Tag, 0, len(tags))}
	for _, t := range tags {
		out.Tags = append(out.Tags, api.Tag{Key: ptr(t.Key), Value: t.Value})
	}
	if next != "" {
		out.NextToken = &next
	}
	return out, nil
}
