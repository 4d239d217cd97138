-- The names a certificate is for (subject common name and subject
-- alternative names, lowercase, one per line), kept at issuance so the
-- console can search by them. Certificates issued before have none.
ALTER TABLE certificates ADD COLUMN names TEXT NOT NULL DEFAULT '';
