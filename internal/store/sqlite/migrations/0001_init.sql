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
    PRIMARY KEY (ca_id, serial)
);
CREATE INDEX certificates_revoked ON certificates (ca_id, revoked_at) WHERE revoked_at > 0;
