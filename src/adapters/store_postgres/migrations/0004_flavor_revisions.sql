-- Flavors carry a revision; a claim names the revision it was planned on, so a
-- controller may cache flavors and still never boot from a stale one.
ALTER TABLE flavors ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
-- pcipass_claim gained a parameter (the revision): functions.sql makes the new one.
DROP FUNCTION IF EXISTS pcipass_claim(text, bigint, text, text, bigint, bigint, bigint[], bigint[], bigint[], text[], bigint[]);
