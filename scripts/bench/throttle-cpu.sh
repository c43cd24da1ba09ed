#!/usr/bin/env bash
# Makes one CPU slower for the benchmarks running beside it: a busy loop pinned to CPU $CPU (default 1) that a
# CPU-quota cgroup lets run PERCENT% of the time, so whatever else runs on that CPU gets the rest. This stands in
# for a shared host that slows one virtual CPU (another guest on its sibling hyperthread) and for a workstation
# whose owner is busy on one core. Needs root (it writes a cgroup); cgroup v2 (cpu.max) or v1 (cpu.cfs_quota_us).
#
#   bash scripts/bench/throttle-cpu.sh SECONDS PERCENT &     e.g. 600 40, then run a benchmark; it stops by itself
#
# Example (the figures of the fifth closing note): one CPU 40% slower, the reaction-field system:
#   bash scripts/bench/throttle-cpu.sh 900 40 & npx tsx scripts/bench/engine.ts --only ala2-tip3p --rounds 3
set -euo pipefail
seconds=${1:?usage: throttle-cpu.sh SECONDS PERCENT}
percent=${2:?usage: throttle-cpu.sh SECONDS PERCENT}
cpu=${CPU:-1}
if ! [[ $seconds =~ ^[0-9]+$ && $percent =~ ^[0-9]+$ && $percent -ge 1 && $percent -le 100 ]]; then
  echo "throttle-cpu.sh: SECONDS and PERCENT (1-100) must be whole numbers" >&2; exit 2
fi
name=mdswarm-throttle-$$
period=100000
quota=$((period * percent / 100))
if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
  group=/sys/fs/cgroup/$name
  mkdir "$group"
  echo "$quota $period" > "$group/cpu.max"
else
  group=/sys/fs/cgroup/cpu/$name
  mkdir "$group"
  echo "$period" > "$group/cpu.cfs_period_us"
  echo "$quota" > "$group/cpu.cfs_quota_us"
fi
cleanup () { kill "$hog" ${sleeper:-} 2>/dev/null || true; wait "$hog" 2>/dev/null || true; rmdir "$group" 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 0' INT TERM
# the busy loop joins the group before it starts spinning
bash -c "echo \$\$ > '$group/cgroup.procs'; exec taskset -c $cpu bash -c 'while :; do :; done'" &
hog=$!
echo "throttle-cpu.sh: CPU $cpu busy $percent% of the time for $seconds s (cgroup $group)" >&2
sleep "$seconds" &
sleeper=$!
wait $sleeper   # (in the background, so that a TERM is handled at once)
