package pca

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxListPage is the most CAs one ListCertificateAuthorities page returns,
// whatever MaxResults asks for, as in AWS.
const MaxListPage = 100

// ListCAs returns one page of the caller's CAs and the token of the next page
// ("" on the last one). Deleted CAs are listed until their window ends.
func (s *Service) ListCAs(ctx context.Context, caller Caller, maxResults int, nextToken string) ([]*CA, string, error) {
	if err := s.authorize(caller, "ListCertificateAuthorities", "*", caller.Account, "", nil); err != nil {
		return nil, "", err
	}
	return s.listPage(maxResults, nextToken, func(after ListPosition, limit int) ([]*CA, error) {
		return s.Store.ListCAs(ctx, caller.Account, after, limit)
	}, func(*CA) bool { return true })
}

// ListSharedCAs is ListCertificateAuthorities with ResourceOwner
// OTHER_ACCOUNTS: the CAs of other accounts the caller may use through their
// resource policies. A CA is listed when the caller may
// DescribeCertificateAuthority it, or IssueCertificate from it with one of
// the templates AWS lets other accounts use.
func (s *Service) ListSharedCAs(ctx context.Context, caller Caller, maxResults int, nextToken string) ([]*CA, string, error) {
	if err := s.authorize(caller, "ListCertificateAuthorities", "*", caller.Account, "", nil); err != nil {
		return nil, "", err
	}
	return s.listPage(maxResults, nextToken, func(after ListPosition, limit int) ([]*CA, error) {
		return s.Store.ListSharedCAs(ctx, caller.Account, after, limit)
	}, func(ca *CA) bool { return s.sharedWith(caller, ca) })
}

// CrossAccountTemplates are the templates another account may issue with
// from a shared CA, per AWS's documentation.
var CrossAccountTemplates = []string{
	"EndEntityCertificate", "EndEntityClientAuthCertificate", "EndEntityServerAuthCertificate",
	"BlankEndEntityCertificate_APIPassthrough", "BlankEndEntityCertificate_APICSRPassthrough",
	"SubordinateCACertificate_PathLen0",
}

// crossAccountTemplate says another account may issue with the template.
func crossAccountTemplate(arn string) bool {
	name, ok := strings.CutSuffix(arn[strings.LastIndex(arn, ":")+1:], "/V1")
	name, isTemplate := strings.CutPrefix(name, "template/")
	return ok && isTemplate && slices.Contains(CrossAccountTemplates, name)
}

func (s *Service) sharedWith(caller Caller, ca *CA) bool {
	arn := s.CAArn(ca)
	if s.allowed(caller, "DescribeCertificateAuthority", arn, ca.Account, ca.Policy, nil) {
		return true
	}
	for _, t := range CrossAccountTemplates {
		tmpl := "arn:" + s.partition() + ":acm-pca:::template/" + t + "/V1"
		if s.allowed(caller, "IssueCertificate", arn, ca.Account, ca.Policy, map[string][]string{ConditionTemplateArn: {tmpl}}) {
			return true
		}
	}
	return false
}

// listPage reads one page through fetch and keeps the CAs keep accepts. A
// page may hold fewer than maxResults entries.
func (s *Service) listPage(maxResults int, nextToken string, fetch func(ListPosition, int) ([]*CA, error), keep func(*CA) bool) ([]*CA, string, error) {
	if maxResults <= 0 || maxResults > MaxListPage {
		maxResults = MaxListPage
	}
	var after ListPosition
	if nextToken != "" {
		var ok bool
		if after, ok = decodeListToken(nextToken); !ok {
			return nil, "", Errorf(KindInvalidNextToken, "The token %q is not valid.", nextToken)
		}
	}
	batch, err := fetch(after, maxResults+1)
	if err != nil {
		return nil, "", err
	}
	more := len(batch) > maxResults
	if more {
		batch = batch[:maxResults]
	}
	// CAs past their deletion window are hidden until the sweeper purges them.
	now := s.now()
	page := make([]*CA, 0, len(batch))
	for _, ca := range batch {
		if !ca.purged(now) && keep(ca) {
			page = append(page, ca)
		}
	}
	if !more {
		return page, "", nil
	}
	last := batch[len(batch)-1]
	return page, encodeListToken(ListPosition{CreatedAt: last.CreatedAt, ID: last.ID}), nil
}

// A list token is the position of the last CA returned, so pages stay
// consistent while CAs are created or deleted.
func encodeListToken(p ListPosition) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.CreatedAt.UnixNano(), 10) + "/" + p.ID))
}

func decodeListToken(tok string) (ListPosition, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return ListPosition{}, false
	}
	ns, id, ok := strings.Cut(string(raw), "/")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || !uuidPattern.MatchString(id) {
		return ListPosition{}, false
	}
	return ListPosition{CreatedAt: time.Unix(0, n), ID: id}, true
}
