-- A host locked by its operator takes no new placements; a report leaves it as it is.
ALTER TABLE hosts ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
