package issuance

import (
	"crypto/x509"
	"fmt"
	"regexp"
	"slices"
	"sort"
)

// Template is one AWS Private CA certificate template: what it fixes and
// which passthrough sources it honours. Values returned by LookupTemplate are
// copies; changing one does not affect later lookups.
type Template struct {
	// Name is the template name without version, for example
	// "EndEntityCertificate_APIPassthrough".
	Name string

	// IsCA is the basicConstraints cA flag; BasicConstraintsCritical its
	// criticality. MaxPathLen is the pathLenConstraint, or -1 for none.
	IsCA                     bool
	BasicConstraintsCritical bool
	MaxPathLen               int

	// KeyUsage is the fixed key usage (always critical when present).
	// Zero on Blank templates, which take key usage only from passthrough.
	KeyUsage x509.KeyUsage

	// ExtKeyUsage is the fixed extended key usage; ExtKeyUsageCritical its
	// criticality. Empty means the template sets no EKU; on a non-Blank
	// template that also means no EKU is taken from passthrough.
	ExtKeyUsage         []x509.ExtKeyUsage
	ExtKeyUsageCritical bool

	// Root marks templates for a root CA's self-signed certificate: they get
	// no CRL distribution point and no OCSP URL from the CA configuration.
	Root bool

	// APIPassthrough and CSRPassthrough say which passthrough sources the
	// template honours (both are set for APICSRPassthrough templates).
	APIPassthrough bool
	CSRPassthrough bool

	// Blank templates fix only basicConstraints (plus the identifiers);
	// key usage and extended key usage come from API or CSR passthrough.
	Blank bool
}

// DefaultTemplateName is used when IssueCertificate has no TemplateArn.
const DefaultTemplateName = "EndEntityCertificate"

var (
	kuEndEntity = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	kuCA        = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign

	templateARN = regexp.MustCompile(`^arn:([a-z0-9-]+):acm-pca:::template/([A-Za-z0-9_]+)/V1$`)

	// templates is built once and never modified; LookupTemplate returns copies.
	templates = buildTemplates()
)

// buildTemplates returns every template of the AWS catalogue, keyed by name.
func buildTemplates() map[string]Template {
	m := map[string]Template{}
	add := func(t Template) {
		if _, dup := m[t.Name]; dup {
			panic("issuance: duplicate template " + t.Name)
		}
		m[t.Name] = t
	}
	endEntity := func(name string, ku x509.KeyUsage, eku []x509.ExtKeyUsage, ekuCritical bool) Template {
		return Template{Name: name, MaxPathLen: -1, KeyUsage: ku, ExtKeyUsage: eku, ExtKeyUsageCritical: ekuCritical}
	}
	subCA := func(n int) Template {
		return Template{
			Name: fmt.Sprintf("SubordinateCACertificate_PathLen%d", n), IsCA: true,
			BasicConstraintsCritical: true, MaxPathLen: n, KeyUsage: kuCA,
		}
	}
	base := []Template{
		endEntity("EndEntityCertificate", kuEndEntity, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, false),
		endEntity("EndEntityClientAuthCertificate", kuEndEntity, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, false),
		endEntity("EndEntityServerAuthCertificate", kuEndEntity, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, false),
		endEntity("CodeSigningCertificate", x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, true),
		endEntity("OCSPSigningCertificate", x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}, true),
		subCA(0), subCA(1), subCA(2), subCA(3),
	}
	root := Template{
		Name: "RootCACertificate", IsCA: true, BasicConstraintsCritical: true, MaxPathLen: -1,
		KeyUsage: kuCA, Root: true,
	}
	add(root)
	for _, t := range base {
		add(t)
		for _, v := range []struct {
			suffix   string
			api, csr bool
		}{{"_CSRPassthrough", false, true}, {"_APIPassthrough", true, false}, {"_APICSRPassthrough", true, true}} {
			vt := t
			vt.Name += v.suffix
			vt.APIPassthrough, vt.CSRPassthrough = v.api, v.csr
			add(vt)
		}
	}
	// There is no RootCACertificate_CSRPassthrough or _APICSRPassthrough.
	rootAPI := root
	rootAPI.Name += "_APIPassthrough"
	rootAPI.APIPassthrough = true
	add(rootAPI)

	passthroughs := []struct {
		suffix   string
		api, csr bool
	}{{"_CSRPassthrough", false, true}, {"_APIPassthrough", true, false}, {"_APICSRPassthrough", true, true}}
	for _, v := range passthroughs {
		add(Template{Name: "BlankEndEntityCertificate" + v.suffix, MaxPathLen: -1, Blank: true, APIPassthrough: v.api, CSRPassthrough: v.csr})
		add(Template{
			Name: "BlankEndEntityCertificate_CriticalBasicConstraints" + v.suffix, BasicConstraintsCritical: true,
			MaxPathLen: -1, Blank: true, APIPassthrough: v.api, CSRPassthrough: v.csr,
		})
		for n := 0; n <= 3; n++ {
			add(Template{
				Name: fmt.Sprintf("BlankSubordinateCACertificate_PathLen%d%s", n, v.suffix), IsCA: true,
				BasicConstraintsCritical: true, MaxPathLen: n, Blank: true, APIPassthrough: v.api, CSRPassthrough: v.csr,
			})
		}
	}
	add(Template{
		Name: "BlankRootCACertificate_APIPassthrough", IsCA: true, BasicConstraintsCritical: true,
		MaxPathLen: -1, Root: true, Blank: true, APIPassthrough: true,
	})
	for n := 0; n <= 3; n++ {
		add(Template{
			Name: fmt.Sprintf("BlankRootCACertificate_PathLen%d_APIPassthrough", n), IsCA: true,
			BasicConstraintsCritical: true, MaxPathLen: n, Root: true, Blank: true, APIPassthrough: true,
		})
	}
	return m
}

// LookupTemplate returns the template named by a template ARN of the form
// arn:<partition>:acm-pca:::template/<Name>/V1, in any partition. An empty
// ARN selects EndEntityCertificate/V1, the AWS default. Anything else is an
// *ArgError.
func LookupTemplate(arn string) (*Template, error) {
	name := DefaultTemplateName
	if arn != "" {
		m := templateARN.FindStringSubmatch(arn)
		if m == nil {
			return nil, argErrorf("the template ARN %q is not valid", arn)
		}
		name = m[2]
	}
	t, ok := templates[name]
	if !ok {
		return nil, argErrorf("the template ARN %q is not valid", arn)
	}
	t.ExtKeyUsage = slices.Clone(t.ExtKeyUsage)
	return &t, nil
}

// TemplateNames returns the names of every known template, sorted.
func TemplateNames() []string {
	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
