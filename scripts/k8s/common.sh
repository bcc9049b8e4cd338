# Shared by build.sh, build-kine.sh and storage-test.sh (sourced after they set PROG): how they talk and fail.
# shellcheck shell=bash

# Progress and errors go to stderr, so a script's stdout stays what it prints (a path, a result).
say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
# Exits with DIE_STATUS (default 1; storage-test.sh keeps 1 for failed tests and uses 2).
die() {
  say "error: $*"
  exit "${DIE_STATUS:-1}"
}
# Formats a number of seconds as e.g. 3m07s.
fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
