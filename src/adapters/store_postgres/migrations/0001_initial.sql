-- The first schema: hosts with a generation, their NUMA cells and devices, flavors,
-- instances with their cells, and allocations (one holder per device).
CREATE TABLE hosts (
  name TEXT PRIMARY KEY,
  generation BIGINT NOT NULL,
  has_numa BOOLEAN NOT NULL
);
CREATE TABLE host_numa (
  host TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  id BIGINT NOT NULL, cpus BIGINT NOT NULL, memory_mb BIGINT NOT NULL, socket BIGINT,
  PRIMARY KEY (host, id)
);
CREATE TABLE devices (
  host TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  address TEXT NOT NULL,
  vendor_id TEXT NOT NULL, product_id TEXT NOT NULL, class_code BIGINT, numa_node BIGINT,
  sriov_totalvfs BIGINT NOT NULL, physfn TEXT, devname TEXT NOT NULL, iommu_group BIGINT,
  fingerprint TEXT NOT NULL,
  PRIMARY KEY (host, address)
);
CREATE TABLE flavors (name TEXT PRIMARY KEY, vcpus BIGINT NOT NULL, memory_mb BIGINT NOT NULL);
CREATE TABLE flavor_extra_specs (
  flavor TEXT NOT NULL REFERENCES flavors(name) ON DELETE CASCADE,
  position BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (flavor, key)
);
CREATE TABLE instances (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL REFERENCES hosts(name),
  flavor TEXT NOT NULL, vcpus BIGINT NOT NULL, memory_mb BIGINT NOT NULL
);
CREATE TABLE instance_cells (
  instance TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  position BIGINT NOT NULL, cell BIGINT NOT NULL, vcpus BIGINT NOT NULL, memory_mb BIGINT NOT NULL,
  PRIMARY KEY (instance, position)
);
-- One holder per device, enforced by the database (not a foreign key to devices: a
-- device that vanishes while allocated stays allocated).
CREATE TABLE allocations (
  host TEXT NOT NULL, address TEXT NOT NULL,
  instance TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  request BIGINT NOT NULL,
  PRIMARY KEY (host, address)
);
CREATE INDEX allocations_by_instance ON allocations(instance);
