package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// stsClient is an aws-sdk-go-v2 STS client for the server signing with creds.
func (e *testEnv) stsClient(creds aws.CredentialsProvider) *sts.Client {
	return sts.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: creds}, func(o *sts.Options) {
		o.BaseEndpoint = aws.String(e.ts.URL)
		o.RetryMaxAttempts = 1
	})
}

func static(id, secret, token string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(id, secret, token)
}

// role makes a role in testAccount trusting trust, with identity policies.
func (e *testEnv) role(t testing.TB, name, trust string, policies ...string) string {
	t.Helper()
	ctx := context.Background()
	r, err := e.srv.roles.CreateRole(ctx, testAccount, name, trust, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, doc := range policies {
		if err := e.srv.roles.AttachRolePolicy(ctx, testAccount, name, fmt.Sprintf("policy%d", i), doc); err != nil {
			t.Fatal(err)
		}
	}
	return r.ARN()
}

// user makes a user of testAccount and returns its credentials.
func (e *testEnv) user(t testing.TB, name string, policies ...string) aws.CredentialsProvider {
	t.Helper()
	ctx := context.Background()
	creds, err := e.srv.principals.Create(ctx, testAccount, name)
	if err != nil {
		t.Fatal(err)
	}
	for i, doc := range policies {
		if err := e.srv.principals.AttachPolicy(ctx, testAccount, name, fmt.Sprintf("policy%d", i), doc); err != nil {
			t.Fatal(err)
		}
	}
	return static(creds.AccessKeyID, creds.SecretAccessKey, "")
}

func trustAWS(principal string, conditions string) string {
	cond := ""
	if conditions != "" {
		cond = `, "Condition": ` + conditions
	}
	return `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "` + principal + `"}, "Action": "sts:AssumeRole"` + cond + `}]}`
}

const allowPCA = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "acm-pca:*", "Resource": "*"}]}`

const allowList = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "acm-pca:ListCertificateAuthorities", "Resource": "*"}]}`

func apiCode(t testing.TB, err error) (string, string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

func wantCode(t testing.TB, err error, code, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got success", code)
	}
	c, m := apiCode(t, err)
	if c != code || message != "" && m != message {
		t.Fatalf("got %s %q, want %s %q", c, m, code, message)
	}
}

func TestSTSGetCallerIdentity(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	out, err := e.stsClient(static(e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey, "")).GetCallerIdentity(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *out.Arn != "arn:aws:iam::"+testAccount+":root" || *out.Account != testAccount || *out.UserId != testAccount {
		t.Fatalf("root: %s %s %s", *out.Arn, *out.Account, *out.UserId)
	}
	alice := e.user(t, "alice")
	out, err = e.stsClient(alice).GetCallerIdentity(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *out.Arn != "arn:aws:iam::"+testAccount+":user/alice" || *out.Account != testAccount || !strings.HasPrefix(*out.UserId, "AIDA") || len(*out.UserId) != 21 {
		t.Fatalf("user: %s %s %s", *out.Arn, *out.Account, *out.UserId)
	}
	// Unknown keys get STS's code, not ACM PCA's.
	_, err = e.stsClient(static("OPCAUNKNOWNUNKNOWN", "x", "")).GetCallerIdentity(ctx, nil)
	wantCode(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	_, err = e.stsClient(static(e.srv.Key.AccessKeyID, "wrong", "")).GetCallerIdentity(ctx, nil)
	wantCode(t, err, "SignatureDoesNotMatch", "")
}

func TestAssumeRole(t *testing.T) {
	e := newTestEnvWith(t, nil, func(c *Config) { c.PrincipalCacheTTL = -1 })
	ctx := context.Background()
	alice := e.user(t, "alice", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}`)
	bob := e.user(t, "bob")
	roleArn := e.role(t, "issuer", trustAWS(testAccount, ""), allowPCA)

	out, err := e.stsClient(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleArn, RoleSessionName: aws.String("ci-run")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || *c.SecretAccessKey == "" || *c.SessionToken == "" {
		t.Fatalf("credentials: %+v", c)
	}
	if d := time.Until(*c.Expiration); d < 59*time.Minute || d > time.Hour+time.Minute {
		t.Fatalf("expiration in %v, want an hour", d)
	}
	sessionArn := "arn:aws:sts::" + testAccount + ":assumed-role/issuer/ci-run"
	if *out.AssumedRoleUser.Arn != sessionArn || !strings.HasPrefix(*out.AssumedRoleUser.AssumedRoleId, "AROA") || !strings.HasSuffix(*out.AssumedRoleUser.AssumedRoleId, ":ci-run") {
		t.Fatalf("assumed role user: %s %s", *out.AssumedRoleUser.Arn, *out.AssumedRoleUser.AssumedRoleId)
	}
	session := static(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	id, err := e.stsClient(session).GetCallerIdentity(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != sessionArn || *id.UserId != *out.AssumedRoleUser.AssumedRoleId || *id.Account != testAccount {
		t.Fatalf("session identity: %s %s %s", *id.Arn, *id.UserId, *id.Account)
	}
	// The session acts with the role's policies on ACM PCA, in both protocols.
	for _, p := range protocols {
		pca := e.client(p.opt, "", "")
		pca = acmpca.New(pca.Options(), func(o *acmpca.Options) { o.Credentials = session })
		if _, err := pca.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{}); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
	}

	// bob has no identity policy allowing sts:AssumeRole, and the trust
	// policy names only the account.
	_, err = e.stsClient(bob).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleArn, RoleSessionName: aws.String("s1")})
	wantCode(t, err, "AccessDenied", "User: arn:aws:iam::"+testAccount+":user/bob is not authorized to perform: sts:AssumeRole on resource: "+roleArn)
	// A trust policy naming bob himself is enough within the account.
	bobRole := e.role(t, "bobs", trustAWS("arn:aws:iam::"+testAccount+":user/bob", ""), allowList)
	if _, err := e.stsClient(bob).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &bobRole, RoleSessionName: aws.String("s1")}); err != nil {
		t.Fatal(err)
	}
	// A missing role is refused as a forbidden one.
	missing := "arn:aws:iam::" + testAccount + ":role/none"
	_, err = e.stsClient(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &missing, RoleSessionName: aws.String("s1")})
	wantCode(t, err, "AccessDenied", "User: arn:aws:iam::"+testAccount+":user/alice is not authorized to perform: sts:AssumeRole on resource: "+missing)

	// The model's constraints.
	_, err = e.stsClient(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleArn, RoleSessionName: aws.String("bad name")})
	wantCode(t, err, "ValidationError", `1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	_, err = e.stsClient(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleArn, RoleSessionName: aws.String("s"), DurationSeconds: aws.Int32(100)})
	wantCode(t, err, "ValidationError", `2 validation errors detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`)
	// Beyond the role's maximum (an hour by default).
	_, err = e.stsClient(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleArn, RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	if err := e.srv.roles.UpdateRole(ctx, testAccount, "issuer", "", 12*time.Hour); err != nil {
		t.Fatal(err)
	}
	long, err := e.stsClient(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &roleArn, RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(43200)})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(*long.Credentials.Expiration); d < 11*time.Hour {
		t.Fatalf("expiration in %v, want 12 h", d)
	}
	// Role chaining: a trust policy naming a role names its sessions; the
	// chained session is capped at an hour.
	chain := e.role(t, "chain", trustAWS(roleArn, ""), allowList)
	_, err = e.stsClient(session).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &chain, RoleSessionName: aws.String("s2"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	chained, err := e.stsClient(session).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &chain, RoleSessionName: aws.String("s2")})
	if err != nil {
		t.Fatal(err)
	}
	if *chained.AssumedRoleUser.Arn != "arn:aws:sts::"+testAccount+":assumed-role/chain/s2" {
		t.Fatal(*chained.AssumedRoleUser.Arn)
	}
}

func TestAssumeRoleConditionsAndSessionPolicy(t *testing.T) {
	e := newTestEnvWith(t, nil, func(c *Config) { c.PrincipalCacheTTL = -1 })
	ctx := context.Background()
	root := e.stsClient(static(e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey, ""))
	alice := e.user(t, "alice")

	// sts:ExternalId, with the caller named directly.
	ext := e.role(t, "vendor", trustAWS("arn:aws:iam::"+testAccount+":user/alice", `{"StringEquals": {"sts:ExternalId": "secret-42"}}`), allowList)
	_, err := e.stsClient(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &ext, RoleSessionName: aws.String("s1")})
	wantCode(t, err, "AccessDenied", "")
	_, err = e.stsClient(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &ext, RoleSessionName: aws.String("s1"), ExternalId: aws.String("wrong-1")})
	wantCode(t, err, "AccessDenied", "")
	if _, err := e.stsClient(alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &ext, RoleSessionName: aws.String("s1"), ExternalId: aws.String("secret-42")}); err != nil {
		t.Fatal(err)
	}
	// aws:username and aws:PrincipalArn in a trust policy.
	byName := e.role(t, "byname", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "`+testAccount+`"}, "Action": "sts:AssumeRole",
		"Condition": {"StringEquals": {"aws:username": "alice", "aws:PrincipalArn": "arn:aws:iam::`+testAccount+`:user/alice", "aws:PrincipalAccount": "`+testAccount+`"}}}]}`, allowList)
	if _, err := root.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &byName, RoleSessionName: aws.String("s1")}); err == nil {
		t.Fatal("root assumed a role whose trust policy wants aws:username alice")
	}

	// A session policy narrows the role's permissions: intersection.
	admin := e.role(t, "admin", trustAWS(testAccount, ""), allowPCA)
	out, err := root.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &admin, RoleSessionName: aws.String("narrow"), Policy: aws.String(allowList)})
	if err != nil {
		t.Fatal(err)
	}
	if out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 {
		t.Fatalf("PackedPolicySize %v", out.PackedPolicySize)
	}
	c := out.Credentials
	pca := acmpca.New(e.rootClient(protocols[0].opt).Options(), func(o *acmpca.Options) {
		o.Credentials = static(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	})
	if _, err := pca.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = pca.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: ecConfig("narrow"), CertificateAuthorityType: "ROOT"})
	wantCode(t, err, "AccessDeniedException", "User: arn:aws:sts::"+testAccount+":assumed-role/admin/narrow is not authorized to perform: acm-pca:CreateCertificateAuthority on resource: * because no session policy allows the acm-pca:CreateCertificateAuthority action")
	// A role session is matched by its role's ARN in policies (aws:PrincipalArn).
	_, err = root.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: &admin, RoleSessionName: aws.String("bad"), Policy: aws.String(`{"Version": "2012-10-17"}`)})
	wantCode(t, err, "MalformedPolicyDocument", "")
}

// signedSTS posts a form to the server signed for sts with creds.
func signedSTS(t testing.TB, e *testEnv, creds aws.Credentials, form url.Values, tokenInForm bool) (int, string) {
	t.Helper()
	if tokenInForm && creds.SessionToken != "" {
		form.Set("X-Amz-Security-Token", creds.SessionToken)
		creds.SessionToken = ""
	}
	body := form.Encode()
	req, err := http.NewRequest("POST", e.ts.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSTSWire(t *testing.T) {
	e := newTestEnv(t)
	root := aws.Credentials{AccessKeyID: e.srv.Key.AccessKeyID, SecretAccessKey: e.srv.Key.SecretAccessKey}
	// cert-manager's aws-privateca-issuer sends exactly this.
	status, body := signedSTS(t, e, root, url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}, false)
	if status != 200 || !strings.Contains(body, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`) ||
		!strings.Contains(body, "<Arn>arn:aws:iam::"+testAccount+":root</Arn>") || !strings.Contains(body, "<RequestId>") {
		t.Fatalf("%d %s", status, body)
	}
	status, body = signedSTS(t, e, root, url.Values{"Action": {"GetSessionToken"}, "Version": {"2011-06-15"}}, false)
	if status != 400 || !strings.Contains(body, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation GetSessionToken for version 2011-06-15</Message></Error><RequestId>") {
		t.Fatalf("%d %s", status, body)
	}
	// The session token may come as a form field.
	e.role(t, "r", trustAWS(testAccount, ""))
	out, err := e.stsClient(static(root.AccessKeyID, root.SecretAccessKey, "")).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/r"), RoleSessionName: aws.String("form")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	session := aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
	status, body = signedSTS(t, e, session, url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}, true)
	if status != 200 || !strings.Contains(body, "assumed-role/r/form") {
		t.Fatalf("%d %s", status, body)
	}
	// ACM PCA's own requests are untouched: an unsigned JSON request is still ACM PCA's.
	resp, err := http.Post(e.ts.URL+"/", "application/x-amz-json-1.1", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Amzn-ErrorType") == "" {
		t.Fatalf("JSON request not answered by ACM PCA: %v", resp.Header)
	}
}

// assume returns credentials of a fresh session of role for the root.
func (e *testEnv) assume(t testing.TB, roleArn, session string) aws.Credentials {
	t.Helper()
	out, err := e.stsClient(static(e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey, "")).AssumeRole(context.Background(),
		&sts.AssumeRoleInput{RoleArn: &roleArn, RoleSessionName: &session})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
}

// useSession calls ACM PCA (JSON 1.1 and CBOR) and STS with creds and
// returns their errors.
func (e *testEnv) useSession(creds aws.Credentials) (pcaErrs []error, stsErr error) {
	ctx := context.Background()
	provider := static(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	for _, p := range protocols {
		c := acmpca.New(e.client(p.opt, "", "").Options(), func(o *acmpca.Options) { o.Credentials = provider })
		_, err := c.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
		pcaErrs = append(pcaErrs, err)
	}
	_, stsErr = e.stsClient(provider).GetCallerIdentity(ctx, nil)
	return pcaErrs, stsErr
}

func wantSessionRefused(t *testing.T, e *testEnv, creds aws.Credentials, pcaCode, stsCode, message string) {
	t.Helper()
	pcaErrs, stsErr := e.useSession(creds)
	for _, err := range pcaErrs {
		wantCode(t, err, pcaCode, message)
	}
	wantCode(t, stsErr, stsCode, message)
}

const (
	msgInvalidToken = "The security token included in the request is invalid."
	msgExpiredToken = "The security token included in the request is expired"
)

func TestTemporaryCredentialsRefused(t *testing.T) {
	clock := &fakeClock{}
	dir := t.TempDir()
	e := newTestEnvWith(t, nil, func(c *Config) { c.DataDir = dir; c.PrincipalCacheTTL = -1; c.stsNow = clock.Now })
	roleArn := e.role(t, "app", trustAWS(testAccount, ""), allowList)
	good := e.assume(t, roleArn, "good")
	pcaErrs, stsErr := e.useSession(good)
	if err := errors.Join(append(pcaErrs, stsErr)...); err != nil {
		t.Fatal(err)
	}

	t.Run("tampered", func(t *testing.T) {
		bad := good
		b := []byte(bad.SessionToken)
		b[10] ^= 1
		bad.SessionToken = string(b)
		wantSessionRefused(t, e, bad, "UnrecognizedClientException", "InvalidClientTokenId", msgInvalidToken)
		// Another session's token with this session's key.
		other := e.assume(t, roleArn, "other")
		bad.SessionToken = other.SessionToken
		wantSessionRefused(t, e, bad, "UnrecognizedClientException", "InvalidClientTokenId", msgInvalidToken)
		// A session's key without its token is no long-term key.
		bad.SessionToken = ""
		wantSessionRefused(t, e, bad, "UnrecognizedClientException", "InvalidClientTokenId", msgInvalidToken)
	})
	t.Run("another deployment", func(t *testing.T) {
		o := newTestEnv(t)
		o.role(t, "app", trustAWS(testAccount, ""), allowList)
		wantSessionRefused(t, o, good, "UnrecognizedClientException", "InvalidClientTokenId", msgInvalidToken)
	})
	t.Run("expired", func(t *testing.T) {
		s := e.assume(t, roleArn, "short")
		clock.Advance(time.Hour + time.Second)
		defer clock.Advance(-time.Hour - time.Second)
		wantSessionRefused(t, e, s, "ExpiredTokenException", "ExpiredToken", msgExpiredToken)
	})
	t.Run("deleted role", func(t *testing.T) {
		r := e.role(t, "gone", trustAWS(testAccount, ""), allowList)
		s := e.assume(t, r, "s1")
		if pcaErrs, stsErr := e.useSession(s); errors.Join(append(pcaErrs, stsErr)...) != nil {
			t.Fatal(pcaErrs, stsErr)
		}
		if err := e.srv.roles.Store.DeleteRole(context.Background(), testAccount, "gone"); err != nil {
			t.Fatal(err)
		}
		wantSessionRefused(t, e, s, "UnrecognizedClientException", "InvalidClientTokenId", msgInvalidToken)
		// A new role of the same name is another role.
		e.role(t, "gone", trustAWS(testAccount, ""), allowList)
		wantSessionRefused(t, e, s, "UnrecognizedClientException", "InvalidClientTokenId", msgInvalidToken)
	})

	// Sessions survive a restart: they are in the database.
	e.stop()
	e = newTestEnvWith(t, nil, func(c *Config) { c.DataDir = dir; c.stsNow = clock.Now })
	pcaErrs, stsErr = e.useSession(good)
	if err := errors.Join(append(pcaErrs, stsErr)...); err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	// The same database under another master key cannot open the secret.
	e.stop()
	e = newTestEnvWith(t, nil, func(c *Config) {
		c.DataDir = dir
		c.MasterKey = "b3RoZXItZGVwbG95bWVudC1tYXN0ZXIta2V5LTMyYiE="
		if c.DatabaseURL == "" && isPostgres() {
			c.DatabaseURL = databaseFor(t, dir)
		}
	})
	wantSessionRefused(t, e, good, "UnrecognizedClientException", "InvalidClientTokenId", msgInvalidToken)
}

func isPostgres() bool { return os.Getenv("OPENPCA_TEST_STORE") == "postgres" }
