package pca

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openpca/openpca/internal/events"
	"github.com/openpca/openpca/internal/issuance"
	"github.com/openpca/openpca/internal/x509util"
)

// DefaultCertificateLimit is AWS's default quota of certificates per CA.
const DefaultCertificateLimit = 1_000_000

// ShortLivedMaxValidity is the longest validity a SHORT_LIVED_CERTIFICATE CA issues.
const ShortLivedMaxValidity = 7 * 24 * time.Hour

// IssueRequest is the input of IssueCertificate.
type IssueRequest struct {
	CSR               []byte // PEM, as AWS takes it (DER is accepted too)
	SigningAlgorithm  string
	TemplateArn       string
	Validity          issuance.Validity
	ValidityNotBefore *issuance.Validity
	Passthrough       *issuance.Passthrough
	IdempotencyToken  string
}

// IssueCertificate signs a certificate and returns its ARN.
func (s *Service) IssueCertificate(ctx context.Context, caller Caller, arn string, req IssueRequest) (string, error) {
	template := req.TemplateArn
	if template == "" {
		template = "arn:" + s.partition() + ":acm-pca:::template/" + issuance.DefaultTemplateName + "/V1"
	}
	ca, err := s.loadWith(ctx, caller, "IssueCertificate", arn, map[string][]string{ConditionTemplateArn: {template}})
	if err != nil {
		return "", err
	}
	if caller.Account != ca.Account && !crossAccountTemplate(template) {
		// Whatever the resource policy says: AWS lets other accounts issue
		// end-entity and path-length-0 subordinate certificates only.
		return "", Errorf(KindAccessDenied, "User: %s is not authorized to perform: acm-pca:IssueCertificate on resource: %s because another account may not issue with %s",
			caller.ARN, arn, template)
	}
	certArn, err := s.issue(ctx, ca, req)
	if err != nil {
		s.emit(events.CertificateIssuance, []string{arn}, map[string]any{"result": "failure"})
		return "", err
	}
	s.emit(events.CertificateIssuance, []string{arn, certArn}, map[string]any{"result": "success"})
	return certArn, nil
}

func (s *Service) issue(ctx context.Context, ca *CA, req IssueRequest) (string, error) {
	tmpl, err := issuance.LookupTemplate(req.TemplateArn)
	if err != nil {
		return "", Errorf(KindInvalidArgs, "The template %q is not a template AWS Private CA offers.", req.TemplateArn)
	}
	now := s.now()
	selfSign := tmpl.Root
	switch st := ca.Reported(now); {
	case selfSign && ca.Type != TypeRoot:
		return "", Errorf(KindInvalidArgs, "The template %s can only be used by a ROOT certificate authority to sign its own certificate.", tmpl.Name)
	case selfSign && (st == StatusPendingCertificate || st == StatusActive || st == StatusExpired):
	case st != StatusActive:
		return "", Errorf(KindInvalidState, "The certificate authority is not in a valid state for issuing certificates")
	}
	if err := CheckSigningAlgorithm(ca.Config.KeyAlgorithm, req.SigningAlgorithm); err != nil {
		return "", err
	}
	csr, err := parseCSR(req.CSR, func(pub crypto.PublicKey) error { return issuance.CheckPublicKey(pub, tmpl.IsCA) })
	if err != nil {
		return "", err
	}
	signer, err := s.Keys.Signer(ctx, ca.Key)
	if err != nil {
		return "", fmt.Errorf("CA key: %w", err)
	}
	if selfSign && !samePublicKey(csr.PublicKey, signer.Public()) {
		return "", Errorf(KindInvalidArgs, "Root CA CSR is not provided: a root template must be used with the certificate authority's own CSR.")
	}
	nb, na, err := issuance.ComputeValidity(req.Validity, req.ValidityNotBefore, now)
	if err != nil {
		return "", Errorf(KindValidation, "%s", strings.TrimPrefix(err.Error(), "issuance: "))
	}
	if ca.UsageMode == UsageModeShortLived && na.Sub(now) > ShortLivedMaxValidity {
		return "", Errorf(KindValidation, "A certificate authority in SHORT_LIVED_CERTIFICATE mode issues certificates valid for at most 7 days.")
	}
	var issuer *x509.Certificate
	if !selfSign {
		if issuer, err = parseCertificatePEM(ca.Certificate); err != nil {
			return "", fmt.Errorf("CA certificate of %s: %w", ca.ID, err)
		}
		if na.After(issuer.NotAfter) {
			return "", Errorf(KindValidation, "The certificate validity specified exceeds the CA validity.")
		}
	}
	ski, err := x509util.SubjectKeyID(csr.PublicKey)
	if err != nil {
		return "", Errorf(KindMalformedCSR, "The CSR's public key is not supported: %v", err)
	}
	partition, crlEnabled, err := "", false, nil
	var cdp, freshest []string
	if !selfSign {
		if partition, crlEnabled, err = s.crlPartition(ctx, ca); err != nil {
			return "", err
		}
		if c := ca.Revocation.CRL; crlEnabled && (c.OmitExtension == nil || !*c.OmitExtension) {
			cdp = []string{s.CRLURL(ca, partition)}
			if s.PublishesDeltas(ca) {
				freshest = []string{s.DeltaCRLURL(ca)}
			}
		}
	}
	var idem *Idempotency
	if req.IdempotencyToken != "" {
		idem = &Idempotency{Account: ca.Account, Operation: "IssueCertificate/" + ca.ID, Token: req.IdempotencyToken, Since: now.Add(-IdempotencyWindow)}
	}
	// A fresh serial clashes with an earlier one about never; retry a few
	// times rather than trust that.
	for range 4 {
		serial, err := issuance.NewSerial(s.rand())
		if err != nil {
			return "", err
		}
		template, err := issuance.Build(issuance.Request{
			Template: tmpl, CSR: csr.CertificateRequest, SubjectKeyID: ski, Passthrough: req.Passthrough,
			Issuer: issuer, SerialNumber: serial, NotBefore: nb, NotAfter: na,
			CRLDistributionPoints: cdp,
			FreshestCRL:           freshest,
			OCSPServer:            s.ocspURLs(ca, selfSign),
		})
		if err != nil {
			return "", buildError(err)
		}
		parent := issuer
		if selfSign {
			// A root names its own key as authority, so every verifier can
			// tell it is self-signed without checking the signature.
			parent, template.AuthorityKeyId = template, ski
		}
		der, err := x509util.CreateCertificate(s.rand(), template, parent, csr.PublicKey, signer, req.SigningAlgorithm)
		if err != nil {
			return "", fmt.Errorf("sign certificate: %w", err)
		}
		if err := issuance.Lint(der); err != nil {
			return "", Errorf(KindInvalidArgs, "The requested certificate would not be valid under RFC 5280: %v", strings.TrimPrefix(err.Error(), "issuance: "))
		}
		cert := &Certificate{CAID: ca.ID, Serial: serialHex(serial.Bytes()), DER: der, IssuedAt: now, NotBefore: nb, NotAfter: na,
			Partition: partition, TemplateArn: s.templateArn(tmpl), Names: certificateNames(der), NamesCRL: len(cdp) > 0}
		limit := s.CertificateLimit
		if limit == 0 {
			limit = DefaultCertificateLimit
		}
		got, err := s.Store.CreateCertificate(ctx, cert, idem, limit)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if errors.Is(err, ErrLimit) {
			return "", Errorf(KindLimitExceeded, "The certificate authority has reached its quota of %d certificates.", limit)
		}
		if err != nil {
			return "", err
		}
		if crlEnabled && s.CRLs != nil {
			// AWS publishes a CRL once a certificate refers to it.
			s.CRLs.Schedule(ca.Account, ca.ID, partition)
		}
		return s.CAArn(ca) + "/certificate/" + got.Serial, nil
	}
	return "", errors.New("no unique serial number after 4 attempts")
}

// ocspURLs is the OCSP responder named in issued certificates: the CA's
// custom name when set, as AWS does, otherwise openpca's own responder.
func (s *Service) ocspURLs(ca *CA, selfSign bool) []string {
	o := ca.Revocation.OCSP
	switch {
	case !o.Enabled || selfSign:
		return nil
	case o.OcspCustomCname != "":
		return []string{"http://" + o.OcspCustomCname}
	}
	return []string{strings.TrimSuffix(s.OCSPURL, "/")}
}

// certificateNames lists what a certificate is for, as Certificate.Names.
func certificateNames(der []byte) string {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return ""
	}
	names := append([]string{c.Subject.CommonName}, c.DNSNames...)
	names = append(names, c.EmailAddresses...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	for _, u := range c.URIs {
		names = append(names, u.String())
	}
	return strings.ToLower(strings.Join(slices.DeleteFunc(names, func(n string) bool { return n == "" }), "\n"))
}

// templateArn names a template as AWS's audit reports do.
func (s *Service) templateArn(t *issuance.Template) string {
	return "arn:" + s.partition() + ":acm-pca:::template/" + t.Name + "/V1"
}

// CRLKey is the object key of a CA's CRL: the complete CRL, or one
// partition of a PARTITIONED CRL.
func CRLKey(ca *CA, partition string) string {
	name := ca.ID + ".crl"
	if partition != "" {
		name = ca.ID + "/" + partition + ".crl"
	}
	if ca.Revocation.CRL.CustomPath != "" {
		return ca.Revocation.CRL.CustomPath + "/" + name
	}
	return "crl/" + name
}

// PublishesDeltas says the CA's complete CRL has a delta CRL beside it.
func (s *Service) PublishesDeltas(ca *CA) bool {
	return s.DeltaCRLs && ca.Revocation.CRL.Enabled && ca.Revocation.CRL.CrlType != "PARTITIONED"
}

// DeltaCRLKey is the object key of a CA's delta CRL, beside its complete CRL.
func DeltaCRLKey(ca *CA) string {
	return strings.TrimSuffix(CRLKey(ca, ""), ".crl") + "-delta.crl"
}

// DeltaCRLURL is where a CA's delta CRL is fetched.
func (s *Service) DeltaCRLURL(ca *CA) string {
	return strings.TrimSuffix(s.CRLURL(ca, ""), ".crl") + "-delta.crl"
}

// CRLURL is where a CRL is fetched: under the CA's custom name when it has
// one, otherwise under the object store's public URL.
func (s *Service) CRLURL(ca *CA, partition string) string {
	c := ca.Revocation.CRL
	if c.CustomCname != "" {
		return "http://" + c.CustomCname + "/" + CRLKey(ca, partition)
	}
	return strings.TrimSuffix(s.ObjectBaseURL, "/") + "/" + c.S3BucketName + "/" + CRLKey(ca, partition)
}

// crlPartition binds a new certificate to its CRL: "" for a COMPLETE CRL, a
// partition with room otherwise. ok is false when CRLs are disabled.
func (s *Service) crlPartition(ctx context.Context, ca *CA) (partition string, ok bool, err error) {
	c := ca.Revocation.CRL
	if !c.Enabled {
		return "", false, nil
	}
	if c.CrlType != "PARTITIONED" {
		return "", true, nil
	}
	size := s.PartitionSize
	if size == 0 {
		size = DefaultPartitionSize
	}
	p, err := s.Store.ReservePartition(ctx, ca.ID, s.newID(), size, s.now())
	return p, err == nil, err
}

// CertificateWithChain is what GetCertificate returns.
type CertificateWithChain struct {
	Certificate string // PEM, without a trailing newline
	Chain       string // PEM, issuer first and root last; empty for a root's own certificate
	Record      *Certificate
}

// GetCertificate returns a certificate the CA issued, revoked or not.
func (s *Service) GetCertificate(ctx context.Context, caller Caller, caArn, certArn string) (*CertificateWithChain, error) {
	ca, err := s.load(ctx, caller, "GetCertificate", caArn)
	if err != nil {
		return nil, err
	}
	serial, ok := strings.CutPrefix(certArn, caArn+"/certificate/")
	if !ok || serial == "" || strings.ToLower(serial) != serial {
		return nil, Errorf(KindInvalidArn, "The certificate ARN %q does not name a certificate of %s.", certArn, caArn)
	}
	if _, err := hex.DecodeString(evenHex(serial)); err != nil {
		return nil, Errorf(KindInvalidArn, "The certificate ARN %q does not name a certificate of %s.", certArn, caArn)
	}
	switch ca.Status {
	case StatusCreating, StatusFailed, StatusDeleted:
		return nil, Errorf(KindInvalidState, "The certificate authority %s is in the %s state.", caArn, ca.Status)
	}
	cert, err := s.Store.GetCertificate(ctx, ca.ID, serial)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(KindNotFound, "Could not find certificate %s.", certArn)
	}
	if err != nil {
		return nil, err
	}
	out := &CertificateWithChain{Certificate: pemString("CERTIFICATE", cert.DER), Record: cert}
	if !ownRootCertificate(cert, ca) {
		out.Chain = joinPEM(ca.Certificate, ca.CertificateChain)
	}
	return out, nil
}

// ownRootCertificate reports whether cert is a root CA's self-signed
// certificate for its own key, which has no chain: only a root may use a
// root template, and only for its own CSR.
func ownRootCertificate(cert *Certificate, ca *CA) bool {
	if ca.Type != TypeRoot {
		return false
	}
	t, err := issuance.LookupTemplate(cert.TemplateArn)
	return err == nil && t.Root
}

// parseCSR parses a CSR, passing its public key to checkKey before the
// signature is verified.
func parseCSR(in []byte, checkKey ...func(crypto.PublicKey) error) (*x509util.CertificateRequest, error) {
	der := in
	if block, _ := pem.Decode(in); block != nil {
		der = block.Bytes
	}
	csr, err := x509util.ParseCertificateRequest(der, checkKey...)
	var bad *issuance.MalformedError
	if errors.As(err, &bad) {
		return nil, Errorf(KindMalformedCSR, "The certificate signing request is not acceptable: %s", bad.Msg)
	}
	if err != nil {
		return nil, Errorf(KindMalformedCSR, "The certificate signing request is invalid: %v", err)
	}
	return csr, nil
}

// buildError maps the issuance package's typed errors to domain kinds.
func buildError(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), "issuance: ")
	var arg *issuance.ArgError
	var malformed *issuance.MalformedError
	var pathLen *issuance.PathLenError
	switch {
	case errors.As(err, &arg):
		return Errorf(KindInvalidArgs, "%s", msg)
	case errors.As(err, &malformed):
		return Errorf(KindMalformedCSR, "%s", msg)
	case errors.As(err, &pathLen):
		return Errorf(KindValidation, "%s", msg)
	}
	return err
}

// serialHex is the lowercase hex of a serial, without leading zeros, as in
// certificate ARNs.
func serialHex(b []byte) string {
	s := strings.TrimLeft(hex.EncodeToString(b), "0")
	if s == "" {
		return "0"
	}
	return s
}

func evenHex(s string) string {
	if len(s)%2 == 1 {
		return "0" + s
	}
	return s
}

func pemString(typ string, der []byte) string {
	return strings.TrimSuffix(string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})), "\n")
}

// joinPEM joins PEM texts with one newline between them.
func joinPEM(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "\n")
}

func parseCertificatePEM(s string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

func samePublicKey(a, b any) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}
