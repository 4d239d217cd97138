-- The last day of CRL publications and failed publications, for the
-- console: append-only, read by CA and time, and pruned of rows older than
-- a day as new ones are recorded. at is Unix milliseconds; latency_ms is 0
-- for a CRL that listed no new revocation; failure is '' for a publication.
CREATE TABLE crl_events (
    ca_id         TEXT NOT NULL REFERENCES certificate_authorities (id) ON DELETE CASCADE,
    crl_partition TEXT NOT NULL,
    at            BIGINT NOT NULL,
    number        BIGINT NOT NULL DEFAULT 0,
    latency_ms    BIGINT NOT NULL DEFAULT 0,
    failure       TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX crl_events_ca ON crl_events (ca_id, at);
CREATE INDEX crl_events_at ON crl_events (at);

-- A CA's revocations by time, for the console's revocations per hour: only
-- revoked certificates are in it, so issuance does not pay for it.
CREATE INDEX certificates_revoked_at ON certificates (ca_id, revoked_at) WHERE revoked_at > 0;
