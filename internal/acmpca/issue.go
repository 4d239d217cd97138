package acmpca

import (
	"context"
	"encoding/base64"

	"github.com/openpca/openpca/internal/acmpca/api"
	"github.com/openpca/openpca/internal/issuance"
	"github.com/openpca/openpca/internal/pca"
)

func (a *Adapter) GetCertificateAuthorityCsr(ctx context.Context, in *api.GetCertificateAuthorityCsrInput) (*api.GetCertificateAuthorityCsrOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	csr, err := a.domain.GetCSR(ctx, c, *in.CertificateAuthorityArn)
	if err != nil {
		return nil, apiError(err)
	}
	return &api.GetCertificateAuthorityCsrOutput{Csr: &csr}, nil
}

func (a *Adapter) IssueCertificate(ctx context.Context, in *api.IssueCertificateInput) (*api.IssueCertificateOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	pt, err := passthroughFromAPI(in.ApiPassthrough)
	if err != nil {
		return nil, apiError(err)
	}
	req := pca.IssueRequest{
		CSR:              in.Csr,
		SigningAlgorithm: string(in.SigningAlgorithm),
		TemplateArn:      deref(in.TemplateArn),
		Validity:         validityFromAPI(in.Validity),
		Passthrough:      pt,
		IdempotencyToken: deref(in.IdempotencyToken),
	}
	if in.ValidityNotBefore != nil {
		nb := validityFromAPI(in.ValidityNotBefore)
		req.ValidityNotBefore = &nb
	}
	arn, err := a.domain.IssueCertificate(ctx, c, *in.CertificateAuthorityArn, req)
	if err != nil {
		return nil, apiError(err)
	}
	return &api.IssueCertificateOutput{CertificateArn: &arn}, nil
}

func (a *Adapter) GetCertificate(ctx context.Context, in *api.GetCertificateInput) (*api.GetCertificateOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	got, err := a.domain.GetCertificate(ctx, c, *in.CertificateAuthorityArn, *in.CertificateArn)
	if err != nil {
		return nil, apiError(err)
	}
	return &api.GetCertificateOutput{Certificate: &got.Certificate, CertificateChain: optional(got.Chain)}, nil
}

func (a *Adapter) ImportCertificateAuthorityCertificate(ctx context.Context, in *api.ImportCertificateAuthorityCertificateInput) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	return apiError(a.domain.ImportCACertificate(ctx, c, *in.CertificateAuthorityArn, in.Certificate, in.CertificateChain))
}

func (a *Adapter) GetCertificateAuthorityCertificate(ctx context.Context, in *api.GetCertificateAuthorityCertificateInput) (*api.GetCertificateAuthorityCertificateOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	cert, chain, err := a.domain.GetCACertificate(ctx, c, *in.CertificateAuthorityArn)
	if err != nil {
		return nil, apiError(err)
	}
	return &api.GetCertificateAuthorityCertificateOutput{Certificate: &cert, CertificateChain: optional(chain)}, nil
}

func validityFromAPI(v *api.Validity) issuance.Validity {
	return issuance.Validity{Value: *v.Value, Type: string(v.Type)}
}

func passthroughFromAPI(p *api.ApiPassthrough) (*issuance.Passthrough, error) {
	if p == nil {
		return nil, nil
	}
	out := &issuance.Passthrough{}
	if p.Subject != nil {
		n := nameFromAPI(p.Subject)
		out.Subject = &n
	}
	e := p.Extensions
	if e == nil {
		return out, nil
	}
	ext := &issuance.Extensions{KeyUsage: keyUsageFromAPI(e.KeyUsage)}
	for _, pi := range e.CertificatePolicies {
		info := issuance.PolicyInformation{PolicyOID: deref(pi.CertPolicyId)}
		for _, q := range pi.PolicyQualifiers {
			info.Qualifiers = append(info.Qualifiers, issuance.PolicyQualifier{QualifierID: string(q.PolicyQualifierId), CPSURI: deref(q.Qualifier.CpsUri)})
		}
		ext.CertificatePolicies = append(ext.CertificatePolicies, info)
	}
	for _, ce := range e.CustomExtensions {
		value, err := base64.StdEncoding.DecodeString(deref(ce.Value))
		if err != nil {
			return nil, pca.Errorf(pca.KindInvalidArgs, "CustomExtension %s: Value is not valid base64.", deref(ce.ObjectIdentifier))
		}
		ext.CustomExtensions = append(ext.CustomExtensions, issuance.CustomExtension{OID: deref(ce.ObjectIdentifier), Value: value, Critical: derefBool(ce.Critical)})
	}
	for _, eku := range e.ExtendedKeyUsage {
		ext.ExtendedKeyUsage = append(ext.ExtendedKeyUsage, issuance.ExtendedKeyUsage{Type: string(eku.ExtendedKeyUsageType), OID: deref(eku.ExtendedKeyUsageObjectIdentifier)})
	}
	for i := range e.SubjectAlternativeNames {
		ext.SubjectAlternativeNames = append(ext.SubjectAlternativeNames, generalNameFromAPI(&e.SubjectAlternativeNames[i]))
	}
	out.Extensions = ext
	return out, nil
}

func (a *Adapter) RevokeCertificate(ctx context.Context, in *api.RevokeCertificateInput) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	return apiError(a.domain.RevokeCertificate(ctx, c, *in.CertificateAuthorityArn, *in.CertificateSerial, string(in.RevocationReason)))
}

func (a *Adapter) CreateCertificateAuthorityAuditReport(ctx context.Context, in *api.CreateCertificateAuthorityAuditReportInput) (*api.CreateCertificateAuthorityAuditReportOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := a.domain.CreateAuditReport(ctx, c, *in.CertificateAuthorityArn, *in.S3BucketName, string(in.AuditReportResponseFormat))
	if err != nil {
		return nil, apiError(err)
	}
	return &api.CreateCertificateAuthorityAuditReportOutput{AuditReportId: &r.ID, S3Key: &r.Key}, nil
}

func (a *Adapter) DescribeCertificateAuthorityAuditReport(ctx context.Context, in *api.DescribeCertificateAuthorityAuditReportInput) (*api.DescribeCertificateAuthorityAuditReportOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := a.domain.DescribeAuditReport(ctx, c, *in.CertificateAuthorityArn, *in.AuditReportId)
	if err != nil {
		return nil, apiError(err)
	}
	return &api.DescribeCertificateAuthorityAuditReportOutput{AuditReportStatus: api.AuditReportStatus(r.Status),
		S3BucketName: &r.Bucket, S3Key: &r.Key, CreatedAt: &r.CreatedAt}, nil
}
