package sts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/openpca/openpca/internal/iam"
	"github.com/openpca/openpca/internal/principals"
)

// WebIdentityInput is an AssumeRoleWithWebIdentity request, already
// checked against the service model.
type WebIdentityInput struct {
	RoleArn          string
	RoleSessionName  string
	WebIdentityToken string
	Policy           string
	DurationSeconds  int32
}

// signatureAlgorithms are those OIDC providers sign ID tokens with.
var signatureAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

func invalidToken(msg string) error { return &Error{Kind: KindInvalidIdentityToken, Message: msg} }

// AssumeRoleWithWebIdentity gives the holder of an ID token temporary
// credentials for a role whose trust policy names the token's provider.
// The token must be signed by a key of the provider registered in the
// role's account for its issuer, be for one of its audiences, and be
// current. The trust policy may condition on <issuer>:sub and
// <issuer>:aud (the issuer without https://), as EKS and GitHub roles do.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, in WebIdentityInput) (*Result, error) {
	account, name, ok := parseRoleARN(in.RoleArn)
	if !ok {
		return nil, validation(in.RoleArn + " is invalid")
	}
	tok, err := jwt.ParseSigned(in.WebIdentityToken, signatureAlgorithms)
	if err != nil {
		return nil, invalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.Issuer == "" {
		return nil, invalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	issuer := unverified.Issuer
	if !strings.HasPrefix(issuer, "https://") {
		issuer = "https://" + issuer
	}
	provider, err := s.Store.OIDCProvider(ctx, account, issuer)
	if errors.Is(err, principals.ErrNotFound) {
		return nil, invalidToken("No OpenIDConnect provider found in your account for " + issuer)
	}
	if err != nil {
		return nil, err
	}
	var keys jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(provider.JWKS), &keys); err != nil {
		s.logger().Warn("OIDC provider's JWKS no longer parses", "provider", provider.ARN(), "err", err)
		return nil, invalidToken("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	var claims jwt.Claims
	if err := tok.Claims(keys, &claims); err != nil {
		return nil, invalidToken("The ID Token's signature could not be verified with the identity provider's keys")
	}
	now := s.now()
	switch {
	case claims.Expiry == nil:
		return nil, invalidToken("Missing a required claim: exp")
	case len(claims.Audience) == 0:
		return nil, invalidToken("Missing a required claim: aud")
	case claims.Subject == "":
		return nil, invalidToken("Missing a required claim: sub")
	}
	// No leeway: the provider and openpca are expected to keep time.
	err = claims.ValidateWithLeeway(jwt.Expected{Issuer: unverified.Issuer, Time: now}, 0)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return nil, &Error{Kind: KindExpiredIdentityToken, Message: fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), claims.Expiry.Time().Unix())}
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return nil, invalidToken("Token is not yet valid")
	case err != nil:
		return nil, invalidToken("The ID Token provided is not valid: " + err.Error())
	}
	var audience string
	for _, a := range claims.Audience {
		if slices.Contains(provider.Audiences, a) {
			audience = a
			break
		}
	}
	if audience == "" {
		return nil, invalidToken("Incorrect token audience")
	}

	refuse := &Error{Kind: KindAccessDenied, Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
	role, err := s.Store.Role(ctx, account, name)
	if errors.Is(err, principals.ErrNotFound) {
		return nil, refuse
	}
	if err != nil {
		return nil, err
	}
	trust, err := iam.ParseTrust(role.TrustPolicy)
	if err != nil {
		return nil, refuse
	}
	host := strings.TrimPrefix(provider.URL, "https://")
	providerARN := provider.ARN()
	r := &iam.Request{Action: "sts:AssumeRoleWithWebIdentity", Resource: role.ARN(), Principal: providerARN, Account: account, Federated: true,
		Context: map[string][]string{
			host + ":sub":           {claims.Subject},
			host + ":aud":           {audience},
			"aws:FederatedProvider": {providerARN},
			"sts:RoleSessionName":   {in.RoleSessionName},
			"aws:PrincipalArn":      {providerARN},
			"aws:PrincipalAccount":  {account},
		}}
	if trust.Evaluate(r) != iam.Allow {
		return nil, refuse
	}
	res, err := s.issue(ctx, role, in.RoleSessionName, in.Policy, in.DurationSeconds, role.MaxSessionDuration, providerARN)
	if err != nil {
		return nil, err
	}
	res.Subject, res.Audience, res.Provider = claims.Subject, audience, unverified.Issuer
	return res, nil
}
