-- STS: roles, OIDC providers for web identity, and the temporary
-- credentials AssumeRole issues. Portable SQL: the PostgreSQL backend runs
-- the same statements.

-- IAM-style roles: arn:aws:iam::<account>:role/<name>. role_id is the
-- AROA... unique id, new on every creation, so sessions of a deleted role
-- stay refused when a role of the same name is made again.
CREATE TABLE roles (
    account              TEXT NOT NULL,
    name                 TEXT NOT NULL,
    role_id              TEXT NOT NULL UNIQUE,
    trust_policy         TEXT NOT NULL,
    max_session_duration BIGINT NOT NULL, -- seconds
    created_at           BIGINT NOT NULL,
    PRIMARY KEY (account, name)
);

-- Identity policies attached to roles, by name.
CREATE TABLE role_policies (
    account     TEXT NOT NULL,
    role_name   TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    document    TEXT NOT NULL,
    PRIMARY KEY (account, role_name, policy_name),
    FOREIGN KEY (account, role_name) REFERENCES roles (account, name) ON DELETE CASCADE
);

-- OpenID Connect providers web identity tokens are verified against:
-- arn:aws:iam::<account>:oidc-provider/<url without https://>.
CREATE TABLE oidc_providers (
    account    TEXT NOT NULL,
    url        TEXT NOT NULL, -- the issuer, https://...
    audiences  TEXT NOT NULL, -- JSON list of client ids
    jwks       TEXT NOT NULL, -- the issuer's JSON Web Key Set (public keys)
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account, url)
);

-- Temporary credentials. Nothing here signs a request by itself: the secret
-- is sealed (AES-256-GCM under the master key, bound to the access key id)
-- and the session token is kept only as its SHA-256. Rows outlive their
-- expiry for a while, so an expired token is told apart from a forged one.
CREATE TABLE sts_sessions (
    access_key_id  TEXT PRIMARY KEY,
    token_hash     BLOB NOT NULL,
    sealed_secret  BLOB NOT NULL,
    account        TEXT NOT NULL, -- the role's
    role_name      TEXT NOT NULL,
    role_id        TEXT NOT NULL,
    session_name   TEXT NOT NULL,
    session_policy TEXT NOT NULL, -- '' for none
    source_arn     TEXT NOT NULL, -- who assumed the role
    expires_at     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX sts_sessions_expiry ON sts_sessions (expires_at);
