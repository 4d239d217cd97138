-- Certificate authorities. Times are Unix milliseconds; 0 means unset.
CREATE TABLE certificate_authorities (
    id                     TEXT PRIMARY KEY,
    account                TEXT NOT NULL,
    type                   TEXT NOT NULL,
    status                 TEXT NOT NULL,
    status_before_deletion TEXT NOT NULL DEFAULT '',
    failure_reason         TEXT NOT NULL DEFAULT '',
    created_at             BIGINT NOT NULL,
    last_state_change_at   BIGINT NOT NULL,
    restorable_until       BIGINT NOT NULL DEFAULT 0,
    serial                 TEXT NOT NULL DEFAULT '',
    not_before             BIGINT NOT NULL DEFAULT 0,
    not_after              BIGINT NOT NULL DEFAULT 0,
    key_storage            TEXT NOT NULL,
    usage_mode             TEXT NOT NULL,
    config                 TEXT NOT NULL, -- JSON of the CA configuration
    revocation             TEXT NOT NULL, -- JSON of the revocation configuration
    tags                   TEXT NOT NULL, -- JSON list of {Key, Value}, in the order given
    key_handle             TEXT NOT NULL DEFAULT '', -- JSON of the key manager's handle; the key itself is encrypted or in an HSM
    csr                    TEXT NOT NULL DEFAULT '', -- PEM
    certificate            TEXT NOT NULL DEFAULT '', -- PEM exactly as imported
    certificate_chain      TEXT NOT NULL DEFAULT ''  -- PEM exactly as imported
);
CREATE INDEX certificate_authorities_list ON certificate_authorities (account, created_at, id);
CREATE INDEX certificate_authorities_deleted ON certificate_authorities (status, restorable_until);

CREATE TABLE idempotency_tokens (
    account    TEXT NOT NULL,
    operation  TEXT NOT NULL,
    token      TEXT NOT NULL,
    result     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account, operation, token)
);

-- Certificates a CA issued. serial is the lowercase hex of the serial number,
-- as in the certificate ARN.
CREATE TABLE certificates (
    ca_id             TEXT NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
    serial            TEXT NOT NULL,
    der               BLOB NOT NULL,
    issued_at         BIGINT NOT NULL,
    not_before        BIGINT NOT NULL,
    not_after         BIGINT NOT NULL,
    revoked_at        BIGINT NOT NULL DEFAULT 0,
    revocation_reason TEXT NOT NULL DEFAULT '',
    crl_partition     TEXT NOT NULL DEFAULT '', -- '' for a COMPLETE CRL
    template_arn      TEXT NOT NULL DEFAULT '',
    revoked_seq       BIGINT NOT NULL DEFAULT 0, -- the CRL row's revision this revocation made
    PRIMARY KEY (ca_id, serial)
);
-- Covers the CRL query, so a publisher reads one index in order, and only
-- the revocations after the revision it already holds.
CREATE INDEX certificates_revoked ON certificates (ca_id, crl_partition, revoked_seq, revoked_at, not_after, serial, revocation_reason) WHERE revoked_at > 0;

-- One row per published or due CRL: a CA's complete CRL (partition '') or
-- one partition of it.
CREATE TABLE crls (
    ca_id         TEXT NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
    crl_partition TEXT NOT NULL,
    number        BIGINT NOT NULL DEFAULT 0, -- CRL Number last published
    dirty_since   BIGINT NOT NULL DEFAULT 0, -- oldest revocation not yet published; 0 = none
    revoked_count BIGINT NOT NULL DEFAULT 0, -- unexpired revoked certificates, for the quota
    revision      BIGINT NOT NULL DEFAULT 0, -- counts revocations; tells a publisher what its snapshot missed
    this_update   BIGINT NOT NULL DEFAULT 0,
    next_update   BIGINT NOT NULL DEFAULT 0,
    published_at  BIGINT NOT NULL DEFAULT 0,
    size_bytes    BIGINT NOT NULL DEFAULT 0,
    entries       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (ca_id, crl_partition)
);

-- Partitions of PARTITIONED CRLs; a certificate is bound to one at issuance.
CREATE TABLE crl_partitions (
    ca_id      TEXT NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    issued     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (ca_id, id)
);

CREATE TABLE audit_reports (
    ca_id      TEXT NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    bucket     TEXT NOT NULL,
    object_key TEXT NOT NULL,
    format     TEXT NOT NULL,
    status     TEXT NOT NULL, -- CREATING, SUCCESS or FAILED
    created_at BIGINT NOT NULL,
    PRIMARY KEY (ca_id, id)
);
CREATE INDEX audit_reports_created ON audit_reports (ca_id, created_at);

-- How many certificates each CA issued, for the quota; kept beside the CA
-- row so issuance does not rewrite (or uncache) the CA itself.
CREATE TABLE ca_counters (
    ca_id  TEXT PRIMARY KEY REFERENCES certificate_authorities (id) ON DELETE CASCADE,
    issued BIGINT NOT NULL
);
