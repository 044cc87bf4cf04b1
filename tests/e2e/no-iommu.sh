# pcipass on a real Linux kernel booted without the emulated IOMMU (run by run.sh with
# IOMMU=off): `check` says why the host cannot do passthrough, and the controller its
# agent reports to places nothing there, with that reason.
. /e2e/bin/guest-lib.sh
run 1 "check says NOT ready" pcipass check
has "check names the IOMMU" "\[FAIL\] iommu"
cat > /tmp/pci.conf <<'CONF'
[pci]
device_spec = {"vendor_id": "8086"}
alias = {"name": "nic", "vendor_id": "8086", "product_id": "10d3", "device_type": "type-PCI"}
CONF
start_controller /tmp/pci.conf
run 0 "the agent reports the guest" report
pcipass flavor create nic1 --vcpus 1 --ram 256 --property pci_passthrough:alias=nic:1 >/dev/null
run 5 "no passthrough placement on a host without an IOMMU" pcipass server create vm --flavor nic1
has "no valid host gives the IOMMU reason" "host guest cannot do passthrough: iommu:"
run 0 "device list" pcipass device list --host guest
has "its NIC is unavailable, saying why" "the host cannot do passthrough"
kill $SERVER_PID 2>/dev/null
echo "RESULT: $fails failed of $checks checks"
exit $fails
