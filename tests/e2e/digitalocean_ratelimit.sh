#!/usr/bin/env bash
# Rate-limit pacing: cloudsim's DigitalOcean budget is set low (an "hour" is
# 36 s at --time-scale 0.01). The orchestrator reads ratelimit-remaining /
# ratelimit-reset on every answer and spaces its requests, so a deploy and
# teardown that together need more requests than the budget get few or no
# 429s; the same budget hammered by a plain loop gets many.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-do-rl.XXXXXX)
cd "$here"
. tests/lib/cloudsim.sh
trap 'cloudsim_stop; rm -rf "$work"' EXIT
budget=50
CLOUDSIM_DO_REQUESTS_PER_HOUR=$budget cloudsim_start "$build" "$work" --time-scale 0.01 --seed 3
fail() { echo "FAIL: $*" >&2; tail -n 30 "$work/orch.log" >&2 || true; exit 1; }
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
# "<requests> <429s>" so far (DigitalOcean API only for requests).
counts() {
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(r["count"] for r in s["requests"] if r["api"] == "digitalocean"), s["rate_limited"])'
}

spec=$work/spec.yaml
cat >"$spec" <<'YAML'
deployment: rl
providers:
  do: {type: digitalocean, region: nyc3, token: "${env:DIGITALOCEAN_TOKEN}"}
networks:
  main: {provider: do, cidr: 10.40.0.0/16}
tiers:
  web:
    provider: do
    count: 4
    size: s-1vcpu-1gb
    image: ubuntu-22-04-x64
    network: main
    firewall:
      - {protocol: tcp, ports: "80", from: ["0.0.0.0/0"]}
  worker:
    provider: do
    count: 2
    size: s-1vcpu-1gb
    image: ubuntu-22-04-x64
    network: main
    volumes:
      - {name: data, size_gb: 10}
YAML

start=$(date +%s)
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "deploy"
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "second deploy"
orch teardown "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "teardown"
read -r paced paced_429 < <(counts)
left=$(curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean" |
  python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["resources"] if r["kind"] != "tag"))')
[ "$left" -eq 0 ] || fail "$left resources left"
echo "paced: $paced requests against a budget of $budget per window, $paced_429 answered 429, $(( $(date +%s) - start )) s"
[ "$paced" -gt "$budget" ] || fail "the run made only $paced requests: it does not test the limit"
[ "$paced_429" -le 3 ] || fail "$paced_429 requests were rate limited despite pacing"

# The same budget, hammered: as many requests as the run made, at once.
for _ in $(seq 1 "$paced"); do
  curl -sS -o /dev/null -H "Authorization: Bearer $DIGITALOCEAN_TOKEN" "$DIGITALOCEAN_API_URL/account" || true
done
read -r _ total_429 < <(counts)
hammer_429=$((total_429 - paced_429))
echo "hammering: $paced requests at once, $hammer_429 answered 429"
[ "$hammer_429" -gt $((paced_429 + 10)) ] || fail "hammering got only $hammer_429 429s: the limit is not low enough to compare"
