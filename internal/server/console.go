package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/openpca/openpca/internal/console"
	"github.com/openpca/openpca/internal/credentials"
	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/principals"
	"github.com/openpca/openpca/internal/store/sqlstore"
	"github.com/openpca/openpca/internal/sts"
)

// newConsole builds the web console served under /console/. Operators sign
// in with the keys the API's signature check accepts (the root key and
// principals' keys, read through the same resolver, and temporary
// credentials from STS) and act as the same callers.
func newConsole(domain *pca.Service, store *sqlstore.Store, objects objstore.Store, key credentials.Key, root pca.Caller,
	resolver *principals.Resolver, tokens *sts.Service, now func() time.Time, log *slog.Logger) (http.Handler, error) {
	lookup := func(ctx context.Context, id, token string) (console.Identity, bool, error) {
		if token != "" {
			p, secret, err := tokens.Resolve(ctx, id, token)
			if errors.Is(err, sts.ErrInvalidToken) || errors.Is(err, sts.ErrExpiredToken) {
				return console.Identity{}, false, nil
			}
			if err != nil {
				return console.Identity{}, false, err
			}
			return console.Identity{Secret: secret, Caller: pca.Caller{Account: p.Account, ARN: p.ARN, Root: p.Root, Policies: p.Policies,
				SessionPolicies: p.SessionPolicies, Context: p.ConditionKeys()}}, true, nil
		}
		if id == key.AccessKeyID {
			return console.Identity{Secret: key.SecretAccessKey, Caller: root}, true, nil
		}
		p, err := resolver.Lookup(ctx, id)
		if err != nil || p == nil {
			return console.Identity{}, false, err
		}
		return console.Identity{Secret: p.Secret, Caller: pca.Caller{Account: p.Account, ARN: p.ARN, Policies: p.Policies}}, true, nil
	}
	return console.New(console.Config{Domain: domain, Store: store, Keys: lookup, Objects: objects, Now: now, Log: log})
}
