#!/usr/bin/env bash
# Builds kine (k3s's etcd API over SQL) at the version pinned in KINE_VERSION,
# for the kine column of the store benchmark (nx run storage-shim:bench
# --backend postgres|mysql). kine is its own Go module: `go install
# module@version` builds it with kine's own go.mod and go.sum (checked against
# the checksum database), so nothing here touches this directory's go.mod.
# See README.md in this directory.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=scripts/k8s/build-kine.sh
MODULE=github.com/k3s-io/kine

usage() {
  cat <<USAGE
Usage: $PROG [--force] [--print-path]

Builds kine $(tr -d ' \t\r\n' <"$SCRIPT_DIR/KINE_VERSION") into
\${CNPAAS_CACHE_DIR:-\$HOME/.cache/cnpaas}/bin/kine-<version> and prints that
path on stdout (progress goes to stderr).

  --force       rebuild even if a binary reporting the pinned version is there
  --print-path  print where the binary goes and exit, building nothing
USAGE
}

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$SCRIPT_DIR/common.sh"

force=0
print_path=0
while (($# > 0)); do
  case $1 in
  -h | --help)
    usage
    exit 0
    ;;
  --force) force=1 ;;
  --print-path) print_path=1 ;;
  *)
    usage >&2
    die "unknown argument: $1"
    ;;
  esac
  shift
done

VERSION=$(tr -d ' \t\r\n' <"$SCRIPT_DIR/KINE_VERSION")
[[ $VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  die "$SCRIPT_DIR/KINE_VERSION must hold one version like v0.17.5, got '$VERSION'"
cache_dir=${CNPAAS_CACHE_DIR:-$HOME/.cache/cnpaas}
bin="$cache_dir/bin/kine-$VERSION"

if ((print_path)); then
  printf '%s\n' "$bin"
  exit 0
fi

# The binary reports the version stamped into it below ("kine version v0.17.5 (...)").
has_pinned_version() {
  [[ -x $bin ]] || return 1
  local out
  out=$("$bin" --version 2>/dev/null) || return 1
  [[ $out == *" $VERSION "* || $out == *" $VERSION" ]]
}

if ((!force)) && has_pinned_version; then
  say "kine $VERSION already in $cache_dir/bin, skipping"
  printf '%s\n' "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  die "'go' is not on PATH. Install Go (kine $VERSION's go.mod names the minimum; https://go.dev/dl/), then re-run $PROG."
# No toolchain download: the Go module proxy is the only network this build may use.
export GOTOOLCHAIN=local
# Module@version mode reads kine's own go.mod; -mod is neither needed nor allowed to rewrite anything.
export GOFLAGS=-buildvcs=false

mkdir -p "$cache_dir/bin"
gobin=$(mktemp -d "$cache_dir/bin/.kine-build.XXXXXX")
trap 'rm -rf "$gobin"' EXIT

# Stamped like a release (the module proxy does not say which commit, so GitCommit stays empty).
ldflags="-s -w -X $MODULE/pkg/version.Version=$VERSION -X $MODULE/pkg/version.GitCommit="
say "building kine $VERSION with $(go env GOVERSION) (a cold module cache downloads its modules through GOPROXY=$(go env GOPROXY)) ..."
start=$SECONDS
# CGO off: the PostgreSQL and MySQL drivers are pure Go, and so is the build then.
GOBIN=$gobin CGO_ENABLED=0 go install -trimpath -ldflags="$ldflags" "$MODULE@$VERSION" ||
  die "go install $MODULE@$VERSION failed (see above); with an older Go, install the one kine's go.mod asks for"
mv -f "$gobin/kine" "$bin"
has_pinned_version || die "$bin does not report $VERSION after the build"
say "built kine $VERSION in $(fmt_secs $((SECONDS - start))) ($(awk -v b="$(wc -c <"$bin")" 'BEGIN { printf "%.1f MB", b / 1000000 }')) -> $bin"
printf '%s\n' "$bin"
