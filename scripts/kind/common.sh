# Shared by up.sh and down.sh (sourced): the pinned versions and the names of what they create.
# shellcheck shell=bash disable=SC2034  # the variables are read by the scripts that source this file

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
k8s_version=$(cat "$root/scripts/k8s/VERSION")
version=$(node -p "require('$root/package.json').version")

# kind v0.30.0 is the first release whose node images cover Kubernetes 1.34.
KIND_VERSION=${KIND_VERSION:-v0.30.0}
NODE_IMAGE=${CNPAAS_KIND_NODE_IMAGE:-kindest/node:v${k8s_version}}
CLUSTER=${CNPAAS_KIND_CLUSTER:-cnpaas}
STORE=${CNPAAS_KIND_STORE:-cnpaas-store}
STATE=${CNPAAS_KIND_DIR:-$root/.cnpaas/kind}
IMAGE_REGISTRY=${IMAGE_REGISTRY:-cnpaas}
# The images `cnpaas install --overlay kind` deploys, and the store's, as scripts/image/build.sh tags them.
IMAGES=(store:cnpaas-store webhooks:cnpaas-webhooks operator:cnpaas-operator api-server:cnpaas-api-server
  trigger:cnpaas-trigger email-function:cnpaas-email-function smtp:cnpaas-smtp console:cnpaas-console)

say() { printf '==> %s\n' "$*"; }
die() {
  printf 'error: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  fix: %s\n' "$2" >&2
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed" "$2"; }
