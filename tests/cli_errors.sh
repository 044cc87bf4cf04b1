#!/usr/bin/env bash
# The simulate command line: exit statuses and messages a user sees.
# Usage: cli_errors.sh PCIPASS REPO_ROOT
set -uo pipefail
pcipass="$1"; root="$2"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
scenario="$root/testdata/scenarios/01-pf-claim-blocks-vfs.json"
check missing-file 2 "cannot open $tmp/nope.json" -- "$pcipass" simulate "$tmp/nope.json"
printf '{"format": "pcipass-scenario/1",\n "hosts": [}\n' > "$tmp/bad.json"
check bad-json 2 "invalid JSON at line 2" -- "$pcipass" simulate "$tmp/bad.json"
printf '{"format": "pcipass-scenario/1", "hosts": [], "x": 1e999}\n' > "$tmp/overflow.json"
check number-overflow 2 "number overflow" -- "$pcipass" simulate "$tmp/overflow.json"
check bad-weigher 2 "weigher" -- "$pcipass" simulate --weigher random "$scenario"
check no-subcommand 2 "subcommand" -- "$pcipass"
check stdin 0 '"summary"' -- sh -c "'$pcipass' simulate - < '$scenario'"
sed 's/"expect": "compute-a"}/"expect": "NoValidHost"}/' "$scenario" > "$tmp/mismatch.json"
check mismatch 1 '"mismatch":"expected NoValidHost"' -- "$pcipass" simulate "$tmp/mismatch.json"
check human 0 "No valid host was found" -- "$pcipass" simulate --human "$scenario"
# What a failed boot says: per host (the default), grouped by cause, or nothing; the summary times the explaining.
check reasons-hosts 0 '"result":"NoValidHost","reasons":{"compute-a":"alias vf: 0 of 1 free (4 on host); ' -- "$pcipass" simulate "$scenario"
check reasons-grouped 0 '"result":"NoValidHost","why":[{"reason":"alias vf: none free","hosts":1,"sample":["compute-a"]}]}' -- "$pcipass" simulate --reasons grouped "$scenario"
check reasons-none 0 '{"op":"boot","id":"vf-vm","result":"NoValidHost"}' -- "$pcipass" simulate --reasons none "$scenario"
check reasons-human 0 '1 host: alias vf: none free (compute-a)' -- "$pcipass" simulate --human --reasons grouped "$scenario"
check reasons-timed 0 '"explain":' -- "$pcipass" simulate --reasons grouped "$scenario"
check bad-reasons 2 "--reasons" -- "$pcipass" simulate --reasons some "$scenario"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["device_spec"].append({"vendor_id":"8086","physical_netwrok":"p"}); json.dump(d,open(sys.argv[2],"w"))' "$scenario" "$tmp/warn.json"
check warning 0 'warning: device_spec[2]: device_spec key "physical_netwrok"' -- "$pcipass" simulate "$tmp/warn.json"
check quiet 0 '"summary"' -- "$pcipass" simulate -q "$tmp/warn.json"
out=$("$pcipass" simulate -q "$tmp/warn.json" 2>&1)
case "$out" in *warning*) echo "FAIL quiet: still warns"; failed=$((failed+1)) ;; *) passed=$((passed+1)) ;; esac
check version 0 "pcipass 0.1.0" -- "$pcipass" --version
# config check: a file read as the server reads it, without a server.
printf '[pci]\ndevice_spec = {"vendor_id": "8086"}\nalias = {"name": "q", "capability_type": "pci", "vendor_id": "8086", "product_id": "0443"}\n' > "$tmp/nova.conf"
check config-check-warns 0 'warning: '"$tmp"'/nova.conf: alias "q" is unusable' -- "$pcipass" config check "$tmp/nova.conf"
check config-check-json 0 '"usable": false' -- "$pcipass" config check --json "$tmp/nova.conf"
printf '[pci]\ndevice_spec = {"vendor_id": "8086"}\nalias = {"name": "q", "vendor_id": "zz"}\n' > "$tmp/bad.conf"
check config-check-bad-line 2 "bad.conf:3 [pci] alias.vendor_id" -- "$pcipass" config check "$tmp/bad.conf"
check config-check-directory 2 "is a directory" -- "$pcipass" config check "$tmp"
# Progress on a terminal (script(1) gives the command one), none when piped.
# (TERM is set here: a CI runner's may be "dumb", which asks for no drawing at all.)
check progress-on-a-terminal 0 "pcipass simulate: running ops 0 of" -- env TERM=xterm script -qec "'$pcipass' simulate -q '$scenario' >/dev/null" /dev/null
out=$(env TERM=dumb script -qec "'$pcipass' simulate -q '$scenario' >/dev/null" /dev/null 2>&1)
case "$out" in *"running ops"*) echo "FAIL progress-on-a-dumb-terminal: $out"; failed=$((failed+1)) ;; *) passed=$((passed+1)) ;; esac
out=$("$pcipass" simulate -q "$scenario" 2>&1 >/dev/null)
case "$out" in *"running ops"*) echo "FAIL progress-when-piped: $out"; failed=$((failed+1)) ;; *) passed=$((passed+1)) ;; esac
# bash completion, made from the command tree, run by bash itself.
"$pcipass" completion bash > "$tmp/completion.bash"
complete_words() {  # the words bash would offer after "$@" (the last word is the one being typed)
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _pcipass; echo "${COMPREPLY[*]}"' _ "$tmp/completion.bash" "$@"
}
check completion-subcommand 0 "create" -- complete_words pcipass server cr
check completion-option 0 "--image" -- complete_words pcipass server create vm1 --flavor small --im
check completion-after-a-valued-option 0 "list" -- complete_words pcipass host --url http://x li
check completion-formats 0 "table json value yaml" -- complete_words pcipass host list -f ""
check completion-unknown-shell 2 "zsh not in" -- "$pcipass" completion zsh
echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
