#!/usr/bin/env bash
# Brings up a node: installs the system packages when missing, builds gridnode (release), creates
# the node's identity on first use, and runs it in the foreground until Ctrl-C.
# Arguments go to 'gridnode run' (e.g. --data-dir DIR --listen 127.0.0.1:7402 --skills sha256).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-packages.sh
swift build -c release --product gridnode
gridnode=.build/release/gridnode

# The data directory 'gridnode run' will use, so its identity exists first.
data_dir=()
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --data-dir) data_dir=(--data-dir "${args[$((i + 1))]:-}") ;;
    --data-dir=*) data_dir=(--data-dir "${args[$i]#--data-dir=}") ;;
  esac
done
"$gridnode" id "${data_dir[@]}" >/dev/null 2>&1 || "$gridnode" init "${data_dir[@]}"
exec "$gridnode" run "$@"
