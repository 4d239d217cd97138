-- The revocation time (Unix milliseconds) of the oldest revocation no
-- published CRL lists yet, 0 when none: what the CRL freshness gauge and the
-- publication latency are measured from. dirty_since also marks CRLs due for
-- other reasons (a new partition), so it cannot serve.
ALTER TABLE crls ADD COLUMN unpublished_since BIGINT NOT NULL DEFAULT 0;
UPDATE crls SET unpublished_since = dirty_since WHERE dirty_since > 0 AND revision > 0;
