package pca

import "context"

// Reads for operator views (the web console) that AWS has no operation of
// their own for. They authorize as the operations do, so a view shows a
// caller only what the API would let it read.

// Authorized returns the CA named by arn once caller may perform action on
// it, for a view that shows what the action would return (a CA's
// certificates, say, under GetCertificate).
func (s *Service) Authorized(ctx context.Context, caller Caller, action, arn string) (*CA, error) {
	return s.load(ctx, caller, action, arn)
}

// CRLStates returns the publication state of every CRL of the CA named by
// arn, partitions included, to a caller that may describe the CA.
func (s *Service) CRLStates(ctx context.Context, caller Caller, arn string) ([]CRLState, error) {
	ca, err := s.load(ctx, caller, "DescribeCertificateAuthority", arn)
	if err != nil {
		return nil, err
	}
	return s.Store.CRLStates(ctx, ca.ID)
}
