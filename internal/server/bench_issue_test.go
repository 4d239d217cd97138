package server

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openpca/openpca/internal/issuance"
	"github.com/openpca/openpca/internal/x509util"
)

// BenchmarkIssue measures IssueCertificate + GetCertificate through the API
// with a P-256 CA and 32 concurrent clients, next to the raw
// x509.CreateCertificate rate on the same machine in the same run.
//
// In between, "required-steps" runs in process, on every core, only what
// each issuance must do whatever the server around it: parse the CSR and
// verify its signature, build the certificate from its template, sign it
// (crypto/x509 verifies the signature it made) and lint it. Its rate is the
// ceiling the API can approach, before HTTP, SigV4, JSON and storage.
func BenchmarkIssue(b *testing.B) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench CA"}, NotBefore: time.Now(), NotAfter: time.Now().AddDate(1, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	caCert, _ := x509.ParseCertificate(caDER)

	var rawRate float64
	ofRaw := func(b *testing.B, rate float64) {
		b.ReportMetric(rate, "certs/s")
		if rawRate > 0 {
			b.ReportMetric(100*rate/rawRate, "%-of-raw")
		}
	}
	b.Run("raw-x509-CreateCertificate", func(b *testing.B) {
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
				leaf := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "leaf"}, DNSNames: []string{"leaf.example.test"},
					NotBefore: time.Now(), NotAfter: time.Now().AddDate(0, 1, 0), KeyUsage: x509.KeyUsageDigitalSignature,
					ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
				if _, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey); err != nil {
					b.Error(err)
					return
				}
			}
		})
		rawRate = float64(b.N) / time.Since(start).Seconds()
		b.ReportMetric(rawRate, "certs/s")
	})

	b.Run("required-steps", func(b *testing.B) {
		csrPEM := newCSR(b, leafKey, types.SigningAlgorithmSha256withecdsa, "leaf.example.test", "leaf.example.test")
		tmpl, err := issuance.LookupTemplate("")
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := requiredSteps(csrPEM, tmpl, caCert, caKey); err != nil {
					b.Error(err)
					return
				}
			}
		})
		ofRaw(b, float64(b.N)/time.Since(start).Seconds())
	})

	b.Run("api-issue-and-get", func(b *testing.B) {
		e := newTestEnv(b)
		c := e.rootClient(protocols[1].opt)
		caArn, _ := bootstrapRoot(b, c, types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa)
		csr := newCSR(b, leafKey, types.SigningAlgorithmSha256withecdsa, "leaf.example.test", "leaf.example.test")
		body, _ := json.Marshal(map[string]any{"CertificateAuthorityArn": caArn, "Csr": base64.StdEncoding.EncodeToString(csr),
			"SigningAlgorithm": "SHA256WITHECDSA", "Validity": map[string]any{"Type": "DAYS", "Value": 30}})
		issueReq := signedRequestTarget(b, e.srv, e.ts.URL, "IssueCertificate", body)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
		var mu sync.Mutex
		var latencies []time.Duration
		b.SetParallelism(16)
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for pb.Next() {
				t0 := time.Now()
				var out struct{ CertificateArn string }
				if err := send(client, issueReq, &out); err != nil {
					b.Error(err)
					return
				}
				get, _ := json.Marshal(map[string]string{"CertificateAuthorityArn": caArn, "CertificateArn": out.CertificateArn})
				var cert struct{ Certificate string }
				if err := send(client, signedRequestTarget(b, e.srv, e.ts.URL, "GetCertificate", get), &cert); err != nil || cert.Certificate == "" {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
		elapsed := time.Since(start)
		b.StopTimer()
		if len(latencies) > 0 {
			slices.Sort(latencies)
			ofRaw(b, float64(len(latencies))/elapsed.Seconds())
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
		}
	})
}

// requiredSteps is the work of one issuance that no server design avoids.
func requiredSteps(csrPEM []byte, tmpl *issuance.Template, ca *x509.Certificate, caKey crypto.Signer) error {
	block, _ := pem.Decode(csrPEM)
	if block == nil {
		return errors.New("no PEM CSR")
	}
	csr, err := x509util.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return err
	}
	ski, err := x509util.SubjectKeyID(csr.PublicKey)
	if err != nil {
		return err
	}
	serial, err := issuance.NewSerial(rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	cert, err := issuance.Build(issuance.Request{Template: tmpl, CSR: csr.CertificateRequest, SubjectKeyID: ski, Issuer: ca,
		SerialNumber: serial, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 0, 30)})
	if err != nil {
		return err
	}
	der, err := x509util.CreateCertificate(rand.Reader, cert, ca, csr.PublicKey, caKey, "SHA256WITHECDSA")
	if err != nil {
		return err
	}
	return issuance.Lint(der)
}

func signedRequestTarget(b testing.TB, srv *Server, url, op string, body []byte) replay {
	return signedRequestAs(b, aws.Credentials{AccessKeyID: srv.Key.AccessKeyID, SecretAccessKey: srv.Key.SecretAccessKey}, url, op, body)
}

func signedRequestAs(b testing.TB, creds aws.Credentials, url, op string, body []byte) replay {
	req, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "ACMPrivateCA."+op)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "acm-pca", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	return replay{url: url + "/", header: req.Header, body: body}
}

func send(client *http.Client, r replay, out any) error {
	req, _ := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(r.body))
	req.Header = r.header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return &httpError{resp.StatusCode, string(raw)}
	}
	if len(raw) == 0 {
		return nil // an operation without output
	}
	return json.Unmarshal(raw, out)
}

type httpError struct {
	status int
	body   string
}

func (e *httpError) Error() string { return http.StatusText(e.status) + ": " + e.body }
