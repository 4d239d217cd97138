package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/openpca/openpca/internal/principals"
)

var _ principals.Store = (*Store)(nil)

// CreatePrincipal implements principals.Store.
func (s *Store) CreatePrincipal(ctx context.Context, p *principals.Principal, key *principals.AccessKey) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `INSERT INTO principals (account, name, created_at) VALUES (?, ?, ?)`, p.Account, p.Name, millis(p.CreatedAt)); err != nil {
			return err
		}
		return s.insertKey(ctx, tx, key)
	})
	if err != nil && s.d.IsUniqueViolation(err) {
		return principals.ErrExists
	}
	return err
}

func (s *Store) insertKey(ctx context.Context, tx *sql.Tx, key *principals.AccessKey) error {
	_, err := s.exec(ctx, tx, `INSERT INTO access_keys (id, account, principal_name, sealed_secret, created_at) VALUES (?, ?, ?, ?, ?)`,
		key.ID, key.Account, key.Name, key.SealedSecret, millis(key.CreatedAt))
	return err
}

// Principals implements principals.Store.
func (s *Store) Principals(ctx context.Context) ([]*principals.Principal, error) {
	rows, err := s.query(ctx, nil, `SELECT account, name, created_at FROM principals ORDER BY account, name`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list principals: %w", err)
	}
	defer rows.Close()
	var out []*principals.Principal
	byKey := map[string]*principals.Principal{}
	for rows.Next() {
		p := &principals.Principal{}
		var created int64
		if err := rows.Scan(&p.Account, &p.Name, &created); err != nil {
			return nil, err
		}
		p.CreatedAt = fromMillis(created)
		out = append(out, p)
		byKey[p.Account+"/"+p.Name] = p
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	keys, err := s.query(ctx, nil, `SELECT account, principal_name, id FROM access_keys ORDER BY account, principal_name, created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list access keys: %w", err)
	}
	defer keys.Close()
	for keys.Next() {
		var account, name, id string
		if err := keys.Scan(&account, &name, &id); err != nil {
			return nil, err
		}
		if p := byKey[account+"/"+name]; p != nil {
			p.AccessKeyIDs = append(p.AccessKeyIDs, id)
		}
	}
	if err := keys.Err(); err != nil {
		return nil, err
	}
	keys.Close()
	for _, p := range out {
		if p.Policies, err = s.principalPolicies(ctx, p.Account, p.Name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) principalPolicies(ctx context.Context, account, name string) ([]principals.NamedPolicy, error) {
	return s.namedPolicies(ctx, `SELECT policy_name, document FROM principal_policies WHERE account = ? AND principal_name = ? ORDER BY policy_name`, account, name)
}

// namedPolicies reads the (name, document) rows query selects: the
// identity policies of a principal or a role.
func (s *Store) namedPolicies(ctx context.Context, query string, args ...any) ([]principals.NamedPolicy, error) {
	rows, err := s.query(ctx, nil, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: policies: %w", err)
	}
	defer rows.Close()
	var out []principals.NamedPolicy
	for rows.Next() {
		var np principals.NamedPolicy
		if err := rows.Scan(&np.Name, &np.Document); err != nil {
			return nil, err
		}
		out = append(out, np)
	}
	return out, rows.Err()
}

// DeletePrincipal implements principals.Store. Keys and policies go with it
// (ON DELETE CASCADE).
func (s *Store) DeletePrincipal(ctx context.Context, account, name string) error {
	return s.deleteOne(ctx, `DELETE FROM principals WHERE account = ? AND name = ?`, principals.ErrNotFound, account, name)
}

// AddAccessKey implements principals.Store.
func (s *Store) AddAccessKey(ctx context.Context, key *principals.AccessKey) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := s.principalExists(ctx, tx, key.Account, key.Name); err != nil {
			return err
		}
		return s.insertKey(ctx, tx, key)
	})
}

func (s *Store) principalExists(ctx context.Context, tx *sql.Tx, account, name string) error {
	var n int
	if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM principals WHERE account = ? AND name = ?`, []any{account, name}, &n); err != nil {
		return err
	}
	if n == 0 {
		return principals.ErrNotFound
	}
	return nil
}

// DeleteAccessKey implements principals.Store.
func (s *Store) DeleteAccessKey(ctx context.Context, account, name, id string) error {
	return s.deleteOne(ctx, `DELETE FROM access_keys WHERE account = ? AND principal_name = ? AND id = ?`, principals.ErrNotFound, account, name, id)
}

// PutPrincipalPolicy implements principals.Store.
func (s *Store) PutPrincipalPolicy(ctx context.Context, account, name string, policy principals.NamedPolicy) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := s.principalExists(ctx, tx, account, name); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `INSERT INTO principal_policies (account, principal_name, policy_name, document) VALUES (?, ?, ?, ?)
			ON CONFLICT (account, principal_name, policy_name) DO UPDATE SET document = excluded.document`, account, name, policy.Name, policy.Document)
		return err
	})
}

// DeletePrincipalPolicy implements principals.Store.
func (s *Store) DeletePrincipalPolicy(ctx context.Context, account, name, policyName string) error {
	return s.deleteOne(ctx, `DELETE FROM principal_policies WHERE account = ? AND principal_name = ? AND policy_name = ?`, principals.ErrNotFound, account, name, policyName)
}

// LookupAccessKey implements principals.Store: two indexed reads, run per
// request when the server's cache has expired.
func (s *Store) LookupAccessKey(ctx context.Context, id string) (*principals.AccessKey, *principals.Principal, error) {
	key := &principals.AccessKey{ID: id}
	var created int64
	err := s.queryRow(ctx, nil, `SELECT account, principal_name, sealed_secret, created_at FROM access_keys WHERE id = ?`, []any{id},
		&key.Account, &key.Name, &key.SealedSecret, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, principals.ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: lookup access key: %w", err)
	}
	key.CreatedAt = fromMillis(created)
	p := &principals.Principal{Account: key.Account, Name: key.Name, AccessKeyIDs: []string{id}}
	if p.Policies, err = s.principalPolicies(ctx, key.Account, key.Name); err != nil {
		return nil, nil, err
	}
	return key, p, nil
}
