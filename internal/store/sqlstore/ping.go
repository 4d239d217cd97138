package sqlstore

import (
	"context"
	"fmt"
)

// Ping runs a trivial query, so a readiness check learns that the database
// answers queries, not merely that the pool still holds a connection.
// database/sql replaces a pooled connection the server has closed, so Ping
// succeeds again as soon as the database is back.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("sqlstore: ping %s: %w", s.d.Name, err)
	}
	return nil
}
