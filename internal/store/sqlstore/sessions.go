package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openpca/openpca/internal/principals"
	"github.com/openpca/openpca/internal/sts"
)

var _ sts.Store = (*Store)(nil)

// sessionRetention is how long a session row outlives its expiry, so its
// token is answered "expired" rather than "invalid" for that long.
const sessionRetention = 7 * 24 * time.Hour

// CreateSession implements sts.Store. Sessions expired for longer than
// the retention go in the same transaction: an indexed range delete.
func (s *Store) CreateSession(ctx context.Context, sess *sts.Session) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM sts_sessions WHERE expires_at < ?`, millis(sess.CreatedAt.Add(-sessionRetention))); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `INSERT INTO sts_sessions (access_key_id, token_hash, sealed_secret, account, role_name, role_id, session_name, session_policy, source_arn, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sess.AccessKeyID, sess.TokenHash, sess.SealedSecret, sess.Account, sess.RoleName, sess.RoleID, sess.SessionName, sess.Policy, sess.SourceARN,
			millis(sess.ExpiresAt), millis(sess.CreatedAt))
		return err
	})
}

// Session implements sts.Store: one read by primary key.
func (s *Store) Session(ctx context.Context, accessKeyID string) (*sts.Session, error) {
	sess := &sts.Session{AccessKeyID: accessKeyID}
	var expires, created int64
	err := s.queryRow(ctx, nil, `SELECT token_hash, sealed_secret, account, role_name, role_id, session_name, session_policy, source_arn, expires_at, created_at
		FROM sts_sessions WHERE access_key_id = ?`, []any{accessKeyID},
		&sess.TokenHash, &sess.SealedSecret, &sess.Account, &sess.RoleName, &sess.RoleID, &sess.SessionName, &sess.Policy, &sess.SourceARN, &expires, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, principals.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: session: %w", err)
	}
	sess.ExpiresAt, sess.CreatedAt = fromMillis(expires), fromMillis(created)
	return sess, nil
}
