package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testIssuer is an OIDC provider as EKS runs one for a cluster.
type testIssuer struct {
	url  string
	key  *ecdsa.PrivateKey
	jwks string
}

func newTestIssuer(t testing.TB, url string) *testIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: string(jose.ES256), Use: "sig"}}}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return &testIssuer{url: url, key: key, jwks: string(b)}
}

// token signs claims as the issuer's key k1.
func (i *testIssuer) token(t testing.TB, claims jwt.Claims) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: i.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (i *testIssuer) claims(sub, aud string, expiresIn time.Duration) jwt.Claims {
	now := time.Now()
	return jwt.Claims{Issuer: i.url, Subject: sub, Audience: jwt.Audience{aud}, IssuedAt: jwt.NewNumericDate(now.Add(-time.Minute)),
		NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)), Expiry: jwt.NewNumericDate(now.Add(expiresIn))}
}

const irsaSubject = "system:serviceaccount:cert-manager:aws-privateca-issuer"

// irsaTrust is the trust policy eksctl writes for an IAM role for a service account.
func irsaTrust(account, issuerHost string) string {
	return `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
		"Principal": {"Federated": "arn:aws:iam::` + account + `:oidc-provider/` + issuerHost + `"},
		"Action": "sts:AssumeRoleWithWebIdentity",
		"Condition": {"StringEquals": {"` + issuerHost + `:sub": "` + irsaSubject + `", "` + issuerHost + `:aud": "sts.amazonaws.com"}}}]}`
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	e := newTestEnvWith(t, nil, func(c *Config) { c.PrincipalCacheTTL = -1 })
	ctx := context.Background()
	const host = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	issuer := newTestIssuer(t, "https://"+host)
	if _, err := e.srv.roles.PutOIDCProvider(ctx, testAccount, issuer.url, []string{"sts.amazonaws.com"}, issuer.jwks); err != nil {
		t.Fatal(err)
	}
	roleArn := e.role(t, "pca-issuer", irsaTrust(testAccount, host), allowList)
	anonymous := e.stsClient(nil)

	// The SDK's web identity provider, as an IRSA pod's SDK runs it, then ACM PCA.
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(issuer.token(t, issuer.claims(irsaSubject, "sts.amazonaws.com", time.Hour))), 0o600); err != nil {
		t.Fatal(err)
	}
	provider := stscreds.NewWebIdentityRoleProvider(anonymous, roleArn, stscreds.IdentityTokenFile(tokenFile),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "pod-1" })
	for _, p := range protocols {
		pca := acmpca.New(e.client(p.opt, "", "").Options(), func(o *acmpca.Options) { o.Credentials = aws.NewCredentialsCache(provider) })
		if _, err := pca.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{}); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
	}
	id, err := e.stsClient(aws.NewCredentialsCache(provider)).GetCallerIdentity(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != "arn:aws:sts::"+testAccount+":assumed-role/pca-issuer/pod-1" {
		t.Fatal(*id.Arn)
	}

	direct := func(token string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return anonymous.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: &roleArn, RoleSessionName: aws.String("s1"), WebIdentityToken: &token})
	}
	out, err := direct(issuer.token(t, issuer.claims(irsaSubject, "sts.amazonaws.com", time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if *out.SubjectFromWebIdentityToken != irsaSubject || *out.Audience != "sts.amazonaws.com" || *out.Provider != issuer.url {
		t.Fatalf("%s %s %s", *out.SubjectFromWebIdentityToken, *out.Audience, *out.Provider)
	}

	_, err = direct(issuer.token(t, issuer.claims(irsaSubject, "other-client", time.Hour)))
	wantCode(t, err, "InvalidIdentityToken", "Incorrect token audience")
	_, err = direct(issuer.token(t, issuer.claims("system:serviceaccount:default:other", "sts.amazonaws.com", time.Hour)))
	wantCode(t, err, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	expired := issuer.claims(irsaSubject, "sts.amazonaws.com", -time.Minute)
	_, err = direct(issuer.token(t, expired))
	wantCode(t, err, "ExpiredTokenException", "")
	notYet := issuer.claims(irsaSubject, "sts.amazonaws.com", time.Hour)
	notYet.NotBefore = jwt.NewNumericDate(time.Now().Add(10 * time.Minute))
	_, err = direct(issuer.token(t, notYet))
	wantCode(t, err, "InvalidIdentityToken", "")
	// Another key under the same kid: a forged token.
	forger := newTestIssuer(t, issuer.url)
	_, err = direct(forger.token(t, forger.claims(irsaSubject, "sts.amazonaws.com", time.Hour)))
	wantCode(t, err, "InvalidIdentityToken", "")
	stranger := newTestIssuer(t, "https://token.actions.githubusercontent.com")
	_, err = direct(stranger.token(t, stranger.claims(irsaSubject, "sts.amazonaws.com", time.Hour)))
	wantCode(t, err, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com")
	_, err = direct("not-a-jwt")
	wantCode(t, err, "InvalidIdentityToken", "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	// A role that does not trust the provider.
	other := e.role(t, "users-only", trustAWS(testAccount, ""), allowList)
	token := issuer.token(t, issuer.claims(irsaSubject, "sts.amazonaws.com", time.Hour))
	_, err = anonymous.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: &other, RoleSessionName: aws.String("s1"), WebIdentityToken: &token})
	wantCode(t, err, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
}

// TestAssumeRoleProvider: the SDK's AssumeRole credentials provider
// (source_profile/role_arn in AWS config), then ACM PCA with the role's permissions.
func TestAssumeRoleProvider(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	ci := e.user(t, "ci", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::`+testAccount+`:role/*"}]}`)
	roleArn := e.role(t, "issuer", trustAWS(testAccount, `{"StringEquals": {"sts:ExternalId": "ext-1"}}`), allowPCA)
	provider := stscreds.NewAssumeRoleProvider(e.stsClient(ci), roleArn, func(o *stscreds.AssumeRoleOptions) {
		o.ExternalID = aws.String("ext-1")
		o.Duration = 15 * time.Minute
	})
	pca := acmpca.New(e.rootClient(protocols[0].opt).Options(), func(o *acmpca.Options) { o.Credentials = aws.NewCredentialsCache(provider) })
	out, err := pca.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: ecConfig("via role"), CertificateAuthorityType: "ROOT"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pca.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: out.CertificateAuthorityArn}); err != nil {
		t.Fatal(err)
	}
	// The CA belongs to the role's account: the root sees it too.
	if _, err := e.rootClient(protocols[0].opt).DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: out.CertificateAuthorityArn}); err != nil {
		t.Fatal(err)
	}
	// ci itself may do nothing on ACM PCA.
	ciPCA := acmpca.New(e.rootClient(protocols[0].opt).Options(), func(o *acmpca.Options) { o.Credentials = ci })
	_, err = ciPCA.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
	wantCode(t, err, "AccessDeniedException", "")
}
