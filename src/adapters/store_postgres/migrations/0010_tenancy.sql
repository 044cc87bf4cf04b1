-- Projects; networks (a VLAN, or untagged, on a physical network); ports on networks;
-- a member's token names its project. A NULL project is the operators' own.
CREATE TABLE projects (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT ''
);
CREATE TABLE networks (
  name TEXT PRIMARY KEY,
  project TEXT REFERENCES projects(name),
  shared BOOLEAN NOT NULL DEFAULT false,
  type TEXT NOT NULL CHECK (type IN ('vlan', 'flat')),
  physical_network TEXT NOT NULL,
  segment INTEGER CHECK (segment BETWEEN 1 AND 4094)
);
CREATE UNIQUE INDEX networks_one_per_vlan ON networks(physical_network, segment) WHERE type = 'vlan';
CREATE UNIQUE INDEX networks_one_untagged ON networks(physical_network) WHERE type = 'flat';
CREATE INDEX networks_by_project ON networks(project);
CREATE TABLE ports (
  name TEXT PRIMARY KEY,
  project TEXT REFERENCES projects(name),
  network TEXT NOT NULL REFERENCES networks(name),
  vnic_type TEXT NOT NULL CHECK (vnic_type IN ('direct', 'direct-physical')),
  mac TEXT NOT NULL,
  UNIQUE (network, mac)
);
CREATE INDEX ports_by_project ON ports(project);
ALTER TABLE tokens ADD COLUMN project TEXT REFERENCES projects(name);
CREATE INDEX tokens_by_project ON tokens(project);
