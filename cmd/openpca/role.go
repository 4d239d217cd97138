package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/openpca/openpca/internal/principals"
)

// roleFlags are the flags of the role and OIDC provider commands.
type roleFlags struct {
	account, name, policyName, policyFile, policyDoc string
	trustPolicy                                      string
	maxSession                                       int
	issuer, clientIDs, jwksFile                      string
}

// roleCmd runs the role and OIDC provider commands of `openpca principal`;
// handled is false for any other command.
func roleCmd(ctx context.Context, cmd string, a *principals.RoleAdmin, f roleFlags, need func(...string) error, stdout io.Writer) (handled bool, err error) {
	maxSession := time.Duration(f.maxSession) * time.Second
	switch cmd {
	case "create-role":
		if err := need("name", "trust-policy"); err != nil {
			return true, err
		}
		trust, err := policyDocument("", f.trustPolicy)
		if err != nil {
			return true, err
		}
		r, err := a.CreateRole(ctx, f.account, f.name, trust, maxSession)
		if err != nil {
			return true, err
		}
		fmt.Fprintf(stdout, "Role: %s\nRoleId: %s\nMaxSessionDuration: %d\n", r.ARN(), r.ID, int(r.MaxSessionDuration/time.Second))
		return true, nil
	case "update-role":
		if err := need("name"); err != nil {
			return true, err
		}
		trust := ""
		if f.trustPolicy != "" {
			if trust, err = policyDocument("", f.trustPolicy); err != nil {
				return true, err
			}
		}
		return true, a.UpdateRole(ctx, f.account, f.name, trust, maxSession)
	case "delete-role":
		if err := need("name"); err != nil {
			return true, err
		}
		return true, notFound(a.Store.DeleteRole(ctx, f.account, f.name), "account %s has no role named %s", f.account, f.name)
	case "attach-role-policy":
		if err := need("name", "policy-name"); err != nil {
			return true, err
		}
		doc, err := policyDocument(f.policyFile, f.policyDoc)
		if err != nil {
			return true, err
		}
		return true, a.AttachRolePolicy(ctx, f.account, f.name, f.policyName, doc)
	case "detach-role-policy":
		if err := need("name", "policy-name"); err != nil {
			return true, err
		}
		return true, notFound(a.Store.DeleteRolePolicy(ctx, f.account, f.name, f.policyName), "role %s has no policy named %s", principals.RoleARN(f.account, f.name), f.policyName)
	case "create-oidc-provider":
		if err := need("url", "client-id", "jwks-file"); err != nil {
			return true, err
		}
		jwks, err := os.ReadFile(f.jwksFile)
		if err != nil {
			return true, err
		}
		p, err := a.PutOIDCProvider(ctx, f.account, f.issuer, strings.Split(f.clientIDs, ","), string(jwks))
		if err != nil {
			return true, err
		}
		fmt.Fprintf(stdout, "OpenIDConnectProvider: %s\n", p.ARN())
		return true, nil
	case "delete-oidc-provider":
		if err := need("url"); err != nil {
			return true, err
		}
		return true, notFound(a.Store.DeleteOIDCProvider(ctx, f.account, f.issuer), "account %s has no OIDC provider for %s", f.account, f.issuer)
	}
	return false, nil
}

func listRoles(ctx context.Context, w io.Writer, store principals.RoleStore) error {
	roles, err := store.Roles(ctx)
	if err != nil {
		return err
	}
	providers, err := store.OIDCProviders(ctx)
	if err != nil {
		return err
	}
	if len(roles) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nROLE\tROLE ID\tMAX SESSION\tPOLICIES\tCREATED")
		for _, r := range roles {
			var names []string
			for _, np := range r.Policies {
				names = append(names, np.Name)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.ARN(), r.ID, int(r.MaxSessionDuration/time.Second), orDash(strings.Join(names, ",")), r.CreatedAt.Format("2006-01-02T15:04:05Z"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(providers) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nOIDC PROVIDER\tURL\tCLIENT IDS\tCREATED")
		for _, p := range providers {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ARN(), p.URL, strings.Join(p.Audiences, ","), p.CreatedAt.Format("2006-01-02T15:04:05Z"))
		}
		return tw.Flush()
	}
	return nil
}
