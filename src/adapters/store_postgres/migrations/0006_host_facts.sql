-- What the agent judged about its host: whether it can do passthrough at all (the
-- platform, has_platform false for an older agent that did not say), and per device why
-- the host itself depends on it.
ALTER TABLE hosts ADD COLUMN has_platform boolean NOT NULL DEFAULT false;
ALTER TABLE hosts ADD COLUMN platform_iommu boolean;
ALTER TABLE hosts ADD COLUMN platform_interrupt_remapping boolean;
ALTER TABLE hosts ADD COLUMN platform_vfio boolean;
ALTER TABLE hosts ADD COLUMN platform_problems text NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN host_use text;
