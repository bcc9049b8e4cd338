#!/usr/bin/env bash
# Builds one component's image from the multi-target Dockerfile at the repository root, tagged with
# the workspace version: `nx run <project>:image` calls it with the target and image name.
#
#   scripts/image/build.sh TARGET NAME        e.g. scripts/image/build.sh webhooks cnpaas-webhooks
#
# CONTAINER_ENGINE picks the engine (default: docker if found, else podman). IMAGE_REGISTRY prefixes
# the name (default cnpaas, giving cnpaas/cnpaas-webhooks:<version>). Extra arguments after NAME go
# to the engine's build command unchanged.
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: $0 TARGET NAME [build args...]   (targets: the FROM ... AS names in Dockerfile)" >&2
  exit 2
fi
target=$1
name=$2
shift 2

root=$(cd "$(dirname "$0")/../.." && pwd)
if ! grep -Eq "^FROM .* AS ${target}\$" "$root/Dockerfile"; then
  echo "Dockerfile has no target '${target}'; the targets are:" >&2
  sed -n 's/^FROM .* AS \(.*\)$/  \1/p' "$root/Dockerfile" >&2
  exit 2
fi

engine=${CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
  if command -v docker >/dev/null 2>&1; then
    engine=docker
  elif command -v podman >/dev/null 2>&1; then
    engine=podman
  else
    echo "no container engine: install Docker or Podman, or set CONTAINER_ENGINE" >&2
    exit 1
  fi
fi

version=$(node -p "require('$root/package.json').version")
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
registry=${IMAGE_REGISTRY:-cnpaas}
image="${registry}/${name}:${version}"

echo "==> ${engine} build --target ${target} -t ${image}"
"$engine" build "$root" \
  --file "$root/Dockerfile" \
  --target "$target" \
  --tag "$image" \
  --build-arg "NODE_VERSION=$(cat "$root/.nvmrc")" \
  --build-arg "VERSION=${version}" \
  --build-arg "REVISION=${revision}" \
  "$@"
echo "==> built ${image}"
