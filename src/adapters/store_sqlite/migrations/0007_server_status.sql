-- A server's lifecycle (placed, building, active, error, deleting) and, in error, the
-- step that failed with the host's words. Servers from before were placed.
ALTER TABLE instances ADD COLUMN status TEXT NOT NULL DEFAULT 'placed';
ALTER TABLE instances ADD COLUMN status_step TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN status_message TEXT NOT NULL DEFAULT '';
-- The operator's base domain its create request named ('': none).
ALTER TABLE instances ADD COLUMN base_domain TEXT NOT NULL DEFAULT '';
-- Whether the host's agent carries out placements (agent --manage-devices).
ALTER TABLE hosts ADD COLUMN manages_devices INTEGER NOT NULL DEFAULT 0;
-- Why a device needs an operator (a restore failed), as its agent recorded; NULL: it does not.
ALTER TABLE devices ADD COLUMN attention TEXT;
