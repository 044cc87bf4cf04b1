-- Flavors carry a revision, so a claim can name the one it was planned on.
ALTER TABLE flavors ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
