-- Devices that vanished while allocated stay on record; instances by host; API tokens
-- (only the SHA-256 of each secret).
ALTER TABLE devices ADD COLUMN vanished INTEGER NOT NULL DEFAULT 0;
CREATE INDEX instances_by_host ON instances(host);
CREATE TABLE tokens (
  name TEXT PRIMARY KEY,
  secret_sha256 TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  host TEXT NOT NULL,
  created_at TEXT NOT NULL
);
