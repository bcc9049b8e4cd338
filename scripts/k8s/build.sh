#!/usr/bin/env bash
# Builds the pinned Kubernetes control-plane binaries (kube-apiserver,
# kube-controller-manager, kubectl) from Go modules, and the etcd-load tool.
# See README.md in this directory; docs/design.md "Tests and CI" -> Go.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=scripts/k8s/build.sh
KUBE_BINS=(kube-apiserver kube-controller-manager kubectl)
GO_MIN_MINOR=24 # go.mod says go 1.24.0

usage() {
  cat <<EOF
Usage: $PROG [--out DIR] [--force] [--pushdown] [TARGET...]

Targets: kube-apiserver, kube-controller-manager, kubectl (the default is all
three), etcd-load, etcd (the reference etcd 3.6 the benchmarks compare with),
all (the three plus etcd-load and etcd), kube-apiserver-pushdown (= --pushdown).

  --out DIR   where the kube binaries go (env CNPAAS_K8S_BIN_DIR); default
              \${CNPAAS_CACHE_DIR:-\$HOME/.cache/cnpaas}/k8s/<version>-<os>-<arch>
  --force     rebuild even if a binary with the right version is present
  --pushdown  build kube-apiserver-pushdown instead: kube-apiserver with the
              small patch in pushdown/ that sends each LIST's and WATCH's
              label and field selectors to the datastore (cnpaas-store can
              then filter in the database). Opt-in; the plain kube-apiserver
              stays the default everywhere. See pushdown/README.md.
  --print-dir print the kube binaries' directory and exit

etcd-load and etcd go to \${CNPAAS_CACHE_DIR:-\$HOME/.cache/cnpaas}/bin/.
EOF
}

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$SCRIPT_DIR/common.sh"

human_size() {
  local bytes
  bytes=$(wc -c <"$1" | tr -d ' ')
  awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1000000 }'
}

# --- arguments --------------------------------------------------------------
out_dir=${CNPAAS_K8S_BIN_DIR:-}
force=0
pushdown=0
print_dir=0
targets=()
while (($# > 0)); do
  case $1 in
  -h | --help)
    usage
    exit 0
    ;;
  --out)
    (($# >= 2)) || die "--out needs a directory"
    out_dir=$2
    shift
    ;;
  --out=*) out_dir=${1#--out=} ;;
  --force) force=1 ;;
  --pushdown) pushdown=1 ;;
  --print-dir) print_dir=1 ;;
  all) targets+=("${KUBE_BINS[@]}" etcd-load etcd) ;;
  kube-apiserver | kube-controller-manager | kubectl | etcd-load | etcd) targets+=("$1") ;;
  kube-apiserver-pushdown) pushdown=1 ;;
  *)
    usage >&2
    die "unknown argument: $1"
    ;;
  esac
  shift
done
if ((pushdown)); then
  ((${#targets[@]} == 0)) || [[ ${targets[*]} == kube-apiserver ]] ||
    die "--pushdown builds kube-apiserver-pushdown only; drop the other targets (${targets[*]})"
  targets=(kube-apiserver-pushdown)
fi
((${#targets[@]} > 0)) || targets=("${KUBE_BINS[@]}")

# --- version pin ------------------------------------------------------------
VERSION=$(tr -d ' \t\r\n' <"$SCRIPT_DIR/VERSION")
[[ $VERSION =~ ^1\.([0-9]+)\.([0-9]+)$ ]] || die "$SCRIPT_DIR/VERSION must hold a version like 1.34.10, got '$VERSION'"
K8S_MINOR=${BASH_REMATCH[1]}
K8S_PATCH=${BASH_REMATCH[2]}
grep -Eq "^[[:space:]]*k8s\.io/kubernetes v$VERSION([[:space:]]|$)" "$SCRIPT_DIR/go.mod" ||
  die "go.mod does not require k8s.io/kubernetes v$VERSION (VERSION says $VERSION); update go.mod's require and replace block"
grep -Eq "=> k8s\.io/apiserver v0\.$K8S_MINOR\.$K8S_PATCH([[:space:]]|$)" "$SCRIPT_DIR/go.mod" ||
  die "go.mod's replace block does not pin the k8s.io staging modules to v0.$K8S_MINOR.$K8S_PATCH"

# --- Go toolchain -----------------------------------------------------------
if ! command -v go >/dev/null 2>&1; then
  die "'go' is not on PATH. Install Go >= 1.$GO_MIN_MINOR (https://go.dev/dl/; Debian 12's golang-go is too old), then re-run $PROG.
  Alternatively put prebuilt v$VERSION binaries in a directory and point KUBEBUILDER_ASSETS (or TEST_ASSET_KUBE_APISERVER etc.) at them."
fi
export GOTOOLCHAIN=local
export GOFLAGS=-mod=readonly
go_version=$(go env GOVERSION)
if [[ $go_version =~ ^go1\.([0-9]+) ]]; then
  ((BASH_REMATCH[1] >= GO_MIN_MINOR)) ||
    die "$go_version is too old: this module needs Go >= 1.$GO_MIN_MINOR (GOTOOLCHAIN=local, no toolchain download). Install a newer Go from https://go.dev/dl/."
fi
GOOS=$(go env GOOS)
GOARCH=$(go env GOARCH)
host_platform="$(go env GOHOSTOS)/$(go env GOHOSTARCH)"
cache_dir=${CNPAAS_CACHE_DIR:-$HOME/.cache/cnpaas}
[[ -n $out_dir ]] || out_dir="$cache_dir/k8s/$VERSION-$GOOS-$GOARCH"

if ((print_dir)); then
  printf '%s\n' "$out_dir"
  exit 0
fi

cd "$SCRIPT_DIR"

# --- version check of an existing binary ------------------------------------
# Succeeds if $2 (a kube binary named $1) reports the pinned version.
has_pinned_version() {
  local name=$1 bin=$2 out
  [[ -x $bin ]] || return 1
  if [[ "$GOOS/$GOARCH" != "$host_platform" ]]; then
    # Cannot run it here: check the module version in its build info (the
    # -X ldflags are not recorded there with -trimpath).
    go version -m "$bin" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+k8s\.io/kubernetes[[:space:]]+v${VERSION}[[:space:]]"
    return
  fi
  if [[ $name == kubectl ]]; then
    out=$("$bin" version --client 2>/dev/null) || return 1
    grep -qx "Client Version: v$VERSION" <<<"$out"
  else
    out=$("$bin" --version 2>/dev/null) || return 1
    [[ $out == "Kubernetes v$VERSION" ]]
  fi
}

# --- module download ---------------------------------------------------------
modules_ready=0
ensure_modules() {
  ((modules_ready)) && return 0
  local start=$SECONDS
  say "resolving Go modules for k8s.io/kubernetes v$VERSION (a cold module cache downloads ~90 MB through GOPROXY)"
  go list -deps -f '' "${@}" >/dev/null ||
    die "could not download the Go modules (GOPROXY=$(go env GOPROXY)); check network/proxy access, or run with a warm GOMODCACHE"
  say "modules ready in $(fmt_secs $((SECONDS - start)))"
  modules_ready=1
}

# --- kube binaries -----------------------------------------------------------
version_ldflags() {
  # The module proxy does not tell us upstream's commit, so gitCommit stays
  # empty; buildDate is the tag's time so the build is reproducible.
  local build_date pkg flags=()
  build_date=$(go list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes 2>/dev/null || true)
  [[ -n $build_date ]] || build_date=1970-01-01T00:00:00Z
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=(
      "-X $pkg.gitVersion=v$VERSION"
      "-X $pkg.gitMajor=1"
      "-X $pkg.gitMinor=$K8S_MINOR"
      "-X $pkg.gitCommit="
      "-X $pkg.gitTreeState=clean"
      "-X $pkg.buildDate=$build_date"
    )
  done
  printf '%s ' "${flags[@]}"
}

# What upstream's hack/lib/golang.sh uses for its static release binaries.
GO_BUILD_FLAGS=(-trimpath -buildvcs=false "-tags=selinux,notest,grpcnotrace")

tmp_bin=
cleanup() { [[ -z $tmp_bin ]] || rm -f "$tmp_bin"; }
trap cleanup EXIT

build_kube() {
  local name=$1 bin="$out_dir/$1" start ldflags
  if ((!force)) && has_pinned_version "$name" "$bin"; then
    say "$name v$VERSION already in $out_dir, skipping"
    return 0
  fi
  ensure_modules "${wanted_kube[@]/#/k8s.io/kubernetes/cmd/}"
  mkdir -p "$out_dir"
  ldflags="-s -w $(version_ldflags)"
  tmp_bin="$out_dir/.$name.tmp.$$"
  say "building $name v$VERSION for $GOOS/$GOARCH ..."
  start=$SECONDS
  CGO_ENABLED=0 go build "${GO_BUILD_FLAGS[@]}" -ldflags="$ldflags" \
    -o "$tmp_bin" "k8s.io/kubernetes/cmd/$name" ||
    die "go build of k8s.io/kubernetes/cmd/$name failed"
  mv -f "$tmp_bin" "$bin"
  tmp_bin=
  say "built $name in $(fmt_secs $((SECONDS - start))) ($(human_size "$bin")) -> $bin"
  if [[ "$GOOS/$GOARCH" == "$host_platform" ]] && ! has_pinned_version "$name" "$bin"; then
    die "$bin does not report v$VERSION after the build"
  fi
}

# --- etcd-load and the reference etcd (commands of this module) ---------------
build_tool() {
  local name=$1 bin="$cache_dir/bin/$1" start src newer=0
  if ((!force)) && [[ -x $bin ]]; then
    for src in "cmd/$name/main.go" go.mod go.sum; do
      [[ $src -nt $bin ]] && newer=1
    done
    if ((!newer)); then
      say "$name is up to date in $cache_dir/bin, skipping"
      return 0
    fi
  fi
  mkdir -p "$cache_dir/bin"
  say "building $name ..."
  start=$SECONDS
  # Same flags as the kube binaries, so the etcd and gRPC packages compiled
  # for kube-apiserver are reused from GOCACHE.
  CGO_ENABLED=0 go build "${GO_BUILD_FLAGS[@]}" -o "$bin" "./cmd/$name" ||
    die "go build of ./cmd/$name failed"
  say "built $name in $(fmt_secs $((SECONDS - start))) ($(human_size "$bin")) -> $bin"
}

# --- kube-apiserver with the selector push-down patch ------------------------
# The patched modules are copied out of the module cache, patched, and
# swapped in through a generated -modfile, so go.mod, go.sum and the module
# cache stay untouched and the plain binaries never see the patch.
PUSHDOWN_MODULES=(
  "go.etcd.io/etcd/api/v3 etcd-api.patch"
  "go.etcd.io/etcd/client/v3 etcd-client.patch"
  "k8s.io/apiserver apiserver.patch"
  "k8s.io/apiextensions-apiserver apiextensions-apiserver.patch"
)

build_pushdown() {
  local name=kube-apiserver-pushdown bin="$out_dir/kube-apiserver-pushdown" start ldflags
  local src="$cache_dir/k8s/pushdown-src/$VERSION" entry module patch_file dir version
  if ((!force)) && has_pinned_version kube-apiserver "$bin"; then
    local newest=0 f
    for f in "$SCRIPT_DIR"/pushdown/*.patch; do [[ $f -nt $bin ]] && newest=1; done
    if ((!newest)); then
      say "$name v$VERSION already in $out_dir, skipping"
      return 0
    fi
  fi
  ensure_modules k8s.io/kubernetes/cmd/kube-apiserver
  rm -rf "$src"
  mkdir -p "$src"
  cp go.mod "$src/go.mod"
  cp go.sum "$src/go.sum"
  for entry in "${PUSHDOWN_MODULES[@]}"; do
    read -r module patch_file <<<"$entry"
    dir=$(go list -m -f '{{.Dir}}' "$module") || die "go list -m $module failed"
    version=$(go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' "$module")
    [[ -d $dir ]] || die "$module $version is not in the module cache ($dir)"
    cp -r "$dir" "$src/$patch_file.d"
    chmod -R u+w "$src/$patch_file.d"
    patch --quiet --forward -p1 -d "$src/$patch_file.d" <"$SCRIPT_DIR/pushdown/$patch_file" ||
      die "pushdown/$patch_file does not apply to $module $version; go.mod moved past the version it was written for. Re-make it as pushdown/README.md says."
    # Drop any replace of this module, then point it at the patched copy.
    sed -i "\#^[[:space:]]*$module =>#d" "$src/go.mod"
    printf 'replace %s => %s\n' "$module" "$src/$patch_file.d" >>"$src/go.mod"
  done
  mkdir -p "$out_dir"
  ldflags="-s -w $(version_ldflags)"
  tmp_bin="$out_dir/.$name.tmp.$$"
  say "building $name v$VERSION for $GOOS/$GOARCH (kube-apiserver + pushdown/*.patch) ..."
  start=$SECONDS
  CGO_ENABLED=0 go build -modfile="$src/go.mod" "${GO_BUILD_FLAGS[@]}" -ldflags="$ldflags" \
    -o "$tmp_bin" k8s.io/kubernetes/cmd/kube-apiserver ||
    die "go build of the push-down kube-apiserver failed"
  mv -f "$tmp_bin" "$bin"
  tmp_bin=
  say "built $name in $(fmt_secs $((SECONDS - start))) ($(human_size "$bin")) -> $bin"
}

wanted_kube=()
for t in "${targets[@]}"; do
  [[ $t == etcd-load || $t == etcd || $t == kube-apiserver-pushdown ]] || wanted_kube+=("$t")
done
for t in "${targets[@]}"; do
  case $t in
  etcd-load | etcd) build_tool "$t" ;;
  kube-apiserver-pushdown) build_pushdown ;;
  *) build_kube "$t" ;;
  esac
done
