package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/openpca/openpca/internal/keys/softkey"
	"github.com/openpca/openpca/internal/principals"
	"github.com/openpca/openpca/internal/server"
	"github.com/openpca/openpca/internal/store/sqlstore"
)

const principalUsage = `usage: openpca principal <command> [flags]

Commands (each takes --data-dir and --master-key-file as openpca serve does,
and --account, default $OPENPCA_ACCOUNT_ID or 000000000000):
  create             --name N                       make a principal and its first access key
  list                                              list principals, their keys and policies
  delete             --name N                       delete a principal, its keys and policies
  create-access-key  --name N                       give a principal another access key
  delete-access-key  --name N --access-key-id ID    delete one of its access keys
  attach-policy      --name N --policy-name P (--policy-file F | --policy-document file://F | JSON)
  detach-policy      --name N --policy-name P

Roles, which STS AssumeRole and AssumeRoleWithWebIdentity grant sessions of:
  create-role        --name N --trust-policy (file://F | JSON) [--max-session-duration S]
  update-role        --name N [--trust-policy ...] [--max-session-duration S]
  delete-role        --name N
  attach-role-policy --name N --policy-name P (--policy-file F | --policy-document file://F | JSON)
  detach-role-policy --name N --policy-name P
  create-oidc-provider --url https://ISSUER --client-id ID[,ID...] --jwks-file F
  delete-oidc-provider --url https://ISSUER

A running server sees the changes within a few seconds.`

// principalCmd runs `openpca principal ...` against the database the server uses.
func principalCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, principalUsage)
		return nil
	}
	cmd := args[0]
	fs := flag.NewFlagSet("principal "+cmd, flag.ContinueOnError)
	dataDir := fs.String("data-dir", "./openpca-data", "directory of the embedded database (as for openpca serve)")
	databaseURL := fs.String("database-url", "", "PostgreSQL URL of a shared database (as for openpca serve)")
	masterKeyFile := fs.String("master-key-file", "", "file holding the base64 master key (default: OPENPCA_MASTER_KEY, else <data-dir>/master.key)")
	defaultAccount := "000000000000"
	if v := os.Getenv("OPENPCA_ACCOUNT_ID"); v != "" {
		defaultAccount = v
	}
	account := fs.String("account", defaultAccount, "12-digit account id of the principal")
	name := fs.String("name", "", "principal (IAM user) name")
	policyName := fs.String("policy-name", "", "name of the identity policy")
	policyFile := fs.String("policy-file", "", "file holding the policy document")
	policyDoc := fs.String("policy-document", "", "policy document: JSON, or file://path")
	keyID := fs.String("access-key-id", "", "access key id")
	trustPolicy := fs.String("trust-policy", "", "role trust policy: JSON, or file://path")
	maxSession := fs.Int("max-session-duration", 0, "role's maximum session, in seconds (3600 to 43200; default 3600)")
	issuer := fs.String("url", "", "OIDC provider's issuer URL (https://...)")
	clientIDs := fs.String("client-id", "", "OIDC provider's audiences, comma separated")
	jwksFile := fs.String("jwks-file", "", "file holding the OIDC provider's JSON Web Key Set")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := applyEnv(fs); err != nil {
		return err
	}
	need := func(flags ...string) error {
		for _, f := range flags {
			if fs.Lookup(f).Value.String() == "" {
				return fmt.Errorf("principal %s: --%s is required", cmd, f)
			}
		}
		return nil
	}

	ctx := context.Background()
	admin, closeStore, err := openAdmin(ctx, server.Config{DataDir: *dataDir, DatabaseURL: *databaseURL, MasterKeyFile: *masterKeyFile})
	if err != nil {
		return err
	}
	defer closeStore()
	roles := &principals.RoleAdmin{Store: admin.Store.(principals.RoleStore)}
	roleFlags := roleFlags{account: *account, name: *name, policyName: *policyName, policyFile: *policyFile, policyDoc: *policyDoc,
		trustPolicy: *trustPolicy, maxSession: *maxSession, issuer: *issuer, clientIDs: *clientIDs, jwksFile: *jwksFile}
	if handled, err := roleCmd(ctx, cmd, roles, roleFlags, need, stdout); handled {
		return err
	}

	switch cmd {
	case "create", "create-access-key":
		if err := need("name"); err != nil {
			return err
		}
		create := admin.Create
		if cmd == "create-access-key" {
			create = admin.CreateAccessKey
		}
		creds, err := create(ctx, *account, *name)
		if err != nil {
			return err
		}
		printCredentials(stdout, principals.ARN(*account, *name), *name, creds)
		return nil
	case "list":
		if err := listPrincipals(ctx, stdout, admin.Store); err != nil {
			return err
		}
		return listRoles(ctx, stdout, roles.Store)
	case "delete":
		if err := need("name"); err != nil {
			return err
		}
		return notFound(admin.Store.DeletePrincipal(ctx, *account, *name), "account %s has no principal named %s", *account, *name)
	case "delete-access-key":
		if err := need("name", "access-key-id"); err != nil {
			return err
		}
		return notFound(admin.Store.DeleteAccessKey(ctx, *account, *name, *keyID), "principal %s has no access key %s", principals.ARN(*account, *name), *keyID)
	case "attach-policy":
		if err := need("name", "policy-name"); err != nil {
			return err
		}
		doc, err := policyDocument(*policyFile, *policyDoc)
		if err != nil {
			return err
		}
		return admin.AttachPolicy(ctx, *account, *name, *policyName, doc)
	case "detach-policy":
		if err := need("name", "policy-name"); err != nil {
			return err
		}
		return notFound(admin.Store.DeletePrincipalPolicy(ctx, *account, *name, *policyName), "principal %s has no policy named %s", principals.ARN(*account, *name), *policyName)
	}
	return fmt.Errorf("unknown principal command %q\n%s", cmd, principalUsage)
}

// openAdmin opens the database and master key cfg names.
func openAdmin(ctx context.Context, cfg server.Config) (*principals.Admin, func(), error) {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	masterKey := os.Getenv("OPENPCA_MASTER_KEY")
	if cfg.DatabaseURL != "" && masterKey == "" && cfg.MasterKeyFile == "" {
		return nil, nil, errors.New("a shared database needs the nodes' master key: set OPENPCA_MASTER_KEY or --master-key-file")
	}
	kek, err := softkey.LoadKEK(masterKey, cfg.MasterKeyFile, cfg.DataDir, log)
	if err != nil {
		return nil, nil, err
	}
	sealer, err := softkey.New(kek)
	clear(kek)
	if err != nil {
		return nil, nil, err
	}
	var store *sqlstore.Store
	if store, err = server.OpenStore(ctx, cfg); err != nil {
		return nil, nil, err
	}
	return &principals.Admin{Store: store, Sealer: sealer}, func() { store.Close(); sealer.Close() }, nil
}

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, principals.ErrNotFound) {
		return fmt.Errorf(format, args...)
	}
	return err
}

// policyDocument reads the document from --policy-file or --policy-document
// (inline JSON or file://path, as the AWS CLI takes it).
func policyDocument(file, doc string) (string, error) {
	switch {
	case file != "" && doc != "":
		return "", errors.New("give --policy-file or --policy-document, not both")
	case file == "" && doc == "":
		return "", errors.New("--policy-file or --policy-document is required")
	case doc != "" && !strings.HasPrefix(doc, "file://"):
		return doc, nil
	case doc != "":
		file = strings.TrimPrefix(doc, "file://")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func printCredentials(w io.Writer, arn, profile string, c principals.Credentials) {
	fmt.Fprintf(w, "Principal: %s\nAccessKeyId: %s\nSecretAccessKey: %s\n\n", arn, c.AccessKeyID, c.SecretAccessKey)
	fmt.Fprintf(w, "The secret is shown only now. AWS CLI profile, for ~/.aws/credentials:\n\n")
	fmt.Fprintf(w, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", profile, c.AccessKeyID, c.SecretAccessKey)
}

func listPrincipals(ctx context.Context, w io.Writer, store principals.Store) error {
	all, err := store.Principals(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ARN\tACCESS KEYS\tPOLICIES\tCREATED")
	for _, p := range all {
		var names []string
		for _, np := range p.Policies {
			names = append(names, np.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ARN(), orDash(strings.Join(p.AccessKeyIDs, ",")), orDash(strings.Join(names, ",")), p.CreatedAt.Format("2006-01-02T15:04:05Z"))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
