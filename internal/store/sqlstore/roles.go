package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/openpca/openpca/internal/principals"
)

var _ principals.RoleStore = (*Store)(nil)

// CreateRole implements principals.RoleStore.
func (s *Store) CreateRole(ctx context.Context, r *principals.Role) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO roles (account, name, role_id, trust_policy, max_session_duration, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			r.Account, r.Name, r.ID, r.TrustPolicy, int64(r.MaxSessionDuration/time.Second), millis(r.CreatedAt))
		return err
	})
	if err != nil && s.d.IsUniqueViolation(err) {
		return principals.ErrExists
	}
	return err
}

const roleColumns = `account, name, role_id, trust_policy, max_session_duration, created_at`

func scanRole(scan func(...any) error) (*principals.Role, error) {
	r := &principals.Role{}
	var maxSession, created int64
	if err := scan(&r.Account, &r.Name, &r.ID, &r.TrustPolicy, &maxSession, &created); err != nil {
		return nil, err
	}
	r.MaxSessionDuration = time.Duration(maxSession) * time.Second
	r.CreatedAt = fromMillis(created)
	return r, nil
}

// Role implements principals.RoleStore: two indexed reads, run per request
// made with temporary credentials when the server's cache has expired.
func (s *Store) Role(ctx context.Context, account, name string) (*principals.Role, error) {
	rows, err := s.query(ctx, nil, `SELECT `+roleColumns+` FROM roles WHERE account = ? AND name = ?`, account, name)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: role: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, principals.ErrNotFound
	}
	r, err := scanRole(rows.Scan)
	if err != nil {
		return nil, err
	}
	rows.Close()
	if r.Policies, err = s.rolePolicies(ctx, account, name); err != nil {
		return nil, err
	}
	return r, nil
}

// Roles implements principals.RoleStore.
func (s *Store) Roles(ctx context.Context) ([]*principals.Role, error) {
	rows, err := s.query(ctx, nil, `SELECT `+roleColumns+` FROM roles ORDER BY account, name`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list roles: %w", err)
	}
	defer rows.Close()
	var out []*principals.Role
	for rows.Next() {
		r, err := scanRole(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for _, r := range out {
		if r.Policies, err = s.rolePolicies(ctx, r.Account, r.Name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) rolePolicies(ctx context.Context, account, name string) ([]principals.NamedPolicy, error) {
	return s.namedPolicies(ctx, `SELECT policy_name, document FROM role_policies WHERE account = ? AND role_name = ? ORDER BY policy_name`, account, name)
}

// DeleteRole implements principals.RoleStore. Policies go with it (ON
// DELETE CASCADE); its sessions stay until they are purged, refused
// because the role is gone.
func (s *Store) DeleteRole(ctx context.Context, account, name string) error {
	return s.deleteOne(ctx, `DELETE FROM roles WHERE account = ? AND name = ?`, principals.ErrNotFound, account, name)
}

// UpdateRole implements principals.RoleStore.
func (s *Store) UpdateRole(ctx context.Context, account, name, trustPolicy string, maxSession time.Duration) error {
	return s.deleteOne(ctx, `UPDATE roles SET trust_policy = ?, max_session_duration = ? WHERE account = ? AND name = ?`, principals.ErrNotFound,
		trustPolicy, int64(maxSession/time.Second), account, name)
}

func (s *Store) roleExists(ctx context.Context, tx *sql.Tx, account, name string) error {
	var n int
	if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM roles WHERE account = ? AND name = ?`, []any{account, name}, &n); err != nil {
		return err
	}
	if n == 0 {
		return principals.ErrNotFound
	}
	return nil
}

// PutRolePolicy implements principals.RoleStore.
func (s *Store) PutRolePolicy(ctx context.Context, account, name string, policy principals.NamedPolicy) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := s.roleExists(ctx, tx, account, name); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `INSERT INTO role_policies (account, role_name, policy_name, document) VALUES (?, ?, ?, ?)
			ON CONFLICT (account, role_name, policy_name) DO UPDATE SET document = excluded.document`, account, name, policy.Name, policy.Document)
		return err
	})
}

// DeleteRolePolicy implements principals.RoleStore.
func (s *Store) DeleteRolePolicy(ctx context.Context, account, name, policyName string) error {
	return s.deleteOne(ctx, `DELETE FROM role_policies WHERE account = ? AND role_name = ? AND policy_name = ?`, principals.ErrNotFound, account, name, policyName)
}

// PutOIDCProvider implements principals.RoleStore.
func (s *Store) PutOIDCProvider(ctx context.Context, p *principals.OIDCProvider) error {
	aud, err := json.Marshal(p.Audiences)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO oidc_providers (account, url, audiences, jwks, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account, url) DO UPDATE SET audiences = excluded.audiences, jwks = excluded.jwks`, p.Account, p.URL, string(aud), p.JWKS, millis(p.CreatedAt))
		return err
	})
}

func scanProvider(scan func(...any) error) (*principals.OIDCProvider, error) {
	p := &principals.OIDCProvider{}
	var aud string
	var created int64
	if err := scan(&p.Account, &p.URL, &aud, &p.JWKS, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(aud), &p.Audiences); err != nil {
		return nil, fmt.Errorf("sqlstore: OIDC provider %s: audiences: %w", p.URL, err)
	}
	p.CreatedAt = fromMillis(created)
	return p, nil
}

// OIDCProvider implements principals.RoleStore.
func (s *Store) OIDCProvider(ctx context.Context, account, url string) (*principals.OIDCProvider, error) {
	rows, err := s.query(ctx, nil, `SELECT account, url, audiences, jwks, created_at FROM oidc_providers WHERE account = ? AND url = ?`, account, url)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: OIDC provider: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, principals.ErrNotFound
	}
	return scanProvider(rows.Scan)
}

// OIDCProviders implements principals.RoleStore.
func (s *Store) OIDCProviders(ctx context.Context) ([]*principals.OIDCProvider, error) {
	rows, err := s.query(ctx, nil, `SELECT account, url, audiences, jwks, created_at FROM oidc_providers ORDER BY account, url`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list OIDC providers: %w", err)
	}
	defer rows.Close()
	var out []*principals.OIDCProvider
	for rows.Next() {
		p, err := scanProvider(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeleteOIDCProvider implements principals.RoleStore.
func (s *Store) DeleteOIDCProvider(ctx context.Context, account, url string) error {
	return s.deleteOne(ctx, `DELETE FROM oidc_providers WHERE account = ? AND url = ?`, principals.ErrNotFound, account, url)
}
