#!/usr/bin/env bash
# Install the mdswarm node daemon as a systemd service on a workstation.
#
#   sudo bash scripts/install-node-service.sh --coordinator /ip4/10.0.0.5/tcp/4100/p2p/12D3Koo... \
#        [--network NAME] [--swarm-key /etc/mdswarm/swarm.key] [--concurrency 2] [--user $USER] [--home /var/lib/mdswarm] \
#        [--engine builtin|openmm] [--platform NAME] [--python PATH] [--property KEY=VALUE]... [--listen MULTIADDR]... [--print]
#
# It writes /etc/systemd/system/mdswarm-node.service running this checkout's
# bin/mdswarm-node.mjs with the given flags, enables and starts it. The node
# keeps its key, payload cache and unsent chunks under --home. --print shows
# the unit file instead (no root needed, nothing installed). Remove with:
#   sudo systemctl disable --now mdswarm-node && sudo rm /etc/systemd/system/mdswarm-node.service
set -euo pipefail

usage () {
  cat <<'USAGE'
usage: sudo bash scripts/install-node-service.sh --coordinator MULTIADDR [options]

Installs and starts the mdswarm node daemon as the systemd service mdswarm-node.
  --coordinator MULTIADDR  the coordinator's address, ending in /p2p/<peer id> (required)
  --network NAME           the coordinator's network name (default: learned from the coordinator)
  --swarm-key FILE         the coordinator's swarm key, for a private network
  --concurrency N          units run at once (default: one per CPU core)
  --engine builtin|openmm  engine for units that accept any
  --platform NAME          OpenMM platform for units that name none (CUDA, OpenCL, CPU, Reference)
  --python PATH            interpreter with OpenMM
  --property KEY=VALUE     OpenMM platform property (repeatable)
  --listen MULTIADDR       address the node listens on (repeatable; none needed behind NAT)
  --user NAME              account the service runs as (default: the one running sudo)
  --home DIR               node home: key, payload cache, unsent chunks (default: ~NAME/.mdswarm)
  --print                  print the unit file and exit; install nothing
  --help                   this text
USAGE
}

fail () { echo "install-node-service: $1" >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
coordinator="" user="${SUDO_USER:-$(id -un)}" home="" print_only=""
node_args=()
while (( $# > 0 )); do
  option="$1"
  case "$option" in
    -h|--help) usage; exit 0 ;;
    --print) print_only=1; shift; continue ;;
    --coordinator|--network|--swarm-key|--concurrency|--engine|--platform|--python|--property|--listen|--user|--home) ;;
    *) echo "install-node-service: unknown option $option (see --help)" >&2; exit 2 ;;
  esac
  (( $# >= 2 )) && [[ -n "$2" && "$2" != --* ]] || fail "$option needs a value (see --help)"
  value="$2"
  shift 2
  case "$option" in
    --coordinator) coordinator="$value" ;;
    --user) user="$value" ;;
    --home) [[ "$value" == /* ]] || value="$PWD/$value"; home="$value" ;;   # systemd resolves a relative path from /
    --swarm-key) [[ -r "$value" ]] || fail "--swarm-key $value: no readable file there"
                 node_args+=(--swarm-key "$(cd "$(dirname "$value")" && pwd)/$(basename "$value")") ;;
    --engine) [[ "$value" == builtin || "$value" == openmm ]] || fail "--engine must be builtin or openmm, got '$value'"
              node_args+=(--engine "$value") ;;
    *) node_args+=("$option" "$value") ;;
  esac
done
[[ -n "$coordinator" ]] || fail "--coordinator MULTIADDR is required (see --help)"
[[ "$coordinator" == */p2p/* ]] || fail "--coordinator $coordinator does not end in /p2p/<peer id>; copy the address the coordinator prints"
if [[ -z "$home" ]]; then
  user_home=$(getent passwd "$user" | cut -d: -f6) || fail "no user '$user' (pass --user NAME)"
  home="$user_home/.mdswarm"
fi
node_bin=$(command -v node) || { echo "install-node-service: Node.js 20+ not found on PATH" >&2; exit 1; }
args=(start --coordinator "$coordinator" --home "$home" "${node_args[@]}")

# systemd splits ExecStart on spaces and honours double quotes.
exec_start="$node_bin $repo/bin/mdswarm-node.mjs"
for arg in "${args[@]}"; do
  if [[ "$arg" =~ [[:space:]\"\\] ]]; then
    escaped=${arg//\\/\\\\}
    escaped=${escaped//\"/\\\"}
    exec_start+=" \"$escaped\""
  else
    exec_start+=" $arg"
  fi
done

unit_text=$(cat <<UNIT
[Unit]
Description=mdswarm node daemon (volunteer molecular dynamics)
After=network-online.target
Wants=network-online.target

[Service]
User=$user
ExecStart=$exec_start
Restart=on-failure
RestartSec=5
Nice=10

[Install]
WantedBy=multi-user.target
UNIT
)
if [[ -n "$print_only" ]]; then
  printf '%s\n' "$unit_text"
  exit 0
fi
unit=/etc/systemd/system/mdswarm-node.service
printf '%s\n' "$unit_text" > "$unit"
systemctl daemon-reload
systemctl enable --now mdswarm-node
echo "installed $unit; follow it with: journalctl -u mdswarm-node -f"
