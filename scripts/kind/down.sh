#!/usr/bin/env bash
# Removes what scripts/kind/up.sh created: the kind cluster, the store container, and (with --purge)
# the state directory with the store's data and the PKI.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

purge=false
for arg in "$@"; do
  case $arg in
    --purge) purge=true ;;
    *) die "unknown argument $arg" "scripts/kind/down.sh [--purge]" ;;
  esac
done
need docker "install Docker"
need kind "install kind ${KIND_VERSION}"

say "kind cluster ${CLUSTER}"
kind delete cluster --name "$CLUSTER"
say "store container ${STORE}"
docker rm --force "$STORE" >/dev/null 2>&1 || true
if [ "$purge" = true ]; then
  say "state $STATE (data and PKI)"
  rm -rf "$STATE"
fi
