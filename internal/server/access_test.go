package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openpca/openpca/internal/acmpca/api"
)

// otherAccount owns principals that reach testAccount's CAs only through
// resource policies.
const otherAccount = "444455556666"

// principal creates a principal of account with the given identity policies
// and returns a client that signs as it.
func (e *testEnv) principal(t testing.TB, proto func(*acmpca.Options), account, name string, policies ...string) *acmpca.Client {
	t.Helper()
	ctx := context.Background()
	creds, err := e.srv.principals.Create(ctx, account, name)
	if err != nil {
		t.Fatal(err)
	}
	for i, doc := range policies {
		if err := e.srv.principals.AttachPolicy(ctx, account, name, fmt.Sprintf("policy%d", i), doc); err != nil {
			t.Fatal(err)
		}
	}
	return e.client(proto, creds.AccessKeyID, creds.SecretAccessKey)
}

// sharePolicy is AWS's documented policy sharing a CA with an account.
func sharePolicy(caArn, account string) string {
	return `{"Version":"2012-10-17","Statement":[
 {"Sid":"ExampleStatementID","Effect":"Allow","Principal":{"AWS":"` + account + `"},
  "Action":["acm-pca:DescribeCertificateAuthority","acm-pca:GetCertificate","acm-pca:GetCertificateAuthorityCertificate","acm-pca:ListPermissions","acm-pca:ListTags"],
  "Resource":"` + caArn + `"},
 {"Sid":"ExampleStatementID2","Effect":"Allow","Principal":{"AWS":"` + account + `"},
  "Action":["acm-pca:IssueCertificate"],"Resource":"` + caArn + `",
  "Condition":{"StringEquals":{"acm-pca:TemplateArn":"arn:aws:acm-pca:::template/EndEntityCertificate/V1"}}}]}`
}

func sameJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("not JSON: %q", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON differs:\n got %s\nwant %s", got, want)
	}
}

// wantAccessDenied asserts an AccessDeniedException for action, with HTTP 400 as AWS answers it.
func wantAccessDenied(t *testing.T, err error, action, because string) {
	t.Helper()
	wantAPIError(t, err, "AccessDeniedException", "is not authorized to perform: acm-pca:"+action+" on resource: ")
	wantAPIError(t, err, "AccessDeniedException", because)
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 400 {
		t.Fatalf("AccessDeniedException without HTTP 400: %v", err)
	}
}

// deletedCA returns the ARN of a CA in the DELETED state.
func deletedCA(t *testing.T, c *acmpca.Client) string {
	t.Helper()
	arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{})
	if _, err := c.DeleteCertificateAuthority(context.Background(), &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: &arn}); err != nil {
		t.Fatal(err)
	}
	return arn
}

// arnErrors are ARNs every CA operation refuses, with the error each gets.
func arnErrors(arn string) []struct{ name, arn, code string } {
	id := arn[strings.LastIndex(arn, "/")+1:]
	return []struct{ name, arn, code string }{
		{"InvalidArn", "arn:aws:acm-pca:us-east-1:" + testAccount + ":certificate-authority/nope", "InvalidArnException"},
		{"UnknownCA", "arn:aws:acm-pca:us-east-1:" + testAccount + ":certificate-authority/00000000-0000-4000-8000-000000000000", "ResourceNotFoundException"},
		{"OtherAccount", "arn:aws:acm-pca:us-east-1:999999999999:certificate-authority/" + id, "AccessDeniedException"},
	}
}

// PutPolicy, GetPolicy and DeletePolicy: acceptance checks 73-76 and every
// modelled error that can arise.
func TestResourcePolicies(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		arn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa)
		get := func(arn string) (string, error) {
			out, err := c.GetPolicy(ctx, &acmpca.GetPolicyInput{ResourceArn: &arn})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Policy), nil
		}
		put := func(arn, doc string) error {
			_, err := c.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: &arn, Policy: &doc})
			return err
		}
		del := func(arn string) error {
			_, err := c.DeletePolicy(ctx, &acmpca.DeletePolicyInput{ResourceArn: &arn})
			return err
		}

		_, err := get(arn)
		wantTyped[*types.ResourceNotFoundException](t, err)
		if err := del(arn); err != nil {
			t.Fatalf("DeletePolicy without a policy: %v", err)
		}
		doc := sharePolicy(arn, otherAccount)
		if err := put(arn, doc); err != nil {
			t.Fatalf("PutPolicy: %v", err)
		}
		got, err := get(arn)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, got, doc)

		statement := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
		allow := func(action string) string {
			return statement(`{"Effect":"Allow","Principal":{"AWS":"` + otherAccount + `"},"Action":"` + action + `","Resource":"` + arn + `"}`)
		}
		invalid := map[string]string{
			"Deny":            statement(`{"Effect":"Deny","Principal":{"AWS":"` + otherAccount + `"},"Action":"acm-pca:IssueCertificate","Resource":"` + arn + `"}`),
			"ActionNotShared": allow("acm-pca:DeleteCertificateAuthority"),
			"OtherService":    allow("s3:GetObject"),
			"Wildcard":        allow("acm-pca:*"),
			"NotJSON":         "this is not JSON",
			"NoVersion":       `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"` + otherAccount + `"},"Action":"acm-pca:ListTags","Resource":"` + arn + `"}]}`,
			"NoStatement":     statement(``),
			"NoPrincipal":     statement(`{"Effect":"Allow","Action":"acm-pca:ListTags","Resource":"` + arn + `"}`),
			"OtherResource":   statement(`{"Effect":"Allow","Principal":{"AWS":"` + otherAccount + `"},"Action":"acm-pca:ListTags","Resource":"arn:aws:acm-pca:us-east-1:` + testAccount + `:certificate-authority/00000000-0000-4000-8000-000000000000"}`),
			"NotAction":       statement(`{"Effect":"Allow","Principal":{"AWS":"` + otherAccount + `"},"NotAction":"acm-pca:ListTags","Resource":"` + arn + `"}`),
		}
		for name, bad := range invalid {
			t.Run("Invalid"+name, func(t *testing.T) {
				wantTyped[*types.InvalidPolicyException](t, put(arn, bad))
				// A refused policy changes nothing.
				if got, err := get(arn); err != nil || got != doc {
					t.Fatalf("policy after a refused PutPolicy: %q, %v", got, err)
				}
			})
		}

		for _, tc := range arnErrors(arn) {
			t.Run(tc.name, func(t *testing.T) {
				wantAPIError(t, put(tc.arn, doc), tc.code, "")
				_, err := get(tc.arn)
				wantAPIError(t, err, tc.code, "")
				wantAPIError(t, del(tc.arn), tc.code, "")
			})
		}

		t.Run("DeletedCA", func(t *testing.T) {
			gone := deletedCA(t, c)
			wantTyped[*types.InvalidStateException](t, put(gone, sharePolicy(gone, otherAccount)))
			_, err := get(gone)
			wantTyped[*types.InvalidStateException](t, err)
			wantTyped[*types.InvalidStateException](t, del(gone))
		})

		if err := del(arn); err != nil {
			t.Fatal(err)
		}
		_, err = get(arn)
		wantTyped[*types.ResourceNotFoundException](t, err)
	})
}

// CreatePermission, ListPermissions and DeletePermission: acceptance checks
// 68-72 and every modelled error that can arise.
func TestPermissions(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{})
		all := []types.ActionType{types.ActionTypeIssueCertificate, types.ActionTypeGetCertificate, types.ActionTypeListPermissions}
		grant := func(arn, principal string, source *string, actions ...types.ActionType) error {
			_, err := c.CreatePermission(ctx, &acmpca.CreatePermissionInput{CertificateAuthorityArn: &arn, Principal: &principal, SourceAccount: source, Actions: actions})
			return err
		}
		list := func(arn string, max int32, token *string) (*acmpca.ListPermissionsOutput, error) {
			in := &acmpca.ListPermissionsInput{CertificateAuthorityArn: &arn, NextToken: token}
			if max > 0 {
				in.MaxResults = &max
			}
			return c.ListPermissions(ctx, in)
		}
		revoke := func(arn, principal string, source *string) error {
			_, err := c.DeletePermission(ctx, &acmpca.DeletePermissionInput{CertificateAuthorityArn: &arn, Principal: &principal, SourceAccount: source})
			return err
		}

		before := time.Now().Add(-time.Second)
		if err := grant(arn, "acm.amazonaws.com", nil, all...); err != nil {
			t.Fatalf("CreatePermission: %v", err)
		}
		out, err := list(arn, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Permissions) != 1 || out.NextToken != nil {
			t.Fatalf("ListPermissions: %+v", out)
		}
		p := out.Permissions[0]
		if !slices.Equal(p.Actions, all) || aws.ToString(p.Principal) != "acm.amazonaws.com" || aws.ToString(p.CertificateAuthorityArn) != arn ||
			aws.ToString(p.SourceAccount) != testAccount || p.CreatedAt == nil || p.CreatedAt.Before(before) {
			t.Fatalf("permission: %+v", p)
		}
		sameJSON(t, aws.ToString(p.Policy), `{"Version":"2012-10-17","Statement":[{"Sid":"ACMPrivateCAPermission","Effect":"Allow",
			"Principal":{"Service":"acm.amazonaws.com"},"Action":["acm-pca:IssueCertificate","acm-pca:GetCertificate","acm-pca:ListPermissions"],
			"Resource":"`+arn+`","Condition":{"StringEquals":{"aws:SourceAccount":"`+testAccount+`"}}}]}`)

		wantTyped[*types.PermissionAlreadyExistsException](t, grant(arn, "acm.amazonaws.com", nil, types.ActionTypeGetCertificate))
		wantTyped[*types.PermissionAlreadyExistsException](t, grant(arn, "acm.amazonaws.com", aws.String(testAccount), types.ActionTypeGetCertificate))
		wantAPIError(t, grant(arn, "ec2.amazonaws.com", nil, all...), "ValidationException", "acm.amazonaws.com")
		wantAPIError(t, grant(arn, "acm.amazonaws.com", aws.String("111111111111"), "RevokeCertificate"), "ValidationException", "")
		// An empty list passes the SDK's checks (it only requires the member) and is refused by the
		// server; the grant for 111111111111 below shows nothing was saved.
		wantAPIError(t, grant(arn, "acm.amazonaws.com", aws.String("111111111111"), []types.ActionType{}...), "ValidationException",
			"Value '[]' at 'actions' failed to satisfy constraint: Member must have length greater than or equal to 1")

		// Paging, one grant per source account.
		for _, acct := range []string{"111111111111", "222222222222"} {
			if err := grant(arn, "acm.amazonaws.com", aws.String(acct), types.ActionTypeIssueCertificate); err != nil {
				t.Fatal(err)
			}
		}
		var accounts []string
		var token *string
		for range 10 {
			page, err := list(arn, 1, token)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Permissions {
				accounts = append(accounts, aws.ToString(p.SourceAccount))
			}
			if token = page.NextToken; token == nil {
				break
			}
		}
		if !slices.Equal(accounts, []string{"111111111111", testAccount, "222222222222"}) {
			t.Fatalf("paged source accounts: %v", accounts)
		}
		for _, bad := range []string{"garbage", "Zm9v", strings.Repeat("A", 40)} {
			_, err := list(arn, 1, &bad)
			wantTyped[*types.InvalidNextTokenException](t, err)
		}

		if err := revoke(arn, "acm.amazonaws.com", nil); err != nil {
			t.Fatalf("DeletePermission: %v", err)
		}
		wantTyped[*types.ResourceNotFoundException](t, revoke(arn, "acm.amazonaws.com", nil))
		wantTyped[*types.ResourceNotFoundException](t, revoke(arn, "ec2.amazonaws.com", nil))
		for _, acct := range []string{"111111111111", "222222222222"} {
			if err := revoke(arn, "acm.amazonaws.com", aws.String(acct)); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := list(arn, 0, nil); err != nil || len(out.Permissions) != 0 {
			t.Fatalf("after DeletePermission: %+v, %v", out, err)
		}

		for _, tc := range arnErrors(arn) {
			t.Run(tc.name, func(t *testing.T) {
				wantAPIError(t, grant(tc.arn, "acm.amazonaws.com", nil, all...), tc.code, "")
				_, err := list(tc.arn, 0, nil)
				wantAPIError(t, err, tc.code, "")
				wantAPIError(t, revoke(tc.arn, "acm.amazonaws.com", nil), tc.code, "")
			})
		}
		t.Run("DeletedCA", func(t *testing.T) {
			gone := deletedCA(t, c)
			wantTyped[*types.InvalidStateException](t, grant(gone, "acm.amazonaws.com", nil, all...))
			_, err := list(gone, 0, nil)
			wantTyped[*types.InvalidStateException](t, err)
			wantTyped[*types.InvalidStateException](t, revoke(gone, "acm.amazonaws.com", nil))
		})
	})
}

// everyOperation calls each operation but IssueCertificate once on arn.
func everyOperation(c *acmpca.Client, arn, certArn string) map[string]func(context.Context) error {
	a := &arn
	ign := func(_ any, err error) error { return err }
	return map[string]func(context.Context) error{
		"CreateCertificateAuthority": func(ctx context.Context) error {
			return ign(c.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityType: types.CertificateAuthorityTypeRoot, CertificateAuthorityConfiguration: ecConfig("x")}))
		},
		"CreateCertificateAuthorityAuditReport": func(ctx context.Context) error {
			return ign(c.CreateCertificateAuthorityAuditReport(ctx, &acmpca.CreateCertificateAuthorityAuditReportInput{CertificateAuthorityArn: a, S3BucketName: aws.String("audit"), AuditReportResponseFormat: types.AuditReportResponseFormatJson}))
		},
		"CreatePermission": func(ctx context.Context) error {
			return ign(c.CreatePermission(ctx, &acmpca.CreatePermissionInput{CertificateAuthorityArn: a, Principal: aws.String("acm.amazonaws.com"), Actions: []types.ActionType{types.ActionTypeGetCertificate}}))
		},
		"DeleteCertificateAuthority": func(ctx context.Context) error {
			return ign(c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: a}))
		},
		"DeletePermission": func(ctx context.Context) error {
			return ign(c.DeletePermission(ctx, &acmpca.DeletePermissionInput{CertificateAuthorityArn: a, Principal: aws.String("acm.amazonaws.com")}))
		},
		"DeletePolicy": func(ctx context.Context) error {
			return ign(c.DeletePolicy(ctx, &acmpca.DeletePolicyInput{ResourceArn: a}))
		},
		"DescribeCertificateAuthority": func(ctx context.Context) error {
			return ign(c.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: a}))
		},
		"DescribeCertificateAuthorityAuditReport": func(ctx context.Context) error {
			return ign(c.DescribeCertificateAuthorityAuditReport(ctx, &acmpca.DescribeCertificateAuthorityAuditReportInput{CertificateAuthorityArn: a, AuditReportId: aws.String("00000000-0000-4000-8000-000000000000")}))
		},
		"GetCertificate": func(ctx context.Context) error {
			return ign(c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: a, CertificateArn: &certArn}))
		},
		"GetCertificateAuthorityCertificate": func(ctx context.Context) error {
			return ign(c.GetCertificateAuthorityCertificate(ctx, &acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: a}))
		},
		"GetCertificateAuthorityCsr": func(ctx context.Context) error {
			return ign(c.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: a}))
		},
		"GetPolicy": func(ctx context.Context) error {
			return ign(c.GetPolicy(ctx, &acmpca.GetPolicyInput{ResourceArn: a}))
		},
		"ImportCertificateAuthorityCertificate": func(ctx context.Context) error {
			return ign(c.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{CertificateAuthorityArn: a, Certificate: []byte("not a certificate")}))
		},
		"ListCertificateAuthorities": func(ctx context.Context) error {
			return ign(c.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{}))
		},
		"ListPermissions": func(ctx context.Context) error {
			return ign(c.ListPermissions(ctx, &acmpca.ListPermissionsInput{CertificateAuthorityArn: a}))
		},
		"ListTags": func(ctx context.Context) error {
			return ign(c.ListTags(ctx, &acmpca.ListTagsInput{CertificateAuthorityArn: a}))
		},
		"PutPolicy": func(ctx context.Context) error {
			return ign(c.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: a, Policy: aws.String(sharePolicy(arn, otherAccount))}))
		},
		"RestoreCertificateAuthority": func(ctx context.Context) error {
			return ign(c.RestoreCertificateAuthority(ctx, &acmpca.RestoreCertificateAuthorityInput{CertificateAuthorityArn: a}))
		},
		"RevokeCertificate": func(ctx context.Context) error {
			return revoke(c, arn, serialOf(certArn), types.RevocationReasonKeyCompromise)
		},
		"TagCertificateAuthority": func(ctx context.Context) error {
			return ign(c.TagCertificateAuthority(ctx, &acmpca.TagCertificateAuthorityInput{CertificateAuthorityArn: a, Tags: []types.Tag{{Key: aws.String("k")}}}))
		},
		"UntagCertificateAuthority": func(ctx context.Context) error {
			return ign(c.UntagCertificateAuthority(ctx, &acmpca.UntagCertificateAuthorityInput{CertificateAuthorityArn: a, Tags: []types.Tag{{Key: aws.String("k")}}}))
		},
		"UpdateCertificateAuthority": func(ctx context.Context) error {
			return ign(c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: a, Status: types.CertificateAuthorityStatusDisabled}))
		},
	}
}

// Acceptance (a): a principal allowed only IssueCertificate with one
// template issues with it and is refused everything else.
func TestTemplateRestrictedPrincipal(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			root := e.rootClient(p.opt)
			arn, _ := bootstrapRoot(t, root, types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa)
			allowed := templatePrefix + "EndEntityServerAuthCertificate/V1"
			c := e.principal(t, p.opt, testAccount, "issuer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
				"Action":"acm-pca:IssueCertificate","Resource":"`+arn+`",
				"Condition":{"StringEquals":{"acm-pca:TemplateArn":"`+allowed+`"}}}]}`)
			csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), types.SigningAlgorithmSha256withecdsa, "leaf.example.com", "leaf.example.com")
			issueWith := func(template string) (string, error) {
				in := &acmpca.IssueCertificateInput{CertificateAuthorityArn: &arn, Csr: csr, SigningAlgorithm: types.SigningAlgorithmSha256withecdsa,
					Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(7)}}
				if template != "" {
					in.TemplateArn = &template
				}
				out, err := c.IssueCertificate(ctx, in)
				if err != nil {
					return "", err
				}
				return *out.CertificateArn, nil
			}
			certArn, err := issueWith(allowed)
			if err != nil {
				t.Fatalf("IssueCertificate with the allowed template: %v", err)
			}
			for _, tmpl := range []string{"", templatePrefix + "EndEntityCertificate/V1", templatePrefix + "EndEntityClientAuthCertificate/V1",
				templatePrefix + "CodeSigningCertificate/V1", templatePrefix + "SubordinateCACertificate_PathLen0/V1"} {
				_, err := issueWith(tmpl)
				wantAccessDenied(t, err, "IssueCertificate", "because no identity-based policy allows")
			}

			ops := everyOperation(c, arn, certArn)
			var names []string
			for name := range ops {
				names = append(names, name)
			}
			names = append(names, "IssueCertificate")
			sort.Strings(names)
			if !slices.Equal(names, api.OperationNames) {
				t.Fatalf("the loop covers %v, the API has %v", names, api.OperationNames)
			}
			for name, call := range ops {
				t.Run(name, func(t *testing.T) {
					wantAccessDenied(t, call(ctx), name, "because no identity-based policy allows the acm-pca:"+name+" action")
				})
			}

			// The refused calls changed nothing.
			ca := describe(t, root, arn)
			if ca.Status != types.CertificateAuthorityStatusActive {
				t.Fatalf("CA status %s after refused calls", ca.Status)
			}
			list, err := root.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
			if err != nil || len(list.CertificateAuthorities) != 1 {
				t.Fatalf("CAs after a refused create: %v, %v", list, err)
			}
			tags, err := root.ListTags(ctx, &acmpca.ListTagsInput{CertificateAuthorityArn: &arn})
			if err != nil || len(tags.Tags) != 0 {
				t.Fatalf("tags after a refused tag: %v, %v", tags, err)
			}
			_, err = root.GetPolicy(ctx, &acmpca.GetPolicyInput{ResourceArn: &arn})
			wantTyped[*types.ResourceNotFoundException](t, err)
			perms, err := root.ListPermissions(ctx, &acmpca.ListPermissionsInput{CertificateAuthorityArn: &arn})
			if err != nil || len(perms.Permissions) != 0 {
				t.Fatalf("permissions after a refused grant: %v, %v", perms, err)
			}
			// Not revoked: the root can still revoke it.
			if err := revoke(root, arn, serialOf(certArn), types.RevocationReasonKeyCompromise); err != nil {
				t.Fatalf("the refused revocation happened: %v", err)
			}
		})
	}
}

// Acceptance (b): a principal of another account reaches a CA only once its
// resource policy shares it, and only for the actions shared.
func TestCrossAccountSharing(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			root := e.rootClient(p.opt)
			arn, _ := bootstrapRoot(t, root, types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa)
			everything := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"acm-pca:*","Resource":"*"}]}`
			bob := e.principal(t, p.opt, otherAccount, "bob", everything)
			carol := e.principal(t, p.opt, otherAccount, "carol") // no identity policy
			shared := func(c *acmpca.Client) []string {
				t.Helper()
				out, err := c.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{ResourceOwner: types.ResourceOwnerOtherAccounts})
				if err != nil {
					t.Fatal(err)
				}
				var arns []string
				for _, ca := range out.CertificateAuthorities {
					arns = append(arns, *ca.Arn)
				}
				return arns
			}
			describeAs := func(c *acmpca.Client) error {
				_, err := c.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: &arn})
				return err
			}

			wantAccessDenied(t, describeAs(bob), "DescribeCertificateAuthority", "because no resource-based policy allows the acm-pca:DescribeCertificateAuthority action")
			if got := shared(bob); len(got) != 0 {
				t.Fatalf("shared before PutPolicy: %v", got)
			}

			if _, err := root.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: &arn, Policy: aws.String(sharePolicy(arn, otherAccount))}); err != nil {
				t.Fatal(err)
			}
			if err := describeAs(bob); err != nil {
				t.Fatalf("Describe after sharing: %v", err)
			}
			if got := shared(bob); !slices.Equal(got, []string{arn}) {
				t.Fatalf("OTHER_ACCOUNTS = %v, want %s", got, arn)
			}
			if own, err := bob.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{}); err != nil || len(own.CertificateAuthorities) != 0 {
				t.Fatalf("SELF lists another account's CA: %v, %v", own, err)
			}
			csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), types.SigningAlgorithmSha256withecdsa, "bob.example.com", "bob.example.com")
			leaf := issue(t, bob, arn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: types.SigningAlgorithmSha256withecdsa}) // also GetCertificate
			if _, err := bob.GetCertificateAuthorityCertificate(ctx, &acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: &arn}); err != nil {
				t.Fatal(err)
			}
			if _, err := bob.ListTags(ctx, &acmpca.ListTagsInput{CertificateAuthorityArn: &arn}); err != nil {
				t.Fatal(err)
			}
			if _, err := bob.ListPermissions(ctx, &acmpca.ListPermissionsInput{CertificateAuthorityArn: &arn}); err != nil {
				t.Fatal(err)
			}
			_, err := bob.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: &arn, Csr: csr, SigningAlgorithm: types.SigningAlgorithmSha256withecdsa,
				TemplateArn: aws.String(templatePrefix + "EndEntityServerAuthCertificate/V1"), Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(7)}})
			wantAccessDenied(t, err, "IssueCertificate", "because no resource-based policy allows the acm-pca:IssueCertificate action")

			sharedOps := map[string]bool{"DescribeCertificateAuthority": true, "GetCertificate": true, "GetCertificateAuthorityCertificate": true,
				"ListPermissions": true, "ListTags": true, "CreateCertificateAuthority": true, "ListCertificateAuthorities": true}
			for name, call := range everyOperation(bob, arn, leaf.arn) {
				if sharedOps[name] {
					continue
				}
				t.Run("NotShared"+name, func(t *testing.T) {
					wantAccessDenied(t, call(ctx), name, "because no resource-based policy allows the acm-pca:"+name+" action")
				})
			}

			// Sharing needs the caller's own identity policy too.
			wantAccessDenied(t, describeAs(carol), "DescribeCertificateAuthority", "no identity-based policy allows")
			if got, err := carol.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{ResourceOwner: types.ResourceOwnerOtherAccounts}); err == nil {
				t.Fatalf("carol may list: %v", got)
			}

			// bob's own CA lives in his account, out of the other root's reach.
			out, err := bob.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityType: types.CertificateAuthorityTypeRoot, CertificateAuthorityConfiguration: ecConfig("bob")})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(*out.CertificateAuthorityArn, ":"+otherAccount+":certificate-authority/") {
				t.Fatalf("bob's CA %s is not in his account", *out.CertificateAuthorityArn)
			}
			_, err = root.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: out.CertificateAuthorityArn})
			wantAccessDenied(t, err, "DescribeCertificateAuthority", "because no resource-based policy allows")
			if got := shared(bob); !slices.Equal(got, []string{arn}) {
				t.Fatalf("OTHER_ACCOUNTS lists bob's own CA: %v", got)
			}

			// A policy that allows every template still lets another account
			// use only those AWS allows across accounts.
			anyTemplate := strings.Replace(sharePolicy(arn, otherAccount), `,
  "Condition":{"StringEquals":{"acm-pca:TemplateArn":"arn:aws:acm-pca:::template/EndEntityCertificate/V1"}}`, "", 1)
			if _, err := root.PutPolicy(ctx, &acmpca.PutPolicyInput{ResourceArn: &arn, Policy: aws.String(anyTemplate)}); err != nil {
				t.Fatal(err)
			}
			withTemplate := func(name string) error {
				_, err := bob.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: &arn, Csr: csr, SigningAlgorithm: types.SigningAlgorithmSha256withecdsa,
					TemplateArn: aws.String(templatePrefix + name), Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(7)}})
				return err
			}
			if err := withTemplate("EndEntityServerAuthCertificate/V1"); err != nil {
				t.Fatalf("a cross-account template under a policy that allows it: %v", err)
			}
			wantAccessDenied(t, withTemplate("CodeSigningCertificate/V1"), "IssueCertificate", "because another account may not issue with "+templatePrefix+"CodeSigningCertificate/V1")

			if _, err := root.DeletePolicy(ctx, &acmpca.DeletePolicyInput{ResourceArn: &arn}); err != nil {
				t.Fatal(err)
			}
			wantAccessDenied(t, describeAs(bob), "DescribeCertificateAuthority", "because no resource-based policy allows")
			if got := shared(bob); len(got) != 0 {
				t.Fatalf("shared after DeletePolicy: %v", got)
			}
		})
	}
}

// Principals created, changed or deleted while the server runs take effect
// within the cache's lifetime, without a restart.
func TestPrincipalChangesApplyWithoutRestart(t *testing.T) {
	const ttl = 100 * time.Millisecond
	e := newTestEnvWith(t, nil, func(c *Config) { c.PrincipalCacheTTL = ttl })
	ctx := context.Background()
	admin := e.srv.principals
	creds, err := admin.Create(ctx, testAccount, "dave")
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(protocols[0].opt, creds.AccessKeyID, creds.SecretAccessKey)
	list := func() error {
		_, err := c.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
		return err
	}
	wantAccessDenied(t, list(), "ListCertificateAuthorities", "no identity-based policy allows")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"acm-pca:List*","Resource":"*"}]}`
	if err := admin.AttachPolicy(ctx, testAccount, "dave", "lister", doc); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, func() bool { return list() == nil })
	if err := admin.Store.DeletePrincipalPolicy(ctx, testAccount, "dave", "lister"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, func() bool { return list() != nil })
	wantAccessDenied(t, list(), "ListCertificateAuthorities", "no identity-based policy allows")

	second, err := admin.CreateAccessKey(ctx, testAccount, "dave")
	if err != nil {
		t.Fatal(err)
	}
	c2 := e.client(protocols[0].opt, second.AccessKeyID, second.SecretAccessKey)
	_, err = c2.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
	wantAccessDenied(t, err, "ListCertificateAuthorities", "user/dave")

	if err := admin.Store.DeletePrincipal(ctx, testAccount, "dave"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * ttl)
	wantAPIError(t, list(), "UnrecognizedClientException", "")
	_, err = c2.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
	wantAPIError(t, err, "UnrecognizedClientException", "")
}
