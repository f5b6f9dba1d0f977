#!/usr/bin/env bash
# GCE access tokens that expire during a run (cloudsim issues 3-second
# tokens here) are replaced transparently: deploy and teardown succeed,
# and the OAuth token endpoint was asked more than once per command.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-gce-token.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; rm -rf "$work"' EXIT
CLOUDSIM_GCE_TOKEN_LIFETIME=3 cloudsim_start "$build" "$work" --time-scale 0.05 --seed 5
spec=$work/spec.yaml
sed "s#\.\./templates/#$here/templates/#" configs/gce.yaml >"$spec"
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
fail() { echo "FAIL: $*" >&2; tail -n 30 "$work/orch.log" >&2 || true; exit 1; }
count() {  # METHOD ROUTE-SUFFIX [STATUS]
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
m, suffix, status = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None
print(sum((r["by_status"].get(status, 0) if status else r["count"]) for r in json.load(sys.stdin)["requests"]
          if r["api"] == "gce" and r["method"] == m and r["route"].endswith(suffix)))' "$@"
}
start=$(date +%s)
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy with short-lived tokens"
tokens=$(count POST /token)
elapsed=$(( $(date +%s) - start ))
[ "$tokens" -ge 2 ] || fail "the deploy ($elapsed s) fetched $tokens token(s); 3-second tokens must have been renewed"
orch teardown "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "teardown with short-lived tokens"
left=$(cloudsim_resource_count gce)
[ "$left" -eq 0 ] || fail "$left resources left after teardown"
echo "token expiry ok: $(count POST /token) token fetches, $(count GET '' 401) GETs answered 401 and repeated"
