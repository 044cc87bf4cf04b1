#!/usr/bin/env bash
# Projects, networks, ports and quotas through the real binary over loopback, in the
# openstack client's words: a member of project1 sees and uses only its own (and the
# shared networks); another project's is not there; quotas refuse with exit 10.
# Usage: tenancy_cli.sh PCIPASS ROOT
set -uo pipefail
PCIPASS="$1"; ROOT="$2"
source "$ROOT/tests/lib.sh"
work=$(mktemp -d); trap 'kill -9 $SERVER_PID 2>/dev/null; rm -rf "$work"' EXIT
P="$PCIPASS"
db="sqlite:$work/p.db"
start_server "$work" --config "$ROOT/examples/pcipass.conf" --db "$db" || exit 1
$P host import "$ROOT/examples/fleet.json" >/dev/null || { echo "tenancy_cli: host import failed"; exit 1; }
$P flavor create small --vcpus 2 --ram 2048 --property pci_passthrough:alias=nic-vf:1 >/dev/null

check "project create" 0 "first tenant" -- $P project create project1 --description "first tenant"
check "a second project" 0 "project2" -- $P project create project2
check "project list" 0 "project2" -- $P project list
check "a project again: exit 5" 5 "already exists" -- $P project create project1
check "member token without --project: exit 2" 2 "needs --project" -- $P token create --db "$db" --name alice --role member
check "member token for no project: exit 2" 2 'no project "nope"' -- $P token create --db "$db" --name alice --role member --project nope
$P token create --db "$db" --name alice --role member --project project1 >"$work/alice.token" || { echo "tenancy_cli: token failed"; exit 1; }
$P token create --db "$db" --name bob --role member --project project2 >"$work/bob.token" || { echo "tenancy_cli: token failed"; exit 1; }
check "token list names the project" 0 "project1" -- $P token list --db "$db"
A=(--token-file "$work/alice.token"); B=(--token-file "$work/bob.token")

check "network create (vlan 10 of group0-data0, project1's)" 0 "group0-data0" -- \
  $P network create net0 --provider-network-type vlan --provider-physical-network group0-data0 --provider-segment 10 --project project1
check "the same VLAN again: exit 5" 5 'already has VLAN 10: network "net0"' -- \
  $P network create net1 --provider-network-type vlan --provider-physical-network group0-data0 --provider-segment 10
check "VLAN 4095: exit 2, naming the field" 2 "provider:segmentation_id" -- \
  $P network create net1 --provider-network-type vlan --provider-physical-network group0-data0 --provider-segment 4095
check "a vlan network without a segment: exit 2" 2 "needs a segmentation id" -- \
  $P network create net1 --provider-network-type vlan --provider-physical-network group0-data0
check "--share with --project is refused" 2 "excludes" -- \
  $P network create net1 --provider-network-type flat --provider-physical-network x --share --project project1
check "a member cannot make a network: exit 6" 6 "needs an admin token" -- \
  $P network create net1 --provider-network-type flat --provider-physical-network x "${A[@]}"
check "network list (member)" 0 "net0" -- $P network list "${A[@]}"
check "another project does not see it" 0 "" -- bash -c "! $P network list --token-file $work/bob.token | grep -q net0"
check "nor show it: exit 4" 4 'no network "net0"' -- $P network show net0 "${B[@]}"

check "port create direct (a member)" 0 "fa:16:3e:" -- $P port create p1 --network net0 --vnic-type direct "${A[@]}"
check "port create direct-physical with a MAC" 0 "52:54:00:aa:bb:cc" -- \
  $P port create p2 --network net0 --vnic-type direct-physical --mac-address 52-54-00-AA-BB-CC "${A[@]}"
check "a multicast MAC: exit 2" 2 "multicast" -- $P port create p3 --network net0 --mac-address 01:00:5e:00:00:01 "${A[@]}"
check "a port on another project's network: exit 4" 4 'network: no network "net0"' -- $P port create b1 --network net0 "${B[@]}"
check "port list (member): both" 0 "direct-physical" -- $P port list "${A[@]}"
check "port show: another project's is not there" 4 'no port "p1"' -- $P port show p1 "${B[@]}"

check "shared network" 0 "True" -- bash -c "$P network create shared0 --provider-network-type flat --provider-physical-network group0-data1 --share --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"shared\"])'"
check "another project uses a shared network" 0 "project2" -- $P port create b1 --network shared0 "${B[@]}"

check "quota set" 0 "devices:nic-vf" -- $P quota set project1 --servers 5 --devices nic-vf=1 --ports direct=1
check "quota set: a bad pair, exit 2" 2 "NAME=COUNT" -- $P quota set project1 --devices nic-vf
check "quota set: an unknown alias, exit 2" 2 'no alias "nope"' -- $P quota set project1 --devices nope=1
check "quota set: nothing named, exit 2" 2 "at least one quota" -- $P quota set project1
check "a member cannot set quotas: exit 6" 6 "needs an admin token" -- $P quota set project1 --servers 50 "${A[@]}"
check "port over its quota: exit 10" 10 'quota ports:direct of project "project1" is 1: 1 in use' -- $P port create p3 --network net0 "${A[@]}"
check "a member boots in its project" 0 "project1" -- $P server create vm1 --flavor small "${A[@]}"
check "over the device quota: exit 10" 10 'quota devices:nic-vf of project "project1" is 1: 1 in use, and this server asks for 1 more' -- \
  $P server create vm2 --flavor small "${A[@]}"
check "quota show: the use" 0 "servers" -- $P quota show project1 "${A[@]}"
check "quota show: another project's is not there" 4 'no project "project1"' -- $P quota show project1 "${B[@]}"
check "a member lists only its servers" 0 "vm1" -- $P server list "${A[@]}"
$P server create ops1 --flavor small >/dev/null
check "... not the operators'" 0 "" -- bash -c "! $P server list --token-file $work/alice.token | grep -q ops1"
check "a member may not see hosts: exit 6" 6 "fleet's own view" -- $P host list "${A[@]}"
check "unlimited again (-1)" 0 "" -- $P quota set project1 --devices nic-vf=-1
check "then it boots" 0 "vm2" -- $P server create vm2 --flavor small "${A[@]}"

# Servers with NICs: a VF port gets the port's MAC and the network's VLAN in libvirt's XML.
check "an admin's port on a project's network counts against its quota: exit 10" 10 "quota ports:direct" -- $P port create nic1 --network net0
$P quota set project1 --ports direct=-1 >/dev/null
check "a port on a physical network no device_spec tags: No valid host naming it, exit 5" 5 'port "nic0" is on network "net0", physical network "group0-data0"' -- \
  bash -c "$P port create nic0 --network net0 >/dev/null && $P server create vm8 --flavor small --nic port-id=nic0"
$P port delete nic0 >/dev/null
$P network create data20 --provider-network-type vlan --provider-physical-network physnet1 --provider-segment 20 >/dev/null
check "port for a NIC" 0 "fa:16:3e:00:00:0a" -- $P port create nic1 --network data20 --mac-address fa:16:3e:00:00:0a
check "server create --nic port-id" 0 "<tag id='20'/>" -- $P server create vm9 --flavor small --nic port-id=nic1
check "the domain XML is valid" 0 "" -- bash -c "$P server show vm9 --domain-xml | sed -n '/^<domain/,\$p' >$work/vm9.xml && virt-xml-validate $work/vm9.xml domain"
check "--nic net-id makes the server a port" 0 "vm10-nic0" -- bash -c "$P server create vm10 --flavor small --nic net-id=data20,vnic-type=direct >/dev/null && $P port list"
check "a bad --nic: exit 2" 2 "--nic expects" -- $P server create vm11 --flavor small --nic port=nic1
check "a port held by a server cannot go: exit 5" 5 'bound to server "vm9"' -- $P port delete nic1
$P server delete vm9 >/dev/null; $P server delete vm10 >/dev/null; $P port delete nic1 >/dev/null; $P port delete vm10-nic0 >/dev/null
$P network delete data20 >/dev/null
check "a network with ports cannot go: exit 5" 5 "still has ports" -- $P network delete net0
check "a project with servers cannot go: exit 5" 5 "still has servers" -- $P project delete project1
check "a member deletes its server" 0 "" -- $P server delete vm1 "${A[@]}"
check "... but not another's: exit 4" 4 "no server" -- $P server delete ops1 "${A[@]}"
$P server delete vm2 "${A[@]}" >/dev/null
check "port delete" 0 "deleted port p1" -- $P port delete p1 "${A[@]}"
$P port delete p2 "${A[@]}" >/dev/null
check "network delete" 0 "deleted network net0" -- $P network delete net0
$P token delete --db "$db" --name alice >/dev/null || { echo "tenancy_cli: token delete failed"; exit 1; }
check "project delete" 0 "deleted project project1" -- $P project delete project1

# Restarted on its store, the controller has what it had.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
start_server "$work" --config "$ROOT/examples/pcipass.conf" --db "$db" || exit 1
check "after a restart: the shared network" 0 "shared0" -- $P network list
check "after a restart: bob's port" 0 "b1" -- $P port list "${B[@]}"

echo "tenancy_cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
