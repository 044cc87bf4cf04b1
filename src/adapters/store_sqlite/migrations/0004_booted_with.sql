-- What each server was booted with: its flavor's extra specs as they were then, so its
-- view and libvirt XML never change when the flavor does.
CREATE TABLE instance_extra_specs (
  instance TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  position INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (instance, key)
);
-- Servers booted before this migration: the flavor as it is now is the best record.
INSERT INTO instance_extra_specs (instance, position, key, value)
  SELECT i.id, s.position, s.key, s.value FROM instances i JOIN flavor_extra_specs s ON s.flavor = i.flavor;
