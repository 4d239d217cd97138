package acmpca

import (
	"github.com/openpca/openpca/internal/acmpca/api"
	"github.com/openpca/openpca/internal/pca"
)

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(n *int32) int32 {
	if n == nil {
		return 0
	}
	return *n
}

func derefBool(b *bool) bool { return b != nil && *b }

// optional returns nil for "", so unset fields stay absent on the wire.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// timePtr returns nil for the zero time.
func timePtr[T interface{ IsZero() bool }](t T) *T {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (a *Adapter) caToAPI(ca *pca.CA) *api.CertificateAuthority {
	return &api.CertificateAuthority{
		Arn:                               ptr(a.domain.CAArn(ca)),
		OwnerAccount:                      ptr(ca.Account),
		CreatedAt:                         timePtr(ca.CreatedAt),
		LastStateChangeAt:                 timePtr(ca.LastStateChangeAt),
		Type:                              api.CertificateAuthorityType(ca.Type),
		Serial:                            optional(ca.Serial),
		Status:                            api.CertificateAuthorityStatus(a.domain.ReportedStatus(ca)),
		NotBefore:                         timePtr(ca.NotBefore),
		NotAfter:                          timePtr(ca.NotAfter),
		FailureReason:                     api.FailureReason(ca.FailureReason),
		CertificateAuthorityConfiguration: configToAPI(ca.Config),
		RevocationConfiguration:           revocationToAPI(ca.Revocation),
		RestorableUntil:                   timePtr(ca.RestorableUntil),
		KeyStorageSecurityStandard:        api.KeyStorageSecurityStandard(ca.KeyStorage),
		UsageMode:                         api.CertificateAuthorityUsageMode(ca.UsageMode),
	}
}

func configFromAPI(c *api.CertificateAuthorityConfiguration) pca.Config {
	cfg := pca.Config{KeyAlgorithm: string(c.KeyAlgorithm), SigningAlgorithm: string(c.SigningAlgorithm), Subject: nameFromAPI(c.Subject)}
	if e := c.CsrExtensions; e != nil {
		cfg.CsrExtensions = &pca.CsrExtensions{KeyUsage: keyUsageFromAPI(e.KeyUsage)}
		for _, ad := range e.SubjectInformationAccess {
			cfg.CsrExtensions.SubjectInformationAccess = append(cfg.CsrExtensions.SubjectInformationAccess, pca.AccessDescription{
				MethodType: string(ad.AccessMethod.AccessMethodType),
				MethodOID:  deref(ad.AccessMethod.CustomObjectIdentifier),
				Location:   generalNameFromAPI(ad.AccessLocation),
			})
		}
	}
	return cfg
}

func configToAPI(c pca.Config) *api.CertificateAuthorityConfiguration {
	out := &api.CertificateAuthorityConfiguration{
		KeyAlgorithm:     api.KeyAlgorithm(c.KeyAlgorithm),
		SigningAlgorithm: api.SigningAlgorithm(c.SigningAlgorithm),
		Subject:          nameToAPI(c.Subject),
	}
	if e := c.CsrExtensions; e != nil {
		out.CsrExtensions = &api.CsrExtensions{KeyUsage: keyUsageToAPI(e.KeyUsage)}
		for _, ad := range e.SubjectInformationAccess {
			out.CsrExtensions.SubjectInformationAccess = append(out.CsrExtensions.SubjectInformationAccess, api.AccessDescription{
				AccessMethod:   &api.AccessMethod{AccessMethodType: api.AccessMethodType(ad.MethodType), CustomObjectIdentifier: optional(ad.MethodOID)},
				AccessLocation: generalNameToAPI(ad.Location),
			})
		}
	}
	return out
}

func nameFromAPI(s *api.ASN1Subject) pca.Name {
	if s == nil {
		return pca.Name{}
	}
	n := pca.Name{
		Country: deref(s.Country), Organization: deref(s.Organization), OrganizationalUnit: deref(s.OrganizationalUnit),
		DistinguishedNameQualifier: deref(s.DistinguishedNameQualifier), State: deref(s.State), CommonName: deref(s.CommonName),
		SerialNumber: deref(s.SerialNumber), Locality: deref(s.Locality), Title: deref(s.Title), Surname: deref(s.Surname),
		GivenName: deref(s.GivenName), Initials: deref(s.Initials), Pseudonym: deref(s.Pseudonym), GenerationQualifier: deref(s.GenerationQualifier),
	}
	for _, a := range s.CustomAttributes {
		n.CustomAttributes = append(n.CustomAttributes, pca.Attribute{ObjectIdentifier: deref(a.ObjectIdentifier), Value: deref(a.Value)})
	}
	return n
}

func nameToAPI(n pca.Name) *api.ASN1Subject {
	s := &api.ASN1Subject{
		Country: optional(n.Country), Organization: optional(n.Organization), OrganizationalUnit: optional(n.OrganizationalUnit),
		DistinguishedNameQualifier: optional(n.DistinguishedNameQualifier), State: optional(n.State), CommonName: optional(n.CommonName),
		SerialNumber: optional(n.SerialNumber), Locality: optional(n.Locality), Title: optional(n.Title), Surname: optional(n.Surname),
		GivenName: optional(n.GivenName), Initials: optional(n.Initials), Pseudonym: optional(n.Pseudonym), GenerationQualifier: optional(n.GenerationQualifier),
	}
	for _, a := range n.CustomAttributes {
		s.CustomAttributes = append(s.CustomAttributes, api.CustomAttribute{ObjectIdentifier: ptr(a.ObjectIdentifier), Value: ptr(a.Value)})
	}
	return s
}

func keyUsageFromAPI(k *api.KeyUsage) *pca.KeyUsage {
	if k == nil {
		return nil
	}
	return &pca.KeyUsage{
		DigitalSignature: derefBool(k.DigitalSignature), NonRepudiation: derefBool(k.NonRepudiation),
		KeyEncipherment: derefBool(k.KeyEncipherment), DataEncipherment: derefBool(k.DataEncipherment),
		KeyAgreement: derefBool(k.KeyAgreement), KeyCertSign: derefBool(k.KeyCertSign), CRLSign: derefBool(k.CRLSign),
		EncipherOnly: derefBool(k.EncipherOnly), DecipherOnly: derefBool(k.DecipherOnly),
	}
}

func keyUsageToAPI(k *pca.KeyUsage) *api.KeyUsage {
	if k == nil {
		return nil
	}
	return &api.KeyUsage{
		DigitalSignature: ptr(k.DigitalSignature), NonRepudiation: ptr(k.NonRepudiation),
		KeyEncipherment: ptr(k.KeyEncipherment), DataEncipherment: ptr(k.DataEncipherment),
		KeyAgreement: ptr(k.KeyAgreement), KeyCertSign: ptr(k.KeyCertSign), CRLSign: ptr(k.CRLSign),
		EncipherOnly: ptr(k.EncipherOnly), DecipherOnly: ptr(k.DecipherOnly),
	}
}

func generalNameFromAPI(g *api.GeneralName) pca.GeneralName {
	if g == nil {
		return pca.GeneralName{}
	}
	out := pca.GeneralName{
		RFC822Name: deref(g.Rfc822Name), DNSName: deref(g.DnsName), UniformResourceIdentifier: deref(g.UniformResourceIdentifier),
		IPAddress: deref(g.IpAddress), RegisteredID: deref(g.RegisteredId),
	}
	if g.OtherName != nil {
		out.OtherName = &pca.OtherName{TypeID: deref(g.OtherName.TypeId), Value: deref(g.OtherName.Value)}
	}
	if g.DirectoryName != nil {
		n := nameFromAPI(g.DirectoryName)
		out.DirectoryName = &n
	}
	if g.EdiPartyName != nil {
		out.EdiPartyName = &pca.EdiPartyName{NameAssigner: deref(g.EdiPartyName.NameAssigner), PartyName: deref(g.EdiPartyName.PartyName)}
	}
	return out
}

func generalNameToAPI(g pca.GeneralName) *api.GeneralName {
	out := &api.GeneralName{
		Rfc822Name: optional(g.RFC822Name), DnsName: optional(g.DNSName), UniformResourceIdentifier: optional(g.UniformResourceIdentifier),
		IpAddress: optional(g.IPAddress), RegisteredId: optional(g.RegisteredID),
	}
	if g.OtherName != nil {
		out.OtherName = &api.OtherName{TypeId: ptr(g.OtherName.TypeID), Value: ptr(g.OtherName.Value)}
	}
	if g.DirectoryName != nil {
		out.DirectoryName = nameToAPI(*g.DirectoryName)
	}
	if g.EdiPartyName != nil {
		out.EdiPartyName = &api.EdiPartyName{NameAssigner: optional(g.EdiPartyName.NameAssigner), PartyName: ptr(g.EdiPartyName.PartyName)}
	}
	return out
}

func tagsFromAPI(tags []api.Tag) []pca.Tag {
	out := make([]pca.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, pca.Tag{Key: deref(t.Key), Value: t.Value})
	}
	return out
}

func revocationFromAPI(r *api.RevocationConfiguration) pca.RevocationRequest {
	var req pca.RevocationRequest
	if r == nil {
		return req
	}
	if c := r.CrlConfiguration; c != nil {
		req.CRL = &pca.CRLConfig{
			Enabled: derefBool(c.Enabled), ExpirationInDays: int(derefInt(c.ExpirationInDays)), CustomCname: deref(c.CustomCname),
			S3BucketName: deref(c.S3BucketName), S3ObjectACL: string(c.S3ObjectAcl), CrlType: string(c.CrlType), CustomPath: deref(c.CustomPath),
		}
		if c.CrlDistributionPointExtensionConfiguration != nil {
			req.CRL.OmitExtension = ptr(derefBool(c.CrlDistributionPointExtensionConfiguration.OmitExtension))
		}
	}
	if o := r.OcspConfiguration; o != nil {
		req.OCSP = &pca.OCSPConfig{Enabled: derefBool(o.Enabled), OcspCustomCname: deref(o.OcspCustomCname)}
	}
	return req
}

// revocationToAPI always reports both parts, as AWS does: a CA without CRLs
// or OCSP describes them as {"Enabled": false}.
func revocationToAPI(r pca.RevocationConfig) *api.RevocationConfiguration {
	crl := &api.CrlConfiguration{Enabled: ptr(r.CRL.Enabled)}
	if r.CRL.Enabled {
		crl.ExpirationInDays = ptr(int32(r.CRL.ExpirationInDays))
		crl.CustomCname = optional(r.CRL.CustomCname)
		crl.S3BucketName = optional(r.CRL.S3BucketName)
		crl.S3ObjectAcl = api.S3ObjectAcl(r.CRL.S3ObjectACL)
		crl.CrlType = api.CrlType(r.CRL.CrlType)
		crl.CustomPath = optional(r.CRL.CustomPath)
		if r.CRL.OmitExtension != nil {
			crl.CrlDistributionPointExtensionConfiguration = &api.CrlDistributionPointExtensionConfiguration{OmitExtension: ptr(*r.CRL.OmitExtension)}
		}
	}
	ocsp := &api.OcspConfiguration{Enabled: ptr(r.OCSP.Enabled), OcspCustomCname: optional(r.OCSP.OcspCustomCname)}
	return &api.RevocationConfiguration{CrlConfiguration: crl, OcspConfiguration: ocsp}
}
