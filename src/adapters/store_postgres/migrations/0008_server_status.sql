-- A server's lifecycle (placed, building, active, error, deleting) and, in error, the
-- step that failed with the host's words. Servers from before were placed.
ALTER TABLE instances ADD COLUMN status text NOT NULL DEFAULT 'placed';
ALTER TABLE instances ADD COLUMN status_step text NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN status_message text NOT NULL DEFAULT '';
-- The operator's base domain its create request named ('': none).
ALTER TABLE instances ADD COLUMN base_domain text NOT NULL DEFAULT '';
-- Whether the host's agent carries out placements (agent --manage-devices).
ALTER TABLE hosts ADD COLUMN manages_devices boolean NOT NULL DEFAULT false;
-- Why a device needs an operator (a restore failed), as its agent recorded; NULL: it does not.
ALTER TABLE devices ADD COLUMN attention text;
-- The claims take the status a new server starts in (functions.sql): the old signatures go.
DROP FUNCTION IF EXISTS pcipass_claim(text, bigint, text, text, bigint, bigint, bigint[], bigint[], bigint[], text[], bigint[], bigint,
                                      text[], text[]);
DROP FUNCTION IF EXISTS pcipass_claim_strict(text, bigint, text, text, bigint, bigint, bigint[], bigint[], bigint[], text[], bigint[],
                                             bigint, text[], text[]);
