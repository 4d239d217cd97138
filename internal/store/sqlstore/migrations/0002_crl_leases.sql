-- Which node may publish a CRL, and until when (Unix milliseconds): with
-- several nodes on one database, one at a time builds each CRL, and another
-- takes over when a lease runs out.
ALTER TABLE crls ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE crls ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
-- Where the CRL was last published ("bucket/key URL"): a CRL whose CA now
-- names another place (bucket, CustomPath, CustomCname) is published again.
ALTER TABLE crls ADD COLUMN location TEXT NOT NULL DEFAULT '';
