package issuance

import (
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"testing"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
)

func TestExploreLints(t *testing.T) {
	root := newRoot(t, "RootCACertificate")
	fired := map[string][]string{}
	all := append(TemplateNames(), "ROOTSELF")
	for _, name := range all {
		key := newKey(t)
		csr := newCSR(t, key, pkix.Name{CommonName: "leaf.internal", Organization: []string{"openpca"}}, []string{"leaf.internal"})
		tn := name
		if name == "ROOTSELF" { tn = "RootCACertificate" }
		tpl := mustTemplate(t, tn)
		req := Request{Template: tpl, CSR: csr, SubjectKeyID: keyID(t, key.Public()), SerialNumber: big.NewInt(12345),
			NotBefore: testNow.Add(-1), NotAfter: testNow.AddDate(1, 0, 0), CRLDistributionPoints: []string{"http://crl.example/x.crl"},
			Passthrough: &Passthrough{Extensions: &Extensions{KeyUsage: &KeyUsage{DigitalSignature: true, KeyCertSign: tpl.IsCA, CRLSign: tpl.IsCA}}}}
		var iss *ca
		if name != "ROOTSELF" { req.Issuer = root.cert; iss = &root }
		if tpl.Root && name != "ROOTSELF" { continue }
		c, err := Build(req)
		if err != nil { t.Logf("%s: %v", name, err); continue }
		der, _ := sign(t, c, iss, key)
		zc, err := zx509.ParseCertificate(der)
		if err != nil { t.Fatal(err) }
		rs := zlint.LintCertificate(zc)
		for ln, r := range rs.Results {
			if r.Status >= lint.Warn {
				src := lint.GlobalRegistry().ByName(ln).Source
				k := fmt.Sprintf("%s %s %s", src, r.Status, ln)
				fired[k] = append(fired[k], name)
			}
		}
	}
	var ks []string
	for k := range fired { ks = append(ks, k) }
	sort.Strings(ks)
	for _, k := range ks { t.Logf("%s  [%d] %s", k, len(fired[k]), strings.Join(fired[k][:min(3, len(fired[k]))], ",")) }
}
