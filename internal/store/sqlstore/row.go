package sqlstore

import (
	"encoding/json"
	"fmt"

	"github.com/openpca/openpca/internal/pca"
)

// caRow is the stored form of a CA. Nested configuration and tags are kept
// as JSON documents: they are read and written whole and never queried, and
// one row read per request keeps Describe cheap.
type caRow struct {
	ID, Account, Type, Status, StatusBeforeDeletion, FailureReason string
	CreatedAt, LastStateChangeAt, RestorableUntil                  int64
	Serial                                                         string
	NotBefore, NotAfter                                            int64
	KeyStorage, UsageMode, Config, Revocation, Tags                string
	KeyHandle, CSR, Certificate, CertificateChain, Policy          string
}

// dest and args list the columns in caColumns order.
func (r *caRow) dest() []any {
	return []any{&r.ID, &r.Account, &r.Type, &r.Status, &r.StatusBeforeDeletion, &r.FailureReason, &r.CreatedAt,
		&r.LastStateChangeAt, &r.RestorableUntil, &r.Serial, &r.NotBefore, &r.NotAfter, &r.KeyStorage, &r.UsageMode,
		&r.Config, &r.Revocation, &r.Tags, &r.KeyHandle, &r.CSR, &r.Certificate, &r.CertificateChain, &r.Policy}
}

func (r *caRow) args() []any {
	return []any{r.ID, r.Account, r.Type, r.Status, r.StatusBeforeDeletion, r.FailureReason, r.CreatedAt,
		r.LastStateChangeAt, r.RestorableUntil, r.Serial, r.NotBefore, r.NotAfter, r.KeyStorage, r.UsageMode,
		r.Config, r.Revocation, r.Tags, r.KeyHandle, r.CSR, r.Certificate, r.CertificateChain, r.Policy}
}

func toRow(ca *pca.CA) (*caRow, error) {
	cfg, err := json.Marshal(ca.Config)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: encode config: %w", err)
	}
	rev, err := json.Marshal(ca.Revocation)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: encode revocation: %w", err)
	}
	tags, err := json.Marshal(ca.Tags)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: encode tags: %w", err)
	}
	key, err := json.Marshal(ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: encode key handle: %w", err)
	}
	return &caRow{
		ID: ca.ID, Account: ca.Account, Type: string(ca.Type), Status: string(ca.Status),
		StatusBeforeDeletion: string(ca.StatusBeforeDeletion), FailureReason: ca.FailureReason,
		CreatedAt: millis(ca.CreatedAt), LastStateChangeAt: millis(ca.LastStateChangeAt),
		RestorableUntil: millis(ca.RestorableUntil), Serial: ca.Serial,
		NotBefore: millis(ca.NotBefore), NotAfter: millis(ca.NotAfter),
		KeyStorage: ca.KeyStorage, UsageMode: ca.UsageMode, Config: string(cfg), Revocation: string(rev), Tags: string(tags),
		KeyHandle: string(key), CSR: ca.CSR, Certificate: ca.Certificate, CertificateChain: ca.CertificateChain,
		Policy: ca.Policy,
	}, nil
}

func (r *caRow) toCA() (*pca.CA, error) {
	ca := &pca.CA{
		ID: r.ID, Account: r.Account, Type: pca.Type(r.Type), Status: pca.Status(r.Status),
		StatusBeforeDeletion: pca.Status(r.StatusBeforeDeletion), FailureReason: r.FailureReason,
		CreatedAt: fromMillis(r.CreatedAt), LastStateChangeAt: fromMillis(r.LastStateChangeAt),
		RestorableUntil: fromMillis(r.RestorableUntil), Serial: r.Serial,
		NotBefore: fromMillis(r.NotBefore), NotAfter: fromMillis(r.NotAfter),
		KeyStorage: r.KeyStorage, UsageMode: r.UsageMode,
		CSR: r.CSR, Certificate: r.Certificate, CertificateChain: r.CertificateChain, Policy: r.Policy,
	}
	if err := json.Unmarshal([]byte(r.Config), &ca.Config); err != nil {
		return nil, fmt.Errorf("sqlstore: decode config of %s: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Revocation), &ca.Revocation); err != nil {
		return nil, fmt.Errorf("sqlstore: decode revocation of %s: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.KeyHandle), &ca.Key); err != nil {
		return nil, fmt.Errorf("sqlstore: decode key handle of %s: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Tags), &ca.Tags); err != nil {
		return nil, fmt.Errorf("sqlstore: decode tags of %s: %w", r.ID, err)
	}
	return ca, nil
}
