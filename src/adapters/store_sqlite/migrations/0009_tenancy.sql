-- Projects; networks (a VLAN, or untagged, on a physical network); ports on networks,
-- each bound to at most one server (by the claim that placed it, served by one of its
-- device requests); a member's token and a server name their project; per-project
-- quotas, and what each server counts against them. A NULL project is the operators'.
CREATE TABLE projects (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT ''
);
CREATE TABLE networks (
  name TEXT PRIMARY KEY,
  project TEXT REFERENCES projects(name),
  shared INTEGER NOT NULL DEFAULT 0,
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
  server TEXT REFERENCES instances(id) ON DELETE SET NULL,
  request INTEGER,
  UNIQUE (network, mac)
);
CREATE INDEX ports_by_project ON ports(project);
ALTER TABLE tokens ADD COLUMN project TEXT REFERENCES projects(name);
CREATE INDEX tokens_by_project ON tokens(project);
ALTER TABLE instances ADD COLUMN project TEXT REFERENCES projects(name);
-- Partial: the operators' own servers (most, and all of a fleet without projects) cost no index entry.
CREATE INDEX instances_by_project ON instances(project) WHERE project IS NOT NULL;
CREATE INDEX ports_by_server ON ports(server);
CREATE TABLE instance_usage (
  instance TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
  resource TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount >= 0),
  PRIMARY KEY (instance, resource)
);
CREATE TABLE quotas (
  project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
  resource TEXT NOT NULL,
  quota INTEGER NOT NULL CHECK (quota >= 0),
  PRIMARY KEY (project, resource)
);
