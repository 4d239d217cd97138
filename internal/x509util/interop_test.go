package x509util

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/openpca/openpca/internal/keys"
)

// Other parsers check what this package writes: pyca/cryptography for every
// algorithm (ML-DSA signatures when its OpenSSL can), and the openssl
// command for the classic ones (OpenSSL 3.0 has no ML-DSA; 3.5 does).

// issueAll issues one chain and one CA CSR per CA key and signing
// algorithm and per leaf key type, and writes them as DER files to dir.
func issueAll(t *testing.T, dir string) []chainFiles {
	caKeys := newKeys(t, keys.Algorithms())
	leafKeys := newKeys(t, leafKeyAlgorithms)
	var out []chainFiles
	for _, caAlg := range keys.Algorithms() {
		for _, sigAlg := range SigningAlgorithms() {
			if !SigningAlgorithmFamilyMatches(caAlg, sigAlg) {
				continue
			}
			for _, leafAlg := range leafKeyAlgorithms {
				name := fmt.Sprintf("%s-%s-%s", caAlg, sigAlg, leafAlg)
				c := issueChain(t, name, caKeys[caAlg], leafKeys[leafAlg], sigAlg)
				csrDER, err := CreateCertificateRequest(rand.Reader, csrTemplate(name+" csr"), caKeys[caAlg], sigAlg)
				if err != nil {
					t.Fatal(err)
				}
				alg, _ := lookupSigningAlgorithm(sigAlg)
				f := chainFiles{
					Name: name, Root: name + "-root.der", Leaf: name + "-leaf.der", CSR: name + "-csr.der",
					SigOID: alg.oid.String(), MLDSASig: alg.isMLDSA(),
					RootCN: c.root.Subject.CommonName, LeafCN: c.leaf.Subject.CommonName, CSRCN: name + " csr",
					RootSerial: c.root.SerialNumber.Int64(), LeafSerial: c.leaf.SerialNumber.Int64(),
					RootSKI: hex.EncodeToString(c.root.SubjectKeyId), LeafSKI: hex.EncodeToString(c.leaf.SubjectKeyId),
					RootKey: caAlg, LeafKey: leafAlg,
					RootKeyRaw: rawMLDSA(c.caKey.Public()), LeafKeyRaw: rawMLDSA(c.subKey.Public()),
				}
				writeFile(t, dir, f.Root, c.root.Raw)
				writeFile(t, dir, f.Leaf, c.leaf.Raw)
				writeFile(t, dir, f.CSR, csrDER)
				out = append(out, f)
			}
		}
	}
	return out
}

type chainFiles struct {
	Name       string `json:"name"`
	Root       string `json:"root"`
	Leaf       string `json:"leaf"`
	CSR        string `json:"csr"`
	SigOID     string `json:"sig_oid"`
	MLDSASig   bool   `json:"mldsa_sig"`
	RootCN     string `json:"root_cn"`
	LeafCN     string `json:"leaf_cn"`
	CSRCN      string `json:"csr_cn"`
	RootSerial int64  `json:"root_serial"`
	LeafSerial int64  `json:"leaf_serial"`
	RootSKI    string `json:"root_ski"`
	LeafSKI    string `json:"leaf_ski"`
	RootKey    string `json:"root_key"`
	LeafKey    string `json:"leaf_key"`
	RootKeyRaw string `json:"root_key_raw"`
	LeafKeyRaw string `json:"leaf_key_raw"`
}

func rawMLDSA(pub any) string {
	switch k := pub.(type) {
	case *mldsa44.PublicKey:
		return hex.EncodeToString(k.Bytes())
	case *mldsa65.PublicKey:
		return hex.EncodeToString(k.Bytes())
	case *mldsa87.PublicKey:
		return hex.EncodeToString(k.Bytes())
	}
	return ""
}

func writeFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestInteropPython(t *testing.T) {
	if err := exec.Command("python3", "-c", "import cryptography").Run(); err != nil {
		t.Skipf("python3 with the cryptography package is not available: %v", err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "interop.py"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	manifest, err := json.Marshal(issueAll(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "manifest.json", manifest)
	out, err := exec.Command("python3", script, filepath.Join(dir, "manifest.json")).CombinedOutput()
	t.Logf("interop.py: %s", strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("interop.py failed: %v", err)
	}
}

func TestInteropOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl command not available")
	}
	dir := t.TempDir()
	for _, f := range issueAll(t, dir) {
		if f.MLDSASig || strings.HasPrefix(f.LeafKey, "ML_DSA") {
			continue // OpenSSL before 3.5 cannot load ML-DSA keys
		}
		t.Run(f.Name, func(t *testing.T) {
			for _, der := range []string{f.Root, f.Leaf} {
				openssl(t, "x509", "-inform", "DER", "-noout", "-text", "-in", filepath.Join(dir, der))
			}
			openssl(t, "req", "-inform", "DER", "-noout", "-verify", "-in", filepath.Join(dir, f.CSR))
			root := toPEM(t, dir, f.Root)
			leaf := toPEM(t, dir, f.Leaf)
			out := openssl(t, "verify", "-x509_strict", "-attime", fmt.Sprint(testNow.Unix()), "-CAfile", root, leaf)
			if !strings.Contains(out, ": OK") {
				t.Fatalf("openssl verify: %s", out)
			}
		})
	}
}

func openssl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("openssl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func toPEM(t *testing.T, dir, name string) string {
	t.Helper()
	der, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, strings.TrimSuffix(name, ".der")+".pem")
	writeFile(t, dir, filepath.Base(path), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return path
}
