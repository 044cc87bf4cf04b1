-- A flavor's root disk (GB, as Nova's flavor create --disk); what a server's create
-- request named for its guest (an image and a key pair, passed to its domain) and the
-- disk its flavor gave it, kept as booted.
ALTER TABLE flavors ADD COLUMN disk_gb INTEGER NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN image TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN key_name TEXT NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN disk_gb INTEGER NOT NULL DEFAULT 0;
