-- Access control: resource policies, ACM permissions, and the principals
-- that sign requests besides the root key. Portable SQL: the PostgreSQL
-- backend runs the same statements.

-- The CA's resource-based policy (PutPolicy), '' when none. Kept on the CA
-- row: every authorization reads the CA anyway.
ALTER TABLE certificate_authorities ADD COLUMN policy TEXT NOT NULL DEFAULT '';
-- ListCertificateAuthorities ResourceOwner=OTHER_ACCOUNTS reads only CAs
-- that have a policy.
CREATE INDEX certificate_authorities_shared ON certificate_authorities (created_at, id) WHERE policy <> '';

-- CreatePermission grants (for acm.amazonaws.com).
CREATE TABLE ca_permissions (
    ca_id          TEXT NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
    principal      TEXT NOT NULL,
    source_account TEXT NOT NULL,
    actions        TEXT NOT NULL, -- JSON list of action names, e.g. ["IssueCertificate"]
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (ca_id, principal, source_account)
);

-- IAM-style users: arn:aws:iam::<account>:user/<name>.
CREATE TABLE principals (
    account    TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account, name)
);

-- A principal's access keys. SigV4 verification needs the secret itself, so
-- it is kept sealed (AES-256-GCM under the master key, bound to the key id),
-- never in plaintext.
CREATE TABLE access_keys (
    id             TEXT PRIMARY KEY,
    account        TEXT NOT NULL,
    principal_name TEXT NOT NULL,
    sealed_secret  BLOB NOT NULL,
    created_at     BIGINT NOT NULL,
    FOREIGN KEY (account, principal_name) REFERENCES principals (account, name) ON DELETE CASCADE
);
CREATE INDEX access_keys_principal ON access_keys (account, principal_name);

-- Identity policies attached to principals, by name.
CREATE TABLE principal_policies (
    account        TEXT NOT NULL,
    principal_name TEXT NOT NULL,
    policy_name    TEXT NOT NULL,
    document       TEXT NOT NULL,
    PRIMARY KEY (account, principal_name, policy_name),
    FOREIGN KEY (account, principal_name) REFERENCES principals (account, name) ON DELETE CASCADE
);
