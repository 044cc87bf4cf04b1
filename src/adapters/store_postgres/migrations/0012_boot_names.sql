-- A flavor's root disk (GB, as Nova's flavor create --disk); what a server's create
-- request named for its guest (an image and a key pair, passed to its domain) and the
-- disk its flavor gave it, kept as booted.
ALTER TABLE flavors ADD COLUMN disk_gb BIGINT NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN image TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN key_name TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN disk_gb BIGINT NOT NULL DEFAULT 0;
-- The claims take them too (functions.sql): the old signatures go.
DROP FUNCTION IF EXISTS pcipass_claim(text, bigint, text, text, bigint, bigint, bigint[], bigint[], bigint[], text[], bigint[], bigint,
                                      text[], text[], text, text, text, text[], bigint[], text[], bigint[]);
DROP FUNCTION IF EXISTS pcipass_claim_strict(text, bigint, text, text, bigint, bigint, bigint[], bigint[], bigint[], text[], bigint[],
                                             bigint, text[], text[], text, text, text, text[], bigint[], text[], bigint[]);
