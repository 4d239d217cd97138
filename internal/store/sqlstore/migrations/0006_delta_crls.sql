-- The complete CRL a delta CRL is built against: its number, the revision
-- it was built from (the delta lists the revocations after it) and its
-- thisUpdate, which tells when the next complete CRL is due. Zero until a
-- complete CRL is published with deltas on.
ALTER TABLE crls ADD COLUMN base_number BIGINT NOT NULL DEFAULT 0;
ALTER TABLE crls ADD COLUMN base_revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE crls ADD COLUMN base_this_update BIGINT NOT NULL DEFAULT 0;
