#!/usr/bin/env bash
# `orchestrator validate` on a malformed spec: every problem reported as
# file:line:column, exit 1, nothing sent anywhere.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here"

set +e
"$build/orchestrator" validate tests/data/malformed.yaml >"$work/out" 2>"$work/err"
code=$?
set -e
[ "$code" -eq 1 ] || { echo "expected exit 1, got $code"; cat "$work/err"; exit 1; }

expect() {
  grep -qxF "$1" "$work/err" || { echo "missing line: $1"; echo "--- got:"; cat "$work/err"; exit 1; }
}
expect "tests/data/malformed.yaml:1:13: error: invalid deployment name 'Demo_1': names start with a lowercase letter and use only a-z, 0-9 and '-', at most 31 characters"
expect "tests/data/malformed.yaml:3:14: error: unknown provider type 'digitalocen' for provider 'do'; did you mean 'digitalocean'?"
expect "tests/data/malformed.yaml:5:30: error: invalid CIDR '10.10.0.1/16' for network 'main': host bits are set (0.0.0.1 lies outside the /16 prefix); did you mean 10.10.0.0/16?"
expect "tests/data/malformed.yaml:9:5: error: unknown key 'cont' in tier 'api'; did you mean 'count'?"
expect "tests/data/malformed.yaml:10:12: error: expected an integer for 'count', got 'three'"
expect "tests/data/malformed.yaml:13:18: error: dependency cycle: api -> web -> api"
expect "tests/data/malformed.yaml:15:15: error: unknown provider 'dox'; did you mean 'do'?"
expect "tests/data/malformed.yaml:16:12: error: 'count' must be between 0 and 1000, got 2000"
expect "10 error(s) in tests/data/malformed.yaml; nothing was sent to any cloud."
# The offending line and a caret follow each message.
grep -qxF "      cont: 3" "$work/err"
grep -qxF "      ^ near here" "$work/err"
[ ! -s "$work/out" ] || { echo "validate printed to stdout on failure"; cat "$work/out"; exit 1; }

# A missing file is one clear error too.
set +e
"$build/orchestrator" validate "$work/nope.yaml" 2>"$work/err2"
code=$?
set -e
[ "$code" -eq 1 ] && grep -q "nope.yaml" "$work/err2"

# --var without '=' is rejected with the flag named.
set +e
"$build/orchestrator" validate tests/data/malformed.yaml --var region 2>"$work/err3"
code=$?
set -e
[ "$code" -eq 1 ] && grep -q "^error: --var 'region': expected NAME=VALUE" "$work/err3"

# Validation needs no secrets: quickstart's token comes from the
# environment, which validate and graph only warn about; plan still needs it.
env -u DIGITALOCEAN_TOKEN -u DIGITALOCEAN_ACCESS_TOKEN "$build/orchestrator" validate configs/quickstart.yaml \
  >"$work/q.out" 2>"$work/q.err" || { cat "$work/q.err"; echo "validate needs DIGITALOCEAN_TOKEN"; exit 1; }
grep -q "warning: environment variable DIGITALOCEAN_TOKEN is not set" "$work/q.err" || { cat "$work/q.err"; exit 1; }
env -u DIGITALOCEAN_TOKEN -u DIGITALOCEAN_ACCESS_TOKEN "$build/orchestrator" graph configs/quickstart.yaml >/dev/null 2>&1 ||
  { echo "graph needs DIGITALOCEAN_TOKEN"; exit 1; }
set +e
env -u DIGITALOCEAN_TOKEN -u DIGITALOCEAN_ACCESS_TOKEN "$build/orchestrator" --state-dir "$work/state" plan configs/quickstart.yaml \
  >/dev/null 2>"$work/p.err"
code=$?
set -e
[ "$code" -eq 1 ] && grep -q "error: environment variable DIGITALOCEAN_TOKEN is not set" "$work/p.err" ||
  { cat "$work/p.err"; echo "plan without the token: exit $code"; exit 1; }
echo "cli_validate: ok"
