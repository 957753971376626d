#!/usr/bin/env bash
# Installs the system libraries Grid builds against (libsodium-dev, libsqlite3-dev, pkg-config)
# when any is missing. Uses sudo when not run as root.
set -euo pipefail

missing=()
for package in libsodium-dev libsqlite3-dev pkg-config; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null || {
  echo "missing system packages: ${missing[*]}; install them with your package manager" >&2
  exit 1
}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
