#!/usr/bin/env bash
# Install the mdswarm node daemon as a systemd service on a workstation.
#
#   sudo bash scripts/install-node-service.sh --coordinator /ip4/10.0.0.5/tcp/4100/p2p/12D3Koo... \
#        [--concurrency 2] [--user $USER] [--home /var/lib/mdswarm] [--swarm-key /etc/mdswarm/swarm.key]
#
# It writes /etc/systemd/system/mdswarm-node.service running this checkout's
# bin/mdswarm-node.mjs with the given flags, enables and starts it. The node
# keeps its key, payload cache and unsent chunks under --home. Remove with:
#   sudo systemctl disable --now mdswarm-node && sudo rm /etc/systemd/system/mdswarm-node.service
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
coordinator="" concurrency="" user="${SUDO_USER:-$(id -un)}" home="" swarm_key=""
while (( $# > 0 )); do
  case "$1" in
    --coordinator) coordinator="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --user) user="$2"; shift 2 ;;
    --home) home="$2"; shift 2 ;;
    --swarm-key) swarm_key="$2"; shift 2 ;;
    *) echo "install-node-service: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n "$coordinator" ]] || { echo "install-node-service: --coordinator MULTIADDR is required" >&2; exit 2; }
[[ -n "$home" ]] || home=$(getent passwd "$user" | cut -d: -f6)/.mdswarm
node_bin=$(command -v node) || { echo "install-node-service: Node.js 20+ not found on PATH" >&2; exit 1; }
args=(start --coordinator "$coordinator" --home "$home")
[[ -n "$concurrency" ]] && args+=(--concurrency "$concurrency")
[[ -n "$swarm_key" ]] && args+=(--swarm-key "$swarm_key")
unit=/etc/systemd/system/mdswarm-node.service
cat > "$unit" <<UNIT
[Unit]
Description=mdswarm node daemon (volunteer molecular dynamics)
After=network-online.target
Wants=network-online.target

[Service]
User=$user
ExecStart=$node_bin $repo/bin/mdswarm-node.mjs ${args[*]}
Restart=on-failure
RestartSec=5
Nice=10

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now mdswarm-node
echo "installed $unit; follow it with: journalctl -u mdswarm-node -f"
