package pca

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/openpca/openpca/internal/events"
)

// DefaultRevokedLimit is AWS's quota of unexpired revoked certificates per CA
// with a COMPLETE CRL (not adjustable there; configurable here for tests).
const DefaultRevokedLimit = 1_000_000

// ReasonCodes maps AWS's RevocationReason names to RFC 5280 CRLReason codes.
var ReasonCodes = map[string]int{
	"UNSPECIFIED":                      0,
	"KEY_COMPROMISE":                   1,
	"CERTIFICATE_AUTHORITY_COMPROMISE": 2,
	"AFFILIATION_CHANGED":              3,
	"SUPERSEDED":                       4,
	"CESSATION_OF_OPERATION":           5,
	"PRIVILEGE_WITHDRAWN":              9,
	"A_A_COMPROMISE":                   10,
}

// DefaultPartitionSize is how many certificates share one CRL partition: even
// with all of them revoked the partition's CRL stays well under AWS's 1 MB.
const DefaultPartitionSize = 10_000

// BucketChecker proves a bucket writable, as AWS does on Create and Update by
// writing acm-pca-permission-test-key.
type BucketChecker interface {
	CheckWritable(ctx context.Context, bucket, acl string) error
}

// OCSPCache is told when answers must change: a certificate was revoked, or
// a CA changed in a way that affects which CAs answer.
type OCSPCache interface {
	Revoked(caID, serial string)
	InvalidateCAs()
}

// CRLScheduler is told when a CRL needs rebuilding; it must not block.
type CRLScheduler interface {
	Schedule(account, caID, partition string)
	// Revoked is Schedule for a revocation made at: the CRL now misses it.
	Revoked(account, caID, partition string, at time.Time)
}

// RevokeCertificate revokes a certificate the CA issued. It returns once the
// revocation is durable; the CRL follows within the publisher's debounce.
func (s *Service) RevokeCertificate(ctx context.Context, caller Caller, arn, serial, reason string) error {
	ca, err := s.load(ctx, caller, "RevokeCertificate", arn)
	if err != nil {
		return err
	}
	if st := ca.Reported(s.now()); !operational(st) {
		return Errorf(KindInvalidState, "The state of the private CA does not allow this action to occur: it is %s.", st)
	}
	hex, ok := normalizeSerial(serial)
	if !ok {
		return Errorf(KindInvalidRequest, "The certificate serial %q is not a hexadecimal serial number.", serial)
	}
	if ca.Type == TypeRoot && hex == ca.Serial {
		return Errorf(KindInvalidRequest, "Self-signed certificate can not be revoked. Delete the CA instead.")
	}
	limit := s.RevokedLimit
	if limit == 0 {
		limit = DefaultRevokedLimit
	}
	if ca.Revocation.CRL.CrlType == "PARTITIONED" {
		limit = -1 // partitions grow instead; each is bounded at issuance
	}
	cert, err := s.Store.RevokeCertificate(ctx, ca.ID, hex, s.now(), reason, limit)
	switch {
	case errors.Is(err, ErrNotFound):
		return Errorf(KindNotFound, "Could not find certificate with serial %s issued by %s.", serial, arn)
	case errors.Is(err, ErrAlreadyRevoked):
		return Errorf(KindRequestAlreadyProcessed, "The certificate with serial %s has already been revoked.", serial)
	case errors.Is(err, ErrExpired):
		return Errorf(KindInvalidRequest, "The certificate with serial %s has expired and cannot be revoked.", serial)
	case errors.Is(err, ErrLimit):
		return Errorf(KindLimitExceeded, "The certificate authority has reached its quota of %d unexpired revoked certificates.", limit)
	case err != nil:
		return err
	}
	if s.OCSP != nil {
		s.OCSP.Revoked(ca.ID, hex)
	}
	if s.CRLs != nil && ca.Revocation.CRL.Enabled {
		s.CRLs.Revoked(ca.Account, ca.ID, cert.Partition, cert.RevokedAt)
	}
	s.emit(events.CertificateRevocation, []string{arn, s.CAArn(ca) + "/certificate/" + hex}, map[string]any{"result": "success"})
	return nil
}

// normalizeSerial accepts hex with or without colons, in any case, with or
// without leading zero bytes, and returns it as the certificate ARN writes it.
func normalizeSerial(s string) (string, bool) {
	s = strings.ToLower(strings.ReplaceAll(s, ":", ""))
	if s == "" {
		return "", false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", false
		}
	}
	if s = strings.TrimLeft(s, "0"); s == "" {
		s = "0"
	}
	return s, true
}

// checkBucket proves the CRL bucket of a requested configuration writable.
func (s *Service) checkBucket(ctx context.Context, req RevocationRequest) error {
	if s.Buckets == nil || req.CRL == nil || !req.CRL.Enabled {
		return nil
	}
	bucket := req.CRL.S3BucketName
	if err := s.Buckets.CheckWritable(ctx, bucket, orDefault(req.CRL.S3ObjectACL, DefaultS3ObjectACL)); err != nil {
		if s.Log != nil {
			s.Log.Warn("CRL bucket is not writable", "bucket", bucket, "err", err)
		}
		return Errorf(KindValidation, "Permission error with your S3 bucket '%s'. Check that your bucket policy, encryption settings, S3 Block Public Access settings, and global account permissions are configured correctly. For more information, check the service documentation.", bucket)
	}
	return nil
}
