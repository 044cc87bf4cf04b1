-- What the agent judged about its host: whether it can do passthrough at all (the
-- platform, has_platform = 0 for an older agent that did not say), and per device why
-- the host itself depends on it.
ALTER TABLE hosts ADD COLUMN has_platform INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN platform_iommu INTEGER;
ALTER TABLE hosts ADD COLUMN platform_interrupt_remapping INTEGER;
ALTER TABLE hosts ADD COLUMN platform_vfio INTEGER;
ALTER TABLE hosts ADD COLUMN platform_problems TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN host_use TEXT;
