// Package certmanager runs cert-manager's aws-privateca-issuer, as shipped,
// against a real openpca server: its issuer and CertificateRequest
// reconcilers on controller-runtime's fake Kubernetes client, with the
// endpoint given as AWS_ENDPOINT_URL, as in a cluster.
package certmanager

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	api "github.com/cert-manager/aws-privateca-issuer/pkg/api/v1beta1"
	awspca "github.com/cert-manager/aws-privateca-issuer/pkg/aws"
	"github.com/cert-manager/aws-privateca-issuer/pkg/controllers"
	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	authv1 "k8s.io/api/authentication/v1"
	core "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

const (
	account = "000000000000"
	// The issuer of the cluster's service account tokens, registered with
	// openpca as an OIDC provider (openpca fetches nothing from it).
	issuerURL = "https://oidc.cluster.test/id/EXAMPLE"
	oidcHost  = "oidc.cluster.test/id/EXAMPLE"
	namespace = "cert-manager"
	// What the issuer's IAM policy needs, per its documentation.
	issuerPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["acm-pca:DescribeCertificateAuthority","acm-pca:GetCertificate","acm-pca:IssueCertificate"],"Resource":"%s"}]}`
)

func TestAWSPCAIssuer(t *testing.T) {
	s := startServer(t)
	h := createHierarchy(t, s.rootPCA())

	// The issuer's AWS SDK finds openpca as it would in a cluster: through
	// the environment, with nothing else of the host's configuration.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("AWS_ENDPOINT_URL", s.endpoint())
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	policy := fmt.Sprintf(issuerPolicy, h.issuingARN)
	staticID, staticSecret := s.createUser(t, "cert-manager", policy)

	// A user with no policy of its own, trusted by the role.
	ciID, ciSecret := s.createUser(t, "ci", "")
	trust := filepath.Join(t.TempDir(), "trust.json")
	os.WriteFile(trust, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+account+`:user/ci"},"Action":"sts:AssumeRole"}]}`), 0o600)
	s.principal(t, "create-role", "--name", "pca-issuer", "--trust-policy", "file://"+trust)
	s.principal(t, "attach-role-policy", "--name", "pca-issuer", "--policy-name", "issue", "--policy-document", policy)

	// IRSA: a role trusted by the cluster's OIDC provider for one service account.
	oidc := newOIDCIssuer(t)
	s.principal(t, "create-oidc-provider", "--url", issuerURL, "--client-id", "sts.amazonaws.com", "--jwks-file", oidc.jwksFile)
	webTrust := filepath.Join(t.TempDir(), "web-trust.json")
	os.WriteFile(webTrust, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"arn:aws:iam::`+account+`:oidc-provider/`+oidcHost+`"},
		"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"`+oidcHost+`:sub":"system:serviceaccount:`+namespace+`:aws-privateca-issuer","`+oidcHost+`:aud":"sts.amazonaws.com"}}}]}`), 0o600)
	s.principal(t, "create-role", "--name", "pca-issuer-irsa", "--trust-policy", "file://"+webTrust)
	s.principal(t, "attach-role-policy", "--name", "pca-issuer-irsa", "--policy-name", "issue", "--policy-document", policy)

	secret := func(name, id, key string) *core.Secret {
		return &core.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Data: map[string][]byte{"AWS_ACCESS_KEY_ID": []byte(id), "AWS_SECRET_ACCESS_KEY": []byte(key)}}
	}
	objects := []client.Object{
		secret("static-keys", staticID, staticSecret),
		secret("ci-keys", ciID, ciSecret),
		&core.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "aws-privateca-issuer"}},
		&core.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "other"}},
	}

	t.Run("ClusterIssuerWithSecret", func(t *testing.T) {
		iss := &api.AWSPCAClusterIssuer{ObjectMeta: metav1.ObjectMeta{Name: "static"}, Spec: api.AWSPCAIssuerSpec{
			Arn: h.issuingARN, Region: "us-east-1",
			SecretRef: api.AWSCredentialsSecretReference{SecretReference: core.SecretReference{Namespace: namespace, Name: "static-keys"}},
		}}
		k := newCluster(t, oidc, append(objects, iss)...)
		k.reconcileIssuer(t, iss, metav1.ConditionTrue, "Verified")
		k.wantCaller(t, "arn:aws:iam::"+account+":user/cert-manager")
		k.sign(t, h, "AWSPCAClusterIssuer", "", iss.Name)
	})

	t.Run("IssuerWithRole", func(t *testing.T) {
		iss := &api.AWSPCAIssuer{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "role"}, Spec: api.AWSPCAIssuerSpec{
			Arn: h.issuingARN, Region: "us-east-1",
			SecretRef: api.AWSCredentialsSecretReference{SecretReference: core.SecretReference{Name: "ci-keys"}},
			Role:      "arn:aws:iam::" + account + ":role/pca-issuer",
		}}
		k := newCluster(t, oidc, append(objects, iss)...)
		k.reconcileIssuer(t, iss, metav1.ConditionTrue, "Verified")
		k.wantCaller(t, "arn:aws:sts::"+account+":assumed-role/pca-issuer/")
		k.sign(t, h, "AWSPCAIssuer", namespace, iss.Name)
	})

	t.Run("ClusterIssuerWithServiceAccount", func(t *testing.T) {
		iss := &api.AWSPCAClusterIssuer{ObjectMeta: metav1.ObjectMeta{Name: "irsa"}, Spec: api.AWSPCAIssuerSpec{
			Arn: h.issuingARN, Region: "us-east-1",
			Role:              "arn:aws:iam::" + account + ":role/pca-issuer-irsa",
			ServiceAccountRef: &api.ServiceAccountRef{Namespace: namespace, Name: "aws-privateca-issuer"},
		}}
		k := newCluster(t, oidc, append(objects, iss)...)
		k.reconcileIssuer(t, iss, metav1.ConditionTrue, "Verified")
		k.wantCaller(t, "arn:aws:sts::"+account+":assumed-role/pca-issuer-irsa/aws-privateca-issuer")
		if oidc.issued() == 0 {
			t.Fatal("no service account token was requested")
		}
		k.sign(t, h, "AWSPCAClusterIssuer", "", iss.Name)
	})

	// The role trusts one service account: another's token is refused, and
	// the issuer says why.
	t.Run("ServiceAccountNotTrusted", func(t *testing.T) {
		iss := &api.AWSPCAClusterIssuer{ObjectMeta: metav1.ObjectMeta{Name: "irsa-other"}, Spec: api.AWSPCAIssuerSpec{
			Arn: h.issuingARN, Region: "us-east-1",
			Role:              "arn:aws:iam::" + account + ":role/pca-issuer-irsa",
			ServiceAccountRef: &api.ServiceAccountRef{Namespace: namespace, Name: "other"},
		}}
		k := newCluster(t, oidc, append(objects, iss)...)
		cond := k.reconcileIssuer(t, iss, metav1.ConditionFalse, "Error")
		if !strings.Contains(cond.Message, "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity") {
			t.Fatalf("Ready condition message %q", cond.Message)
		}
	})
}

// cluster is the issuer's controllers on a fake Kubernetes API.
type cluster struct {
	client   client.Client
	scheme   *runtime.Scheme
	log      logr.Logger
	logMu    sync.Mutex
	logLines []string
	creds    awspca.CredentialOptions
}

func newCluster(t *testing.T, oidc *oidcIssuer, objects ...client.Object) *cluster {
	t.Helper()
	// Provisioners are cached per issuer name for the process's life.
	awspca.ClearProvisioners()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, api.AddToScheme, cmapi.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	k := &cluster{scheme: scheme,
		// The controller's defaults (main.go's flags).
		creds: awspca.CredentialOptions{ClusterIssuerAmbientCredentials: true}}
	k.log = funcr.New(func(prefix, args string) {
		k.logMu.Lock()
		defer k.logMu.Unlock()
		k.logLines = append(k.logLines, prefix+" "+args)
	}, funcr.Options{})
	k.client = fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(objects...).
		WithStatusSubresource(&api.AWSPCAIssuer{}, &api.AWSPCAClusterIssuer{}, &cmapi.CertificateRequest{}).
		WithInterceptorFuncs(interceptor.Funcs{SubResourceCreate: oidc.tokenRequest}).
		Build()
	t.Cleanup(func() {
		if t.Failed() {
			k.logMu.Lock()
			t.Logf("controller log:\n%s", strings.Join(k.logLines, "\n"))
			k.logMu.Unlock()
		}
	})
	return k
}

func (k *cluster) recorder(t *testing.T) record.EventRecorder {
	r := record.NewFakeRecorder(100)
	t.Cleanup(func() {
		close(r.Events)
		for e := range r.Events {
			t.Log("event:", e)
		}
	})
	return r
}

// reconcileIssuer runs the issuer's reconciler on iss and checks the Ready
// condition it sets.
func (k *cluster) reconcileIssuer(t *testing.T, iss api.GenericIssuer, status metav1.ConditionStatus, reason string) metav1.Condition {
	t.Helper()
	generic := &controllers.GenericIssuerReconciler{
		Client: k.client, Log: k.log, Scheme: k.scheme, Recorder: k.recorder(t),
		GetCallerIdentity: true, CredentialOptions: k.creds,
	}
	name := types.NamespacedName{Namespace: iss.GetNamespace(), Name: iss.GetName()}
	var err error
	switch iss.(type) {
	case *api.AWSPCAClusterIssuer:
		_, err = (&controllers.AWSPCAClusterIssuerReconciler{Client: k.client, Log: k.log, Scheme: k.scheme, GenericController: generic}).
			Reconcile(context.Background(), ctrl.Request{NamespacedName: name})
	case *api.AWSPCAIssuer:
		_, err = (&controllers.AWSPCAIssuerReconciler{Client: k.client, Log: k.log, Scheme: k.scheme, GenericController: generic}).
			Reconcile(context.Background(), ctrl.Request{NamespacedName: name})
	}
	if (err == nil) != (status == metav1.ConditionTrue) {
		t.Fatalf("Reconcile: %v", err)
	}
	got := iss.DeepCopyObject().(api.GenericIssuer)
	if err := k.client.Get(context.Background(), name, got); err != nil {
		t.Fatal(err)
	}
	for _, c := range got.GetStatus().Conditions {
		if c.Type == api.ConditionTypeReady {
			if c.Status != status || c.Reason != reason {
				t.Fatalf("Ready condition %+v, want %s %s", c, status, reason)
			}
			return c
		}
	}
	t.Fatalf("no Ready condition: %+v", got.GetStatus())
	return metav1.Condition{}
}

// wantCaller checks the identity the reconciler's sts.GetCallerIdentity
// logged starts with arnPrefix.
func (k *cluster) wantCaller(t *testing.T, arnPrefix string) {
	t.Helper()
	k.logMu.Lock()
	defer k.logMu.Unlock()
	for _, l := range k.logLines {
		if strings.Contains(l, `"msg"="sts.GetCallerIdentity"`) {
			if !strings.Contains(l, `"arn"="`+arnPrefix) {
				t.Fatalf("GetCallerIdentity logged %s, want arn %s...", l, arnPrefix)
			}
			return
		}
	}
	t.Fatalf("no GetCallerIdentity in the controller log")
}

// sign has the CertificateRequest reconciler sign a CSR through the named
// issuer, as cert-manager would after approving it, and checks the chain it
// stores.
func (k *cluster) sign(t *testing.T, h hierarchy, kind, ns, issuerName string) {
	t.Helper()
	ctx := context.Background()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const dnsName = "app.example.test"
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: dnsName}, DNSNames: []string{dnsName},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	crNS := ns
	if crNS == "" {
		crNS = "default"
	}
	cr := &cmapi.CertificateRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: crNS, Name: "app-" + issuerName},
		Spec: cmapi.CertificateRequestSpec{
			Request:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			IssuerRef: cmmeta.IssuerReference{Group: api.GroupVersion.Group, Kind: kind, Name: issuerName},
			Duration:  &metav1.Duration{Duration: 24 * time.Hour},
			Usages:    []cmapi.KeyUsage{cmapi.UsageServerAuth, cmapi.UsageClientAuth},
		},
	}
	if err := k.client.Create(ctx, cr); err != nil {
		t.Fatal(err)
	}
	cr.Status.Conditions = []cmapi.CertificateRequestCondition{{
		Type: cmapi.CertificateRequestConditionApproved, Status: cmmeta.ConditionTrue, Reason: "cert-manager.io", Message: "approved",
	}}
	if err := k.client.Status().Update(ctx, cr); err != nil {
		t.Fatal(err)
	}
	r := &controllers.CertificateRequestReconciler{
		Client: k.client, Log: k.log, Scheme: k.scheme, Recorder: k.recorder(t),
		Clock: clock.RealClock{}, CheckApprovedCondition: true, CredentialOptions: k.creds,
	}
	requested := time.Now()
	name := types.NamespacedName{Namespace: cr.Namespace, Name: cr.Name}
	// The first pass issues the certificate and records its ARN; the next
	// fetches it.
	for i := 0; ; i++ {
		if i == 5 {
			t.Fatalf("CertificateRequest not Ready after %d reconciles: %+v", i, cr.Status)
		}
		res, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: name})
		if err != nil {
			t.Fatalf("Reconcile: %v", err)
		}
		if err := k.client.Get(ctx, name, cr); err != nil {
			t.Fatal(err)
		}
		if ready := readyCondition(cr); ready != nil && ready.Status == cmmeta.ConditionTrue {
			if ready.Reason != cmapi.CertificateRequestReasonIssued {
				t.Fatalf("Ready %+v", ready)
			}
			break
		} else if ready != nil && ready.Reason == cmapi.CertificateRequestReasonFailed {
			t.Fatalf("CertificateRequest failed: %s", ready.Message)
		}
		if !res.Requeue && res.RequeueAfter == 0 {
			t.Fatalf("reconcile %d neither finished nor requeued: %+v", i, cr.Status)
		}
	}
	certArn := cr.Annotations["aws-privateca-issuer/certificate-arn"]
	if !strings.HasPrefix(certArn, h.issuingARN+"/certificate/") {
		t.Fatalf("certificate ARN %q is not of %s", certArn, h.issuingARN)
	}

	// status.certificate is the leaf and the intermediates, status.ca the root.
	chain := parseCerts(t, cr.Status.Certificate)
	if len(chain) != 2 || !chain[1].Equal(h.issuingCert) {
		t.Fatalf("status.certificate holds %d certificates, want the leaf and the issuing CA", len(chain))
	}
	if ca := parseCert(t, cr.Status.CA); !ca.Equal(h.rootCert) {
		t.Fatalf("status.ca is %s, want the root", ca.Subject)
	}
	leaf := chain[0]
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(h.rootCert)
	inter.AddCert(chain[1])
	if _, err := leaf.Verify(x509.VerifyOptions{
		DNSName: dnsName, Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}); err != nil {
		t.Fatalf("the issued certificate does not chain to the root: %v", err)
	}
	if !leaf.PublicKey.(*ecdsa.PublicKey).Equal(&key.PublicKey) {
		t.Fatal("the certificate is not for the CSR's key")
	}
	// The issuer asks for a 15 minute backdate and the request's duration.
	if d := requested.Add(-15 * time.Minute).Sub(leaf.NotBefore); d < -time.Minute || d > time.Minute {
		t.Errorf("NotBefore %s, want 15m before %s", leaf.NotBefore, requested)
	}
	if d := leaf.NotAfter.Sub(requested.Add(24 * time.Hour)); d < -time.Minute || d > time.Minute {
		t.Errorf("NotAfter %s, want 24h after %s", leaf.NotAfter, requested)
	}
}

func readyCondition(cr *cmapi.CertificateRequest) *cmapi.CertificateRequestCondition {
	for i, c := range cr.Status.Conditions {
		if c.Type == cmapi.CertificateRequestConditionReady {
			return &cr.Status.Conditions[i]
		}
	}
	return nil
}

// oidcIssuer stands in for the Kubernetes API server's service account
// token issuer: it answers TokenRequests with ES256 ID tokens that openpca
// verifies against the JWKS registered with the OIDC provider.
type oidcIssuer struct {
	key      *ecdsa.PrivateKey
	jwksFile string
	mu       sync.Mutex
	count    int
}

func newOIDCIssuer(t *testing.T) *oidcIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := key.PublicKey.Bytes() // 0x04 || X || Y
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
		"x": b64(pub[1:33]), "y": b64(pub[33:]),
	}}})
	o := &oidcIssuer{key: key, jwksFile: filepath.Join(t.TempDir(), "jwks.json")}
	if err := os.WriteFile(o.jwksFile, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	return o
}

func (o *oidcIssuer) issued() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.count
}

// tokenRequest is the ServiceAccount "token" subresource: the fake client
// has no token issuer, so this signs what kube-apiserver would.
func (o *oidcIssuer) tokenRequest(ctx context.Context, c client.Client, sub string, obj, req client.Object, opts ...client.SubResourceCreateOption) error {
	sa, isSA := obj.(*core.ServiceAccount)
	tr, isTR := req.(*authv1.TokenRequest)
	if sub != "token" || !isSA || !isTR {
		return c.SubResource(sub).Create(ctx, obj, req, opts...)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(sa), sa); err != nil {
		return err
	}
	now := time.Now()
	exp := now.Add(time.Duration(*tr.Spec.ExpirationSeconds) * time.Second)
	tok, err := o.sign(map[string]any{
		"iss": issuerURL, "sub": "system:serviceaccount:" + sa.Namespace + ":" + sa.Name,
		"aud": tr.Spec.Audiences, "iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(),
		"kubernetes.io": map[string]any{"namespace": sa.Namespace, "serviceaccount": map[string]string{"name": sa.Name, "uid": string(sa.UID)}},
	})
	if err != nil {
		return err
	}
	tr.Status = authv1.TokenRequestStatus{Token: tok, ExpirationTimestamp: metav1.NewTime(exp)}
	o.mu.Lock()
	o.count++
	o.mu.Unlock()
	return nil
}

func (o *oidcIssuer) sign(claims map[string]any) (string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": "k1", "typ": "JWT"})
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64(header) + "." + b64(payload)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, o.key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig), nil
}
