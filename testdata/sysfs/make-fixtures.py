#!/usr/bin/env python3
"""Builds the sysfs fixture trees under testdata/sysfs/ (committed; rerun to regenerate).

Each tree mirrors the parts of a real /sys (and /proc) that pcipass reads:
sys/bus/pci/devices/ADDR -> ../../../devices/pciDDDD:BB/.../ADDR, attribute files as the
kernel prints them ("0x8086\\n"), driver/iommu_group/physfn/virtfnN links, sys/kernel/
iommu_groups/N/devices/, sys/class/net/IF, NUMA nodes and CPU topology.
"""
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def vpd(serial, name="Example adapter"):
    def large(tag, payload):
        return bytes([tag]) + struct.pack("<H", len(payload)) + payload
    ident = large(0x82, name.encode())
    kw = b"PN" + bytes([6]) + b"X710DA" + b"SN" + bytes([len(serial)]) + serial.encode()
    kw += b"RV" + bytes([1]) + b"\x00"
    return ident + large(0x90, kw) + b"\x78"


class Tree:
    def __init__(self, name):
        self.root = os.path.join(HERE, name)
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root)
        self.path_of = {}

    def write(self, rel, text, mode="w"):
        p = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, mode) as f:
            f.write(text)

    def link(self, rel, target):
        p = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if os.path.lexists(p):
            os.remove(p)
        os.symlink(target, p)

    def rel_link(self, rel, target_rel):
        self.link(rel, os.path.relpath(os.path.join(self.root, target_rel),
                                       os.path.dirname(os.path.join(self.root, rel))))

    def device(self, addr, vendor, device, cls, parent=None, numa=-1, driver=None, group=None,
               subsys=("0000", "0000"), revision="0x01", reset="flr bus", totalvfs=None, numvfs=0,
               physfn=None, netdev=None, mac=None, vpd_bytes=None, acpi_index=None, vf_device=None):
        domain, bus = addr.split(":")[0], addr.split(":")[1]
        base = (self.path_of[parent] + "/" + addr) if parent else f"sys/devices/pci{domain}:{bus}/{addr}"
        self.path_of[addr] = base
        self.rel_link(f"sys/bus/pci/devices/{addr}", base)
        self.write(f"{base}/vendor", f"0x{vendor}\n")
        self.write(f"{base}/device", f"0x{device}\n")
        self.write(f"{base}/subsystem_vendor", f"0x{subsys[0]}\n")
        self.write(f"{base}/subsystem_device", f"0x{subsys[1]}\n")
        self.write(f"{base}/class", f"0x{cls}\n")
        self.write(f"{base}/revision", f"{revision}\n")
        self.write(f"{base}/numa_node", f"{numa}\n")
        self.write(f"{base}/driver_override", "(null)\n")
        if reset is not None:
            self.write(f"{base}/reset_method", reset + "\n")
        if driver:
            self.driver_dir(driver)
            self.rel_link(f"{base}/driver", f"sys/bus/pci/drivers/{driver}")
            self.rel_link(f"sys/bus/pci/drivers/{driver}/{addr}", base)
        if group is not None:
            self.rel_link(f"{base}/iommu_group", f"sys/kernel/iommu_groups/{group}")
            self.rel_link(f"sys/kernel/iommu_groups/{group}/devices/{addr}", base)
        if totalvfs is not None:
            self.write(f"{base}/sriov_totalvfs", f"{totalvfs}\n")
            self.write(f"{base}/sriov_numvfs", f"{numvfs}\n")
            self.write(f"{base}/sriov_drivers_autoprobe", "1\n")
            if vf_device:
                self.write(f"{base}/sriov_vf_device", vf_device + "\n")
        if physfn:
            self.rel_link(f"{base}/physfn", self.path_of[physfn])
            pf = self.path_of[physfn]
            n = len([e for e in os.listdir(os.path.join(self.root, pf)) if e.startswith("virtfn")])
            self.rel_link(f"{pf}/virtfn{n}", base)
        if netdev:
            self.write(f"{base}/net/{netdev}/address", (mac or "00:00:00:00:00:00") + "\n")
            self.rel_link(f"sys/class/net/{netdev}", f"{base}/net/{netdev}")
        if vpd_bytes is not None:
            self.write(f"{base}/vpd", vpd_bytes, mode="wb")
        if acpi_index is not None:
            self.write(f"{base}/acpi_index", f"{acpi_index}\n")
        return base

    def driver_dir(self, driver):
        # Real driver directories hold these files (and git keeps no empty directories).
        for f in ("bind", "unbind", "new_id", "remove_id", "uevent"):
            self.write(f"sys/bus/pci/drivers/{driver}/{f}", "")

    def slot(self, name, bus_addr):
        self.write(f"sys/bus/pci/slots/{name}/address", bus_addr + "\n")

    def numa(self, nodes):
        """nodes: list of (cpus list, MemTotal kB, socket)."""
        cpu = 0
        for i, (ncpu, mem_kb, socket) in enumerate(nodes):
            first = cpu
            for _ in range(ncpu):
                self.write(f"sys/devices/system/cpu/cpu{cpu}/topology/physical_package_id", f"{socket}\n")
                self.rel_link(f"sys/devices/system/node/node{i}/cpu{cpu}", f"sys/devices/system/cpu/cpu{cpu}")
                cpu += 1
            self.write(f"sys/devices/system/node/node{i}/cpulist", f"{first}-{cpu - 1}\n")
            self.write(f"sys/devices/system/node/node{i}/meminfo",
                       f"Node {i} MemTotal:       {mem_kb} kB\nNode {i} MemFree:        {mem_kb // 2} kB\n")
        self.write("sys/devices/system/node/online", f"0-{len(nodes) - 1}\n")

    def iommu_on(self, vendor="intel"):
        self.write("proc/cmdline", f"BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro {vendor}_iommu=on iommu=pt\n")
        unit = "dmar0" if vendor == "intel" else "ivhd0"
        self.write(f"sys/class/iommu/{unit}/uevent", "")
        self.write("sys/firmware/acpi/tables/" + ("DMAR" if vendor == "intel" else "IVRS"), "table")
        self.host_basics(vendor, ir=True, vfio=True)

    def host_basics(self, vendor="intel", ir=True, vfio=True, virt=True):
        flag = ("vmx" if vendor == "intel" else "svm") if virt else "ht"
        self.write("proc/cpuinfo", f"processor\t: 0\nvendor_id\t: {'GenuineIntel' if vendor == 'intel' else 'AuthenticAMD'}\n"
                   f"flags\t\t: fpu vme de pse msr pae {flag} sse sse2\n\n")
        irq = "IR-PCI-MSI" if ir else "PCI-MSI"
        self.write("proc/interrupts", f"           CPU0\n 24:          0  {irq} 512000-edge      nvme0q0\n")
        self.write("proc/sys/kernel/osrelease", "6.1.0-56-amd64\n")
        self.write("lib/modules/6.1.0-56-amd64/modules.builtin", "kernel/drivers/vfio/vfio.ko\n")
        if vfio:
            for m in ("vfio", "vfio_pci", "vfio_iommu_type1"):
                self.write(f"sys/module/{m}/initstate", "live\n")
            self.driver_dir("vfio-pci")
        self.write("proc/mounts", "/dev/sda1 / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n")


def root_port(t, addr, group, numa=-1):
    return t.device(addr, "8086", "2030", "060400", numa=numa, driver="pcieport", group=group, reset=None)


def gpu_audio_group():
    t = Tree("gpu-audio-group")
    t.iommu_on()
    t.numa([(8, 33554432, 0)])
    root_port(t, "0000:00:01.0", 1, numa=0)
    base = t.device("0000:17:00.0", "10de", "2230", "030000", parent="0000:00:01.0", numa=0, driver="nvidia", group=17,
                    subsys=("10de", "1459"), reset="bus")
    t.write(f"{base}/boot_vga", "1\n")
    t.device("0000:17:00.1", "10de", "1aef", "040300", parent="0000:00:01.0", numa=0, driver="snd_hda_intel", group=17,
             subsys=("10de", "1459"), reset="bus")
    t.slot("3", "0000:17:00")


def sriov_nic():
    t = Tree("sriov-nic")
    t.iommu_on()
    t.numa([(8, 33554432, 0)])
    root_port(t, "0000:40:01.0", 40, numa=0)
    t.device("0000:41:00.0", "8086", "1572", "020000", parent="0000:40:01.0", numa=0, driver="i40e", group=41,
             subsys=("8086", "0000"), totalvfs=64, numvfs=4, netdev="ens1f0", mac="3c:fd:fe:a0:00:01", vf_device="154c",
             vpd_bytes=vpd("SN1234567"))
    t.device("0000:41:00.1", "8086", "1572", "020000", parent="0000:40:01.0", numa=0, driver="i40e", group=42,
             subsys=("8086", "0000"), totalvfs=64, numvfs=0, netdev="ens1f1", mac="3c:fd:fe:a0:00:02", vf_device="154c",
             vpd_bytes=vpd("SN1234567"))
    for v in range(4):
        drv = "vfio-pci" if v == 3 else "iavf"
        t.device(f"0000:41:02.{v}", "8086", "154c", "020000", parent="0000:40:01.0", numa=0, driver=drv,
                 group=50 + v, subsys=("8086", "0000"), reset="flr", physfn="0000:41:00.0",
                 netdev=None if v == 3 else f"ens1f0v{v}", mac=f"52:54:00:00:00:0{v}")


def behind_bridge():
    t = Tree("behind-bridge")
    t.iommu_on("amd")
    t.numa([(4, 16777216, 0)])
    root_port(t, "0000:00:1c.0", 9, numa=-1)
    # A PCIe-to-PCI bridge and the conventional PCI device behind it share a group.
    t.device("0000:05:00.0", "1b21", "1080", "060401", parent="0000:00:1c.0", driver=None, group=12, reset=None)
    t.device("0000:06:00.0", "13f6", "0111", "040100", parent="0000:05:00.0", driver="snd_cmipci", group=12,
             reset=None, acpi_index=7)


def two_socket():
    t = Tree("two-socket")
    t.iommu_on()
    t.numa([(16, 67108864, 0), (16, 67108864, 1)])
    root_port(t, "0000:16:00.0", 2, numa=0)
    root_port(t, "0000:97:00.0", 3, numa=1)
    t.device("0000:17:00.0", "10de", "2330", "030200", parent="0000:16:00.0", numa=0, driver="nvidia", group=30)
    t.device("0000:98:00.0", "10de", "2330", "030200", parent="0000:97:00.0", numa=1, driver="vfio-pci", group=31)
    t.device("0000:3d:00.0", "8086", "37c8", "0b4000", parent="0000:16:00.0", numa=0, driver="c6xx", group=32,
             totalvfs=16, numvfs=2, vf_device="37c9")
    t.device("0000:3d:01.0", "8086", "37c9", "0b4000", parent="0000:16:00.0", numa=0, driver="c6xxvf", group=33,
             physfn="0000:3d:00.0", reset="flr")
    t.device("0000:3d:01.1", "8086", "37c9", "0b4000", parent="0000:16:00.0", numa=0, driver=None, group=34,
             physfn="0000:3d:00.0", reset="flr")


def shared_critical_group():
    t = Tree("shared-critical-group")
    t.iommu_on()
    t.numa([(4, 16777216, 0)])
    root_port(t, "0000:00:1d.0", 20, numa=0)
    # Without ACS the NIC that carries the default route shares a group with a second NIC.
    t.device("0000:02:00.0", "8086", "1533", "020000", parent="0000:00:1d.0", numa=0, driver="igb", group=20,
             netdev="eno1", mac="00:25:90:00:00:01")
    t.device("0000:03:00.0", "8086", "1533", "020000", parent="0000:00:1d.0", numa=0, driver="igb", group=20,
             netdev="eno2", mac="00:25:90:00:00:02")
    t.write("proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            "eno1\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
            "eno1\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n")
    # The root filesystem lives on an NVMe drive in its own group.
    nvme = t.device("0000:04:00.0", "144d", "a808", "010802", parent="0000:00:1d.0", numa=0, driver="nvme", group=21)
    t.write(f"{nvme}/nvme/nvme0/nvme0n1/nvme0n1p2/partition", "2\n")
    t.rel_link("sys/class/block/nvme0n1p2", f"{nvme}/nvme/nvme0/nvme0n1/nvme0n1p2")
    t.write("proc/mounts", "/dev/nvme0n1p2 / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n")


def host_uses():
    """A host that uses its devices in the ways an operator forgets: a bond carrying the
    default route, a bridge port, an Open vSwitch port, an IPv6-addressed NIC, a NIC with
    an IPv4 address, /var on its own NVMe drive, swap on another; and one free NIC."""
    t = Tree("host-uses")
    t.iommu_on()
    t.numa([(4, 16777216, 0)])
    nics = {"0000:01:00.0": "eth0", "0000:01:00.1": "eth1", "0000:02:00.0": "ens2", "0000:03:00.0": "ens3",
            "0000:04:00.0": "ens4", "0000:05:00.0": "ens5", "0000:09:00.0": "ens9"}
    base = {}
    for i, (addr, name) in enumerate(nics.items()):
        base[name] = t.device(addr, "8086", "10fb", "020000", numa=0, driver="ixgbe", group=10 + i,
                              netdev=name, mac=f"00:1b:21:00:00:0{i}")
        t.write(f"{base[name]}/net/{name}/operstate", "up\n")

    def upper(kind_dir, name, lowers):
        dev = f"sys/devices/virtual/net/{name}"
        t.write(f"{dev}/address", "00:1b:21:00:00:aa\n")
        t.write(f"{dev}/operstate", "up\n")
        t.rel_link(f"sys/class/net/{name}", dev)
        for low in lowers:
            t.rel_link(f"{dev}/lower_{low}", f"{base[low]}/net/{low}")
            t.rel_link(f"{base[low]}/net/{low}/master", dev)
            t.rel_link(f"{base[low]}/net/{low}/upper_{name}", dev)
        if kind_dir:
            t.write(f"{dev}/{kind_dir}/.keep", "")
    upper("bonding", "bond0", ["eth0", "eth1"])
    upper("bridge", "br0", ["ens2"])
    upper(None, "ovs-system", ["ens3"])
    t.write("proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            "bond0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
            "bond0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
            "ens5\t0010A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    t.write("proc/net/if_inet6",
            "fe80000000000000021b21fffe000009 05 40 20 80     ens9\n"
            "20010db8000000000000000000000004 04 40 00 80     ens4\n"
            "00000000000000000000000000000001 01 80 10 80       lo\n")
    for n, addr in ((0, "0000:06:00.0"), (1, "0000:07:00.0")):
        nvme = t.device(addr, "144d", "a808", "010802", numa=0, driver="nvme", group=20 + n)
        t.write(f"{nvme}/nvme/nvme{n}/nvme{n}n1/nvme{n}n1p1/partition", "1\n")
        t.rel_link(f"sys/class/block/nvme{n}n1p1", f"{nvme}/nvme/nvme{n}/nvme{n}n1/nvme{n}n1p1")
        t.rel_link(f"sys/class/block/nvme{n}n1", f"{nvme}/nvme/nvme{n}/nvme{n}n1")
    # The root filesystem says /dev/root, as on hosts booted with root=/dev/...: only its
    # major:minor in mountinfo leads to the drive. proc/mounts is not read when mountinfo is there.
    nvme0 = t.path_of["0000:06:00.0"]
    t.write(f"{nvme0}/nvme/nvme0/nvme0n1/nvme0n1p2/partition", "2\n")
    t.rel_link("sys/class/block/nvme0n1p2", f"{nvme0}/nvme/nvme0/nvme0n1/nvme0n1p2")
    t.rel_link("sys/dev/block/259:1", f"{nvme0}/nvme/nvme0/nvme0n1/nvme0n1p1")
    t.write("proc/self/mountinfo",
            "22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw\n"
            "23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
            "24 22 0:22 / /run rw,nosuid shared:2 - tmpfs tmpfs rw\n"
            "30 22 259:2 / /var/lib/libvirt/images rw,relatime shared:5 - xfs /dev/nvme0n1p2 rw\n")
    t.write("proc/mounts", "/dev/sda1 / ext4 rw,relatime 0 0\n")
    t.write("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
            "/dev/nvme1n1p1                          partition\t8388604\t\t0\t\t-2\n")


def no_iommu():
    t = Tree("no-iommu")
    t.write("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n")
    t.host_basics("intel", ir=False, vfio=False)
    t.numa([(4, 8388608, 0)])
    t.device("0000:00:00.0", "8086", "0d57", "060000", reset=None)
    t.device("0000:00:03.0", "8086", "1533", "020000", driver="igb", netdev="eno1", mac="00:25:90:00:00:09")


if __name__ == "__main__":
    for build in (gpu_audio_group, sriov_nic, behind_bridge, two_socket, shared_critical_group, host_uses, no_iommu):
        build()
    print("fixtures written under", HERE, file=sys.stderr)
