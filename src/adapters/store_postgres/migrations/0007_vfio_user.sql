-- What `check` warns of on the host beside its problems (platform.warnings), one per line.
ALTER TABLE hosts ADD COLUMN platform_warnings text NOT NULL DEFAULT '';
-- Who holds a device's VFIO group or device file open, as its agent saw (a VM, pcipass's
-- or not); NULL: nobody, or an older agent that did not say.
ALTER TABLE devices ADD COLUMN vfio_user text;
-- Whether its IOMMU group can be given to a guest, as the agent judged; NULL: not said.
ALTER TABLE devices ADD COLUMN group_viable boolean;
