package console

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/openpca/openpca/internal/pca"
)

// maxListedCAs bounds the CAs one hierarchy page reads (ten list pages).
const maxListedCAs = 10 * pca.MaxListPage

// pageSize is how many certificates one page lists.
const pageSize = 50

// caView is a CA as the pages show it.
type caView struct {
	ARN, Account, ID string
	Subject          string
	Type, Status     string
	FailureReason    string
	KeyAlgorithm     string
	SigningAlgorithm string
	KeyLocation      string
	KeyStorage       string
	UsageMode        string
	NotBefore        time.Time
	NotAfter         time.Time
	CRL              pca.CRLConfig
	OCSP             pca.OCSPConfig
	Tags             []tagView
	// External says the CA's certificate was issued by a CA this caller
	// does not see (or that openpca does not hold).
	External bool
	Children []*caView

	cert *x509.Certificate
}

type tagView struct{ Key, Value string }

func (v *caView) Path() string { return "/console/ca/" + v.Account + "/" + v.ID }

func (c *Console) viewCA(ca *pca.CA) *caView {
	v := &caView{
		ARN: c.cfg.Domain.CAArn(ca), Account: ca.Account, ID: ca.ID,
		Type: string(ca.Type), Status: string(c.cfg.Domain.ReportedStatus(ca)), FailureReason: ca.FailureReason,
		KeyAlgorithm: ca.Config.KeyAlgorithm, SigningAlgorithm: ca.Config.SigningAlgorithm,
		KeyStorage: ca.KeyStorage, UsageMode: ca.UsageMode,
		NotBefore: ca.NotBefore, NotAfter: ca.NotAfter,
		CRL: ca.Revocation.CRL, OCSP: ca.Revocation.OCSP,
	}
	switch ca.Key.Backend {
	case "":
		v.KeyLocation = "not generated yet"
	case "soft":
		v.KeyLocation = "software (encrypted under the master key)"
	case "pkcs11":
		v.KeyLocation = "PKCS#11 token"
	default:
		v.KeyLocation = ca.Key.Backend
	}
	for _, t := range ca.Tags {
		tv := tagView{Key: t.Key}
		if t.Value != nil {
			tv.Value = *t.Value
		}
		v.Tags = append(v.Tags, tv)
	}
	if block, _ := pem.Decode([]byte(ca.Certificate)); block != nil {
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
			v.cert = cert
			v.Subject = cert.Subject.String()
		}
	}
	if v.Subject == "" {
		v.Subject = "CN=" + ca.Config.Subject.CommonName
	}
	return v
}

// visibleCAs lists the CAs of the caller's account and those shared with
// it, keeping the ones it may describe: the same checks as
// ListCertificateAuthorities followed by DescribeCertificateAuthority.
func (c *Console) visibleCAs(r *http.Request, cur *current) ([]*caView, error) {
	ctx := r.Context()
	var all []*pca.CA
	for _, list := range []func(token string) ([]*pca.CA, string, error){
		func(tok string) ([]*pca.CA, string, error) {
			return c.cfg.Domain.ListCAs(ctx, cur.who.Caller, pca.MaxListPage, tok)
		},
		func(tok string) ([]*pca.CA, string, error) {
			return c.cfg.Domain.ListSharedCAs(ctx, cur.who.Caller, pca.MaxListPage, tok)
		},
	} {
		token := ""
		for len(all) < maxListedCAs {
			page, next, err := list(token)
			if err != nil {
				return nil, err
			}
			all = append(all, page...)
			if token = next; token == "" {
				break
			}
		}
	}
	var out []*caView
	for _, ca := range all {
		v := c.viewCA(ca)
		got, err := c.cfg.Domain.DescribeCA(ctx, cur.who.Caller, v.ARN)
		if pca.KindOf(err) == pca.KindAccessDenied || pca.KindOf(err) == pca.KindNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c.viewCA(got))
	}
	return out, nil
}

// tree puts each CA beneath the visible CA whose certificate issued its
// own (matched by key identifier, else by name); the others are roots of
// the forest, in creation order.
func tree(cas []*caView) []*caView {
	bySKI := map[string]*caView{}
	bySubject := map[string]*caView{}
	for _, v := range cas {
		if v.cert != nil {
			if len(v.cert.SubjectKeyId) > 0 {
				bySKI[string(v.cert.SubjectKeyId)] = v
			}
			bySubject[string(v.cert.RawSubject)] = v
		}
	}
	var roots []*caView
	for _, v := range cas {
		var parent *caView
		if v.cert != nil && v.Type == string(pca.TypeSubordinate) {
			if p, ok := bySKI[string(v.cert.AuthorityKeyId)]; ok && len(v.cert.AuthorityKeyId) > 0 {
				parent = p
			} else if p, ok := bySubject[string(v.cert.RawIssuer)]; ok {
				parent = p
			}
			if parent == v {
				parent = nil
			}
			v.External = parent == nil
		}
		if parent == nil {
			roots = append(roots, v)
		} else {
			parent.Children = append(parent.Children, v)
		}
	}
	// A chain of CAs naming each other (only a forged import could) would
	// hang off no root: show those at the top too.
	seen := map[*caView]bool{}
	var walk func(*caView)
	walk = func(v *caView) {
		if seen[v] {
			return
		}
		seen[v] = true
		for _, ch := range v.Children {
			walk(ch)
		}
	}
	for _, r := range roots {
		walk(r)
	}
	for _, v := range cas {
		if !seen[v] {
			v.Children = nil
			roots = append(roots, v)
			seen[v] = true
		}
	}
	return roots
}

type hierarchyData struct {
	Roots []*caView
	Count int
	Note  string
}

func (c *Console) hierarchy(w http.ResponseWriter, r *http.Request, cur *current) {
	cas, err := c.visibleCAs(r, cur)
	if err != nil {
		c.domainError(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "cas", "Certificate authorities", cur, hierarchyData{Roots: tree(cas), Count: len(cas)})
}

func (c *Console) caArn(r *http.Request) string {
	return c.cfg.Domain.CAArn(&pca.CA{Account: r.PathValue("account"), ID: r.PathValue("id")})
}

type crlView struct {
	Partition     string
	State         pca.CRLState
	Overdue       bool
	PendingSince  time.Time
	PendingForAge string
	// Failure is the CRL's last failed publication of the last day, nil
	// for none; Recovered says a publication followed it.
	Failure   *pca.CRLEvent
	Recovered bool
}

type caPageData struct {
	CA          *caView
	Issuer      string
	CRLs        []crlView
	CRLError    string
	Reports     []*pca.AuditReport
	ReportError string
	CanDownload bool
}

// crlViews describes a CA's CRLs, with the last failure of each among
// events (the CA's CRL history, oldest first).
func (c *Console) crlViews(states []pca.CRLState, events []pca.CRLEvent) []crlView {
	now := c.now()
	var out []crlView
	for _, st := range states {
		v := crlView{Partition: partitionName(st.Partition), State: st, PendingSince: st.UnpublishedSince}
		for i := range events {
			ev := &events[i]
			switch {
			case ev.Partition != st.Partition:
			case ev.Failure != "":
				v.Failure, v.Recovered = ev, false
			case v.Failure != nil:
				v.Recovered = true
			}
		}
		v.Overdue = !st.NextUpdate.IsZero() && now.After(st.NextUpdate)
		if !st.UnpublishedSince.IsZero() {
			v.PendingForAge = age(now.Sub(st.UnpublishedSince))
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out
}

func (c *Console) caPage(w http.ResponseWriter, r *http.Request, cur *current) {
	arn := c.caArn(r)
	ca, err := c.cfg.Domain.DescribeCA(r.Context(), cur.who.Caller, arn)
	if err != nil {
		c.domainError(w, r, err)
		return
	}
	d := caPageData{CA: c.viewCA(ca), CanDownload: c.cfg.Objects != nil}
	if d.CA.cert != nil {
		d.Issuer = d.CA.cert.Issuer.String()
	}
	states, err := c.cfg.Domain.CRLStates(r.Context(), cur.who.Caller, arn)
	var events []pca.CRLEvent
	if err != nil {
		d.CRLError = err.Error()
	} else if events, err = c.cfg.Store.CRLEvents(r.Context(), ca.ID, c.now().Add(-chartHours*time.Hour), maxChartEvents); err != nil {
		c.internal(w, r, err)
		return
	}
	d.CRLs = c.crlViews(states, events)
	if _, err := c.cfg.Domain.Authorized(r.Context(), cur.who.Caller, "DescribeCertificateAuthorityAuditReport", arn); err != nil {
		d.ReportError = err.Error()
	} else if d.Reports, err = c.cfg.Store.AuditReports(r.Context(), ca.ID, 20); err != nil {
		c.internal(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "ca", d.CA.Subject, cur, d)
}

type crlsData struct {
	CAs []crlsCA
}

type crlsCA struct {
	CA    *caView
	CRLs  []crlView
	Error string
	// Latency and Revocations chart the last day.
	Latency, Revocations *chart
}

func (c *Console) crls(w http.ResponseWriter, r *http.Request, cur *current) {
	cas, err := c.visibleCAs(r, cur)
	if err != nil {
		c.domainError(w, r, err)
		return
	}
	var d crlsData
	// The charts span whole hours, the current one last.
	from := c.now().Truncate(time.Hour).Add(-(chartHours - 1) * time.Hour)
	for _, v := range cas {
		e := crlsCA{CA: v}
		// What the caller may see of the history is what it may see of
		// the CRLs: the store is read only once the domain allowed that.
		states, err := c.cfg.Domain.CRLStates(r.Context(), cur.who.Caller, v.ARN)
		if err != nil {
			e.Error = err.Error()
			d.CAs = append(d.CAs, e)
			continue
		}
		events, err := c.cfg.Store.CRLEvents(r.Context(), v.ID, from, maxChartEvents)
		if err != nil {
			c.internal(w, r, err)
			return
		}
		counts, err := c.cfg.Store.RevocationsPerHour(r.Context(), v.ID, from, chartHours)
		if err != nil {
			c.internal(w, r, err)
			return
		}
		e.CRLs = c.crlViews(states, events)
		e.Latency, e.Revocations = latencyChart(events, from), revocationChart(counts, from)
		d.CAs = append(d.CAs, e)
	}
	c.render(w, r, http.StatusOK, "crls", "CRL freshness", cur, d)
}

// normalizeSerial reads a serial (or a prefix of one) as operators paste
// it: hex with or without colons, any case, leading zeros.
func normalizeSerial(s string) (string, bool) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	if s == "" {
		return "", true
	}
	if strings.Trim(s, "0123456789abcdef") != "" {
		return "", false
	}
	if s = strings.TrimLeft(s, "0"); s == "" {
		s = "0"
	}
	return s, true
}

type certRow struct {
	Serial   string
	Subject  string
	NotAfter time.Time
	State    string
	Reason   string
}

type certsData struct {
	CA      *caView
	Serial  string
	Name    string
	Status  string
	Rows    []certRow
	Next    string
	First   bool
	Message string
}

var certStatuses = []string{"", "valid", "expired", "revoked"}

func (c *Console) certificates(w http.ResponseWriter, r *http.Request, cur *current) {
	arn := c.caArn(r)
	// Listing shows what GetCertificate would return, certificate by certificate.
	ca, err := c.cfg.Domain.Authorized(r.Context(), cur.who.Caller, "GetCertificate", arn)
	if err != nil {
		c.domainError(w, r, err)
		return
	}
	q := r.URL.Query()
	d := certsData{CA: c.viewCA(ca), Status: q.Get("status"), First: q.Get("after") == ""}
	if !slices.Contains(certStatuses, d.Status) {
		c.fail(w, r, http.StatusBadRequest, "Invalid request", "Unknown certificate status "+d.Status+".")
		return
	}
	prefix, ok := normalizeSerial(q.Get("serial"))
	d.Serial = q.Get("serial")
	if !ok {
		c.fail(w, r, http.StatusBadRequest, "Invalid request", "A serial number is hexadecimal, with or without colons.")
		return
	}
	d.Name = strings.TrimSpace(q.Get("name"))
	after, _ := normalizeSerial(q.Get("after"))
	now := c.now()
	page, next, err := c.cfg.Store.CertificatePage(r.Context(), ca.ID, prefix, d.Name, d.Status, after, now, pageSize)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	for _, cert := range page {
		row := certRow{Serial: cert.Serial, NotAfter: cert.NotAfter, State: certState(cert, now), Reason: cert.RevocationReason}
		if parsed, err := x509.ParseCertificate(cert.DER); err == nil {
			row.Subject = parsed.Subject.String()
		}
		d.Rows = append(d.Rows, row)
	}
	if next != "" {
		v := url.Values{"after": {next}}
		if d.Status != "" {
			v.Set("status", d.Status)
		}
		if d.Serial != "" {
			v.Set("serial", d.Serial)
		}
		if d.Name != "" {
			v.Set("name", d.Name)
		}
		d.Next = "?" + v.Encode()
		if len(page) < pageSize {
			d.Message = fmt.Sprintf("This page looked at a stretch of serials and found %d matching; there may be more further on.", len(page))
		}
	}
	c.render(w, r, http.StatusOK, "certificates", "Certificates of "+d.CA.Subject, cur, d)
}

func certState(cert *pca.Certificate, now time.Time) string {
	switch {
	case !cert.RevokedAt.IsZero():
		return "revoked"
	case now.After(cert.NotAfter):
		return "expired"
	}
	return "valid"
}

// field is one decoded line of a certificate.
type field struct{ Name, Value string }

type chainEntry struct {
	Subject, Issuer string
	NotAfter        time.Time
}

type certData struct {
	CA        *caView
	Serial    string
	ARN       string
	State     string
	RevokedAt time.Time
	Reason    string
	Fields    []field
	Chain     []chainEntry
	PEM       string
	CanRevoke bool
	Reasons   []string
	Notice    string
	Error     *failData
	// Confirm is set on the confirmation step of a revocation.
	Confirm string
}

func (c *Console) loadCertificate(r *http.Request, cur *current) (*certData, error) {
	arn := c.caArn(r)
	serial, ok := normalizeSerial(r.PathValue("serial"))
	if !ok || serial == "" {
		return nil, pca.Errorf(pca.KindInvalidRequest, "%q is not a hexadecimal serial number.", r.PathValue("serial"))
	}
	certArn := arn + "/certificate/" + serial
	got, err := c.cfg.Domain.GetCertificate(r.Context(), cur.who.Caller, arn, certArn)
	if err != nil {
		return nil, err
	}
	ca, err := c.cfg.Domain.DescribeCA(r.Context(), cur.who.Caller, arn)
	if err != nil {
		return nil, err
	}
	d := &certData{CA: c.viewCA(ca), Serial: serial, ARN: certArn, PEM: got.Certificate,
		State: certState(got.Record, c.now()), RevokedAt: got.Record.RevokedAt, Reason: got.Record.RevocationReason}
	cert, err := x509.ParseCertificate(got.Record.DER)
	if err != nil {
		return nil, fmt.Errorf("console: stored certificate %s: %w", certArn, err)
	}
	d.Fields = describeCertificate(cert, got.Record)
	for rest := []byte(got.Chain); ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if ch, err := x509.ParseCertificate(block.Bytes); err == nil {
			d.Chain = append(d.Chain, chainEntry{Subject: ch.Subject.String(), Issuer: ch.Issuer.String(), NotAfter: ch.NotAfter})
		}
	}
	// The form is offered where the domain would accept it; it decides again on submit.
	_, err = c.cfg.Domain.Authorized(r.Context(), cur.who.Caller, "RevokeCertificate", arn)
	d.CanRevoke = err == nil && d.State != "revoked"
	for reason := range pca.ReasonCodes {
		d.Reasons = append(d.Reasons, reason)
	}
	sort.Slice(d.Reasons, func(i, j int) bool { return pca.ReasonCodes[d.Reasons[i]] < pca.ReasonCodes[d.Reasons[j]] })
	return d, nil
}

func (c *Console) certificate(w http.ResponseWriter, r *http.Request, cur *current) {
	d, err := c.loadCertificate(r, cur)
	if err != nil {
		c.domainError(w, r, err)
		return
	}
	if r.URL.Query().Get("done") == "revoked" && d.State == "revoked" {
		d.Notice = "The certificate is revoked. The CA's CRL lists it after its next publication; OCSP answers revoked at once."
	}
	c.render(w, r, http.StatusOK, "certificate", "Certificate "+d.Serial, cur, d)
}

// revoke is a two-step form: the first POST shows what will happen, the
// second (confirm=yes) calls the domain's RevokeCertificate, exactly as
// the API's RevokeCertificate does, with its events and audit trail.
func (c *Console) revoke(w http.ResponseWriter, r *http.Request, cur *current) {
	reason := r.PostFormValue("reason")
	if _, ok := pca.ReasonCodes[reason]; !ok {
		c.fail(w, r, http.StatusBadRequest, "Invalid request", "Choose a revocation reason.")
		return
	}
	arn := c.caArn(r)
	serial, ok := normalizeSerial(r.PathValue("serial"))
	if !ok || serial == "" {
		c.fail(w, r, http.StatusBadRequest, "Invalid request", "That is not a hexadecimal serial number.")
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		d, err := c.loadCertificate(r, cur)
		if err != nil {
			c.domainError(w, r, err)
			return
		}
		d.Confirm = reason
		c.render(w, r, http.StatusOK, "certificate", "Revoke certificate "+d.Serial+"?", cur, d)
		return
	}
	err := c.cfg.Domain.RevokeCertificate(r.Context(), cur.who.Caller, arn, serial, reason)
	c.log.Info("console: RevokeCertificate", "principal", cur.who.Caller.ARN, "ca", arn, "serial", serial, "reason", reason, "err", err)
	if err != nil {
		c.domainError(w, r, err)
		return
	}
	http.Redirect(w, r, r.URL.Path[:len(r.URL.Path)-len("/revoke")]+"?done=revoked", http.StatusSeeOther)
}

func (c *Console) auditReport(w http.ResponseWriter, r *http.Request, cur *current) {
	if c.cfg.Objects == nil {
		c.fail(w, r, http.StatusNotFound, "Not found", "Audit reports cannot be downloaded from this server.")
		return
	}
	report, err := c.cfg.Domain.DescribeAuditReport(r.Context(), cur.who.Caller, c.caArn(r), r.PathValue("report"))
	if err != nil {
		c.domainError(w, r, err)
		return
	}
	if report.Status != "SUCCESS" {
		c.fail(w, r, http.StatusConflict, "Not ready", "The audit report is "+report.Status+".")
		return
	}
	body, err := c.cfg.Objects.Get(r.Context(), report.Bucket, report.Key)
	if err != nil {
		c.internal(w, r, err)
		return
	}
	ctype := "application/json"
	if report.Format == "CSV" {
		ctype = "text/csv"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+report.ID+"."+strings.ToLower(report.Format)+`"`)
	w.Write(body)
}

// describeCertificate lists the fields operators look for.
func describeCertificate(cert *x509.Certificate, rec *pca.Certificate) []field {
	f := []field{
		{"Subject", cert.Subject.String()},
		{"Issuer", cert.Issuer.String()},
		{"Serial number", colonHex(cert.SerialNumber.Bytes())},
		{"Not before", cert.NotBefore.UTC().Format(timeLayout)},
		{"Not after", cert.NotAfter.UTC().Format(timeLayout)},
		{"Public key", publicKey(cert)},
		{"Signature algorithm", cert.SignatureAlgorithm.String()},
	}
	var sans []string
	sans = append(sans, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		sans = append(sans, ip.String())
	}
	sans = append(sans, cert.EmailAddresses...)
	for _, u := range cert.URIs {
		sans = append(sans, u.String())
	}
	if len(sans) > 0 {
		f = append(f, field{"Subject alternative names", strings.Join(sans, ", ")})
	}
	if cert.BasicConstraintsValid {
		bc := "end entity"
		if cert.IsCA {
			bc = "CA"
			if cert.MaxPathLen >= 0 && (cert.MaxPathLen > 0 || cert.MaxPathLenZero) {
				bc += fmt.Sprintf(", path length %d", cert.MaxPathLen)
			}
		}
		f = append(f, field{"Basic constraints", bc})
	}
	if ku := keyUsages(cert.KeyUsage); ku != "" {
		f = append(f, field{"Key usage", ku})
	}
	if eku := extKeyUsages(cert.ExtKeyUsage); eku != "" {
		f = append(f, field{"Extended key usage", eku})
	}
	if len(cert.SubjectKeyId) > 0 {
		f = append(f, field{"Subject key identifier", colonHex(cert.SubjectKeyId)})
	}
	if len(cert.AuthorityKeyId) > 0 {
		f = append(f, field{"Authority key identifier", colonHex(cert.AuthorityKeyId)})
	}
	if len(cert.CRLDistributionPoints) > 0 {
		f = append(f, field{"CRL distribution points", strings.Join(cert.CRLDistributionPoints, ", ")})
	}
	if len(cert.OCSPServer) > 0 {
		f = append(f, field{"OCSP", strings.Join(cert.OCSPServer, ", ")})
	}
	if rec.TemplateArn != "" {
		f = append(f, field{"Template", rec.TemplateArn})
	}
	if rec.Partition != "" {
		f = append(f, field{"CRL partition", rec.Partition})
	}
	f = append(f, field{"Issued at", rec.IssuedAt.UTC().Format(timeLayout)})
	return f
}

func publicKey(cert *x509.Certificate) string {
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return cert.PublicKeyAlgorithm.String()
}

func keyUsages(ku x509.KeyUsage) string {
	names := []string{"digital signature", "content commitment", "key encipherment", "data encipherment",
		"key agreement", "certificate signing", "CRL signing", "encipher only", "decipher only"}
	var out []string
	for i, n := range names {
		if ku&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

func extKeyUsages(ekus []x509.ExtKeyUsage) string {
	names := map[x509.ExtKeyUsage]string{
		x509.ExtKeyUsageServerAuth: "TLS server", x509.ExtKeyUsageClientAuth: "TLS client",
		x509.ExtKeyUsageCodeSigning: "code signing", x509.ExtKeyUsageEmailProtection: "email",
		x509.ExtKeyUsageTimeStamping: "time stamping", x509.ExtKeyUsageOCSPSigning: "OCSP signing",
		x509.ExtKeyUsageAny: "any",
	}
	var out []string
	for _, e := range ekus {
		if n, ok := names[e]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("usage %d", e))
		}
	}
	return strings.Join(out, ", ")
}

func colonHex(b []byte) string {
	h := hex.EncodeToString(b)
	var buf bytes.Buffer
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			buf.WriteByte(':')
		}
		buf.WriteString(h[i : i+2])
	}
	return buf.String()
}

const timeLayout = "2006-01-02 15:04:05 UTC"

// age says a duration the way people read it, to its two largest units.
func age(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func (c *Console) funcs() template.FuncMap {
	return template.FuncMap{
		"time": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format(timeLayout)
		},
		// left says how long until t, or how long ago it passed.
		"left": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			d := t.Sub(c.now())
			if d < 0 {
				return "expired " + age(d) + " ago"
			}
			return age(d) + " left"
		},
		"ago": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return age(c.now().Sub(t)) + " ago"
		},
		"bytes": func(n int64) string {
			switch {
			case n >= 1<<20:
				return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
			case n >= 1<<10:
				return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
			}
			return fmt.Sprintf("%d B", n)
		},
		"lower": strings.ToLower,
	}
}
