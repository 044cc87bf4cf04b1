-- The first schema: hosts with a generation, their NUMA cells and devices, flavors,
-- instances with their cells, and allocations (one holder per device).
CREATE TABLE hosts (
  name TEXT PRIMARY KEY,
  generation INTEGER NOT NULL,
  has_numa INTEGER NOT NULL
);
CREATE TABLE host_numa (
  host TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  id INTEGER NOT NULL, cpus INTEGER NOT NULL, memory_mb INTEGER NOT NULL, socket INTEGER,
  PRIMARY KEY (host, id)
);
CREATE TABLE devices (
  host TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  address TEXT NOT NULL,
  vendor_id TEXT NOT NULL, product_id TEXT NOT NULL, class_code INTEGER, numa_node INTEGER,
  sriov_totalvfs INTEGER NOT NULL, physfn TEXT, devname TEXT NOT NULL, iommu_group INTEGER,
  fingerprint TEXT NOT NULL,
  PRIMARY KEY (host, address)
);
CREATE TABLE flavors (name TEXT PRIMARY KEY, vcpus INTEGER NOT NULL, memory_mb INTEGER NOT NULL);
CREATE TABLE flavor_extra_specs (
  flavor TEXT NOT NULL REFERENCES flavors(name) ON DELETE CASCADE,
  position INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (flavor, key)
);
CREATE TABLE instances (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL REFERENCES hosts(name),
  flavor TEXT NOT NULL, vcpus INTEGER NOT NULL, memory_mb INTEGER NOT NULL
);
CREATE TABLE instance_cells (
  instance TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  position INTEGER NOT NULL, cell INTEGER NOT NULL, vcpus INTEGER NOT NULL, memory_mb INTEGER NOT NULL,
  PRIMARY KEY (instance, position)
);
-- One holder per device, enforced by the database. Not a foreign key to devices: a
-- device that vanishes from the inventory while allocated stays allocated.
CREATE TABLE allocations (
  host TEXT NOT NULL, address TEXT NOT NULL,
  instance TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  request INTEGER NOT NULL,
  PRIMARY KEY (host, address)
);
CREATE INDEX allocations_by_instance ON allocations(instance);
