#!/usr/bin/env bash
# Runs Kubernetes' own storage tests (k8s.io/apiserver pkg/storage/etcd3/...,
# the pinned version) against cnpaas-store or against the unmodified embedded
# etcd 3.6 they use upstream. See STORAGE-TESTS.md in this directory;
# docs/design.md "Tests and CI" -> Go.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/../.." && pwd)
PROG=scripts/k8s/storage-test.sh
GO_MIN_MINOR=24
# The test packages, relative to k8s.io/apiserver. The default set is the one
# kine builds (pkg/storage/etcd3/...); --extended adds two more suites that
# reach the server through the same hook (STORAGE-TESTS.md).
TEST_PKGS=(pkg/storage/etcd3 pkg/storage/etcd3/metrics pkg/storage/etcd3/preflight)
EXTENDED_PKGS=(pkg/storage/cacher pkg/registry/generic/registry)
TESTSERVER_PKG=pkg/storage/etcd3/testserver
OVERLAY_DIR=$SCRIPT_DIR/storagetest/testserver
# Tests skipped on purpose, as a -test.skip regexp per target ("" = none).
# Every entry must be listed with its reason in STORAGE-TESTS.md.
SKIP_STORE=""
SKIP_ETCD=""
# Bump when the build steps below change, to invalidate cached binaries.
BUILD_RECIPE=1

usage() {
  cat <<EOF
Usage: $PROG [--target store|etcd] [-run REGEX] [options]

Builds k8s.io/apiserver's storage tests (${TEST_PKGS[*]}) with the test-server
hook replaced by scripts/k8s/storagetest/testserver, into
\${CNPAAS_CACHE_DIR:-\$HOME/.cache/cnpaas}/storage-test/ (skipped when up to
date), then runs them with -test.parallel 1 -test.timeout 15m, like kine.

  --target T      store (default): a fresh cnpaas-store per test;
                  etcd: the unmodified embedded etcd upstream uses
  -run REGEX      only tests matching REGEX (go test -run; also --run)
  --pkg NAME      only this test package: etcd3, metrics, preflight, or
                  one of --extended's (repeatable; default the first three)
  --extended      also ${EXTENDED_PKGS[*]}
                  (built on first use; run with Go's default -test.parallel)
  --topology FILE run the store with --topology FILE (relative sqlite://
                  paths land in each test's own data dir; {{postgres:NAME}}
                  and {{mysql:NAME}} endpoints become fresh databases)
  --backend B     where the store keeps the keys no route claims and its
                  meta: sqlite (default: main.db, meta.db), postgres or mysql
                  (a fresh database per test, --main-endpoint)
  --replicas N    N stores per test on that one database (needs --backend
                  postgres or mysql); the client gets all of their endpoints
  --json FILE     also write the go test2json event stream to FILE
  -v, --verbose   print every test's output, not only failures'
  --build-only    build the test binaries and exit
  --force         rebuild the test binaries even if up to date
  -h, --help      this text

Exit status: 0 when every test passed (or skipped itself), 1 otherwise.
The last line is: storage-test (<target>): N passed, N failed, N skipped
EOF
}

DIE_STATUS=2
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$SCRIPT_DIR/common.sh"

# --- arguments --------------------------------------------------------------
target=store
run_regex=
json_out=
topology=
backend=sqlite
replicas=1
verbose=0
build_only=0
force=0
pkgs=()
while (($# > 0)); do
  case $1 in
  -h | --help)
    usage
    exit 0
    ;;
  --target)
    (($# >= 2)) || die "--target needs store or etcd"
    target=$2
    shift
    ;;
  --target=*) target=${1#--target=} ;;
  -run | --run | -test.run)
    (($# >= 2)) || die "$1 needs a regexp"
    run_regex=$2
    shift
    ;;
  -run=* | --run=* | -test.run=*) run_regex=${1#*=} ;;
  --pkg)
    (($# >= 2)) || die "--pkg needs etcd3, metrics or preflight"
    pkgs+=("$2")
    shift
    ;;
  --pkg=*) pkgs+=("${1#--pkg=}") ;;
  --extended) pkgs+=(etcd3 metrics preflight cacher registry) ;;
  --topology)
    (($# >= 2)) || die "--topology needs a file"
    topology=$2
    shift
    ;;
  --topology=*) topology=${1#--topology=} ;;
  --backend)
    (($# >= 2)) || die "--backend needs sqlite, postgres or mysql"
    backend=$2
    shift
    ;;
  --backend=*) backend=${1#--backend=} ;;
  --replicas)
    (($# >= 2)) || die "--replicas needs a number"
    replicas=$2
    shift
    ;;
  --replicas=*) replicas=${1#--replicas=} ;;
  --json)
    (($# >= 2)) || die "--json needs a file"
    json_out=$2
    shift
    ;;
  --json=*) json_out=${1#--json=} ;;
  -v | --verbose) verbose=1 ;;
  --build-only) build_only=1 ;;
  --force) force=1 ;;
  *)
    usage >&2
    die "unknown argument: $1"
    ;;
  esac
  shift
done
[[ $target == store || $target == etcd ]] || die "--target must be store or etcd, got '$target'"
selected=()
if ((${#pkgs[@]} == 0)); then
  selected=("${TEST_PKGS[@]}")
else
  for p in "${pkgs[@]}"; do
    case $p in
    etcd3) selected+=(pkg/storage/etcd3) ;;
    metrics | preflight) selected+=("pkg/storage/etcd3/$p") ;;
    cacher) selected+=(pkg/storage/cacher) ;;
    registry) selected+=(pkg/registry/generic/registry) ;;
    *) die "--pkg: unknown package '$p' (etcd3, metrics, preflight, cacher or registry)" ;;
    esac
  done
fi
# Each package once, in the order given.
mapfile -t selected < <(printf '%s\n' "${selected[@]}" | awk '!seen[$0]++')
if [[ -n $topology ]]; then
  [[ $target == store ]] || die "--topology only applies to --target store"
  [[ -f $topology ]] || die "--topology: no such file: $topology"
  topology=$(cd "$(dirname "$topology")" && pwd)/$(basename "$topology")
fi
case $backend in
sqlite | postgres | mysql) ;;
*) die "--backend must be sqlite, postgres or mysql, got '$backend'" ;;
esac
[[ $replicas =~ ^[1-9][0-9]*$ ]] || die "--replicas must be a number of stores (1 or more), got '$replicas'"
if [[ $backend != sqlite || $replicas != 1 ]]; then
  [[ $target == store ]] || die "--backend and --replicas only apply to --target store"
fi
((replicas == 1)) || [[ $backend != sqlite ]] ||
  die "--replicas $replicas needs --backend postgres or mysql: replicas share one network database (docs/replicas.md)"
# The database servers a run needs, and the variable that must name each.
needs_servers=()
[[ $backend != sqlite ]] && needs_servers+=("$backend")
if [[ -n $topology ]]; then
  grep -q '{{postgres:' "$topology" && needs_servers+=(postgres)
  grep -q '{{mysql:' "$topology" && needs_servers+=(mysql)
fi
for s in "${needs_servers[@]}"; do
  var=CNPAAS_STORAGE_TEST_POSTGRES
  example='postgres://user:password@127.0.0.1:5432/postgres?sslmode=disable'
  if [[ $s == mysql ]]; then
    var=CNPAAS_STORAGE_TEST_MYSQL
    example='mysql://user:password@tcp(127.0.0.1:3306)/mysql'
  fi
  [[ -n ${!var:-} ]] || die "this run needs a $s server: set $var to an account that may create and drop databases (e.g. $example); test/apiserver-storage/ in packages/storage-shim starts one"
done

# --- prerequisites ------------------------------------------------------------
VERSION=$(tr -d ' \t\r\n' <"$SCRIPT_DIR/VERSION")
[[ $VERSION =~ ^1\.([0-9]+)\.([0-9]+)$ ]] || die "$SCRIPT_DIR/VERSION must hold a version like 1.34.10, got '$VERSION'"
APISERVER_VERSION=v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}

if ! command -v go >/dev/null 2>&1; then
  die "'go' is not on PATH. The storage tests are Go: install Go >= 1.$GO_MIN_MINOR (https://go.dev/dl/; Debian 12's golang-go is too old) and re-run $PROG."
fi
export GOTOOLCHAIN=local
export GOFLAGS=-mod=readonly
go_version=$(go env GOVERSION)
if [[ $go_version =~ ^go1\.([0-9]+) ]]; then
  ((BASH_REMATCH[1] >= GO_MIN_MINOR)) ||
    die "$go_version is too old: this module needs Go >= 1.$GO_MIN_MINOR (GOTOOLCHAIN=local). Install a newer Go from https://go.dev/dl/."
fi
command -v node >/dev/null 2>&1 || die "'node' is not on PATH (needed for cnpaas-store and the result summary); install Node.js >= 20.19"

cache_dir=${CNPAAS_CACHE_DIR:-$HOME/.cache/cnpaas}
build_dir="$cache_dir/storage-test/$APISERVER_VERSION-$(go env GOOS)-$(go env GOARCH)"
bin_dir="$build_dir/bin"
src_dir="$build_dir/src/apiserver"
src_stamp="$build_dir/src.stamp"

cd "$SCRIPT_DIR"

# --- build --------------------------------------------------------------------
# Same flags as build.sh's kube binaries, so packages they share (etcd
# client, gRPC, client-go, ...) come from GOCACHE.
GO_TEST_BUILD_FLAGS=(-trimpath -buildvcs=false "-tags=selinux,notest,grpcnotrace")

pkg_bin() { # test binary name of a package: etcd3.test, metrics.test, ...
  printf '%s.test' "$(basename "$1")"
}

inputs_hash() {
  {
    printf 'recipe %s\n%s\n%s\n' "$BUILD_RECIPE" "$go_version" "${GO_TEST_BUILD_FLAGS[*]}"
    cat VERSION go.mod go.sum "$OVERLAY_DIR"/*.go
  } | sha256sum | cut -d' ' -f1
}

# The overlaid copy of k8s.io/apiserver and its go.mod, rebuilt when an input
# changed (which also drops every test binary built from the old one).
prepare_source() {
  local want=$1 mod_dir upstream overlay_check
  if ((!force)) && [[ -f $src_stamp && $(cat "$src_stamp") == "$want" && -d $src_dir ]]; then
    return 0
  fi
  mkdir -p "$build_dir"
  rm -f "$src_stamp"
  rm -rf "$bin_dir"

  say "resolving k8s.io/apiserver $APISERVER_VERSION (module cache; a cold cache downloads through GOPROXY)"
  mod_dir=$(go mod download -json "k8s.io/apiserver@$APISERVER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n $mod_dir && -d $mod_dir ]] || die "could not download k8s.io/apiserver@$APISERVER_VERSION (GOPROXY=$(go env GOPROXY))"

  # The overlay keeps upstream's test server, verbatim but for two names, for
  # --target etcd. Refuse to build if upstream changed under it.
  upstream="$mod_dir/$TESTSERVER_PKG/test_server.go"
  [[ -f $upstream ]] || die "$upstream is missing: the test-server hook moved in $APISERVER_VERSION; update $OVERLAY_DIR"
  overlay_check=$(sed -E 's/\bRunEtcd\b/runEmbeddedEtcd/g; s/\bNewTestConfig\b/newEmbeddedTestConfig/g' "$upstream" |
    diff - "$OVERLAY_DIR/upstream_test_server.go" || true)
  if [[ -n $overlay_check ]]; then
    die "storagetest/testserver/upstream_test_server.go is not upstream's $TESTSERVER_PKG/test_server.go ($APISERVER_VERSION) with RunEtcd/NewTestConfig renamed. Regenerate it:
  sed -E 's/\\bRunEtcd\\b/runEmbeddedEtcd/g; s/\\bNewTestConfig\\b/newEmbeddedTestConfig/g' $upstream > $OVERLAY_DIR/upstream_test_server.go"
  fi

  say "copying k8s.io/apiserver $APISERVER_VERSION to $src_dir and overlaying $TESTSERVER_PKG"
  rm -rf "$build_dir/src"
  mkdir -p "$build_dir/src"
  cp -R "$mod_dir" "$src_dir"
  chmod -R u+w "$src_dir"
  rm -f "$src_dir/$TESTSERVER_PKG"/*.go
  cp "$OVERLAY_DIR"/*.go "$src_dir/$TESTSERVER_PKG/"

  # A go.mod of our own (-modfile) so the committed one stays read-only: the
  # committed module with k8s.io/apiserver replaced by the copy.
  cp go.mod "$build_dir/go.mod"
  cp go.sum "$build_dir/go.sum"
  go mod edit -modfile="$build_dir/go.mod" -replace="k8s.io/apiserver=$src_dir"
  printf '%s\n' "$want" >"$src_stamp"
}

# Builds the test binaries of the given packages that are missing or stale.
build_tests() {
  local want start p todo=()
  want=$(inputs_hash)
  prepare_source "$want"
  for p in "$@"; do
    if ((force)) || [[ ! -x "$bin_dir/$(pkg_bin "$p")" || $(cat "$bin_dir/$(pkg_bin "$p").stamp" 2>/dev/null) != "$want" ]]; then
      todo+=("$p")
    fi
  done
  if ((${#todo[@]} == 0)); then
    say "test binaries for k8s.io/apiserver $APISERVER_VERSION are up to date in $bin_dir"
    return 0
  fi
  mkdir -p "$bin_dir"
  start=$SECONDS
  say "building ${todo[*]} tests (cold: several minutes; shares GOCACHE with build.sh) ..."
  go test -c -modfile="$build_dir/go.mod" "${GO_TEST_BUILD_FLAGS[@]}" -o "$bin_dir/" \
    "${todo[@]/#/k8s.io/apiserver/}" ||
    die "go test -c failed (see above)"
  for p in "${todo[@]}"; do
    [[ -x "$bin_dir/$(pkg_bin "$p")" ]] || die "go test -c did not produce $bin_dir/$(pkg_bin "$p")"
    printf '%s\n' "$want" >"$bin_dir/$(pkg_bin "$p").stamp"
  done
  say "built the test binaries in $(fmt_secs $((SECONDS - start))) -> $bin_dir"
}

lock_file="$cache_dir/storage-test/.lock"
mkdir -p "$(dirname "$lock_file")"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$lock_file"
  flock 9
fi
build_tests "${selected[@]}"
exec 9>&- # runs need no lock: each test has its own temp dirs
((build_only)) && exit 0

# --- store ------------------------------------------------------------------------
store_bin="$REPO_DIR/packages/storage-shim/bin/cnpaas-store.js"
if [[ $target == store ]]; then
  [[ -f $store_bin ]] || die "$store_bin is missing"
  shim_dir="$REPO_DIR/packages/storage-shim"
  if [[ ! -f $shim_dir/dist/tsconfig.tsbuildinfo ]] ||
    [[ -n $(find "$shim_dir/src" -name '*.ts' ! -name '*.test.ts' -newer "$shim_dir/dist/tsconfig.tsbuildinfo" -print -quit) ]]; then
    say "cnpaas-store is not built or older than its source; building it (npm run build in packages/storage-shim)"
    (cd "$shim_dir" && npm run build --silent) || die "building cnpaas-store failed; run npm ci, then npm run build"
  fi
  node "$store_bin" --version >/dev/null 2>&1 || die "cnpaas-store does not start: node $store_bin --version failed (run npm run build)"
  export CNPAAS_STORE_BIN=$store_bin
  export CNPAAS_NODE
  CNPAAS_NODE=$(command -v node)
  if [[ -n $topology ]]; then
    export CNPAAS_STORE_TOPOLOGY=$topology
  else
    unset CNPAAS_STORE_TOPOLOGY
  fi
  export CNPAAS_STORAGE_TEST_MAIN=$backend CNPAAS_STORAGE_TEST_REPLICAS=$replicas
fi
export CNPAAS_STORAGE_TEST_TARGET=$target

# --- databases --------------------------------------------------------------------
# databases.mjs hands each test fresh databases on the servers named above; it
# runs for this script's lifetime, on a socket in a private temp dir.
databases_pid=
databases_dir=
# shellcheck disable=SC2317 # called by the EXIT trap
stop_databases() {
  if [[ -n $databases_pid ]]; then
    kill -TERM "$databases_pid" 2>/dev/null || true
    wait "$databases_pid" 2>/dev/null || true
  fi
  [[ -n $databases_dir ]] && rm -rf "$databases_dir"
  return 0
}
if ((${#needs_servers[@]} > 0)); then
  databases_dir=$(mktemp -d "${TMPDIR:-/tmp}/cst-db.XXXXXX")
  trap stop_databases EXIT
  node "$SCRIPT_DIR/storagetest/databases.mjs" --socket "$databases_dir/d.sock" &
  databases_pid=$!
  for _ in $(seq 100); do
    [[ -S $databases_dir/d.sock ]] && break
    kill -0 "$databases_pid" 2>/dev/null || die "storagetest/databases.mjs exited at start-up (see above)"
    sleep 0.1
  done
  [[ -S $databases_dir/d.sock ]] || die "storagetest/databases.mjs did not listen on $databases_dir/d.sock within 10 s"
  export CNPAAS_STORAGE_TEST_DATABASES=$databases_dir/d.sock
else
  unset CNPAAS_STORAGE_TEST_DATABASES
fi

# --- run ------------------------------------------------------------------------------
skip=$SKIP_STORE
[[ $target == etcd ]] && skip=$SKIP_ETCD
run_args=(-test.v=test2json -test.timeout 15m -test.count 1)
[[ -n $run_regex ]] && run_args+=(-test.run "$run_regex")
[[ -n $skip ]] && run_args+=(-test.skip "$skip")
# kine's -test.parallel 1 for pkg/storage/etcd3/...; the extended suites keep
# Go's default, which cacher's TestGet needs: its subtests call t.Parallel()
# and one of them waits 3 s, longer than a TTL-1 object lives (on etcd too).
parallel_args() {
  case $1 in
  pkg/storage/etcd3*) printf '%s\n' -test.parallel 1 ;;
  esac
}

summary_args=(--target "$target")
where=$target
if [[ $target == store ]]; then
  where="store on $backend${topology:+, topology $(basename "$topology")}"
  ((replicas == 1)) || where+=", $replicas replicas"
fi
((verbose)) && summary_args+=(--verbose)
say "running against $where: ${selected[*]} (${run_regex:+-run $run_regex, }-test.timeout 15m)"
start=$SECONDS
run_all() {
  local p name rc=0 par=()
  for p in "${selected[@]}"; do
    name=$(basename "$p")
    mapfile -t par < <(parallel_args "$p")
    # From the package's directory, as go test does. test2json reports a
    # failing binary as a package "fail" event, so the summary sees it.
    (cd "$src_dir/$p" && go tool test2json -t -p "$name" "$bin_dir/$(pkg_bin "$p")" "${run_args[@]}" "${par[@]}") 2>&1 || rc=1
  done
  return "$rc"
}
status=0
# Not exec'd: the EXIT trap stops databases.mjs and drops what is left.
if [[ -n $json_out ]]; then
  mkdir -p "$(dirname "$json_out")"
  run_all | tee "$json_out" | node "$SCRIPT_DIR/storagetest/summarize.mjs" "${summary_args[@]}" || status=1
else
  run_all | node "$SCRIPT_DIR/storagetest/summarize.mjs" "${summary_args[@]}" || status=1
fi
say "ran against $where in $(fmt_secs $((SECONDS - start)))"
exit "$status"
