-- A device's netdev operstate as its agent read it; an interface's class, data network
-- and VF count as its operator set it (a report leaves them as they are).
ALTER TABLE devices ADD COLUMN link TEXT;
CREATE TABLE host_interfaces (
  host TEXT NOT NULL REFERENCES hosts(name) ON DELETE CASCADE,
  address TEXT NOT NULL,
  class TEXT NOT NULL CHECK (class IN ('none', 'pci-sriov', 'pci-passthrough')),
  datanetwork TEXT NOT NULL DEFAULT '',
  vfs BIGINT,
  PRIMARY KEY (host, address)
);
