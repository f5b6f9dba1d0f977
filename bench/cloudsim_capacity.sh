#!/usr/bin/env bash
# Capacity check for cloudsim: 1,000 live droplets created through the
# DigitalOcean API, then wrk on a list route and a get route.
# Usage: bench/cloudsim_capacity.sh [path/to/cloudsim]   (needs curl, wrk, python3)
# Prints one "requests/s" line per route; exits non-zero if the get route
# (or /_sim/health, without the DigitalOcean API) is below ${MIN_RPS:-2000}.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-${BUILD_DIR:-build}/cloudsim}
duration=${DURATION:-10s}
min_rps=${MIN_RPS:-2000}
for tool in curl wrk python3; do
  command -v "$tool" >/dev/null || { echo "cloudsim_capacity: $tool is required" >&2; exit 2; }
done
[ -x "$bin" ] || { echo "cloudsim_capacity: no cloudsim binary at $bin" >&2; exit 2; }

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The account limits of the model would stop a benchmark: lift them.
CLOUDSIM_DO_DROPLET_LIMIT=100000 CLOUDSIM_DO_REQUESTS_PER_MINUTE=100000000 \
CLOUDSIM_DO_REQUESTS_PER_HOUR=1000000000 \
  "$bin" --port 0 --time-scale 0 --seed 1 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/out" ] && break
  sleep 0.1
done
line=$(head -n1 "$work/out")
[ -n "$line" ] || { echo "cloudsim_capacity: no startup line" >&2; cat "$work/err" >&2; exit 1; }
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$line" "$1"; }
admin=$(field 'd["admin"]')
do_url=$(field 'd.get("digitalocean","")')
token=$(field 'd["env"].get("DIGITALOCEAN_TOKEN","")')

run_wrk() {  # gate name url [header]: gate=1 fails the run below MIN_RPS
  local gate=$1 name=$2 url=$3 rps
  shift 3
  wrk -t2 -c16 -d"$duration" "$@" "$url" >"$work/wrk" 2>&1
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk")
  echo "$name: ${rps} requests/s${non2xx:+ (non-2xx: $non2xx)}"
  [ "$gate" = 1 ] || return 0
  python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "${rps:-0}" "$min_rps" ||
    { echo "cloudsim_capacity: $name below $min_rps requests/s" >&2; failed=1; }
}
failed=0

if [ -z "$do_url" ]; then
  echo "cloudsim_capacity: this cloudsim has no DigitalOcean API; measuring $admin/health only" >&2
  run_wrk 1 "GET /_sim/health" "$admin/health"
  exit $failed
fi

auth="Authorization: Bearer $token"
start=$(date +%s.%N)
for i in $(seq 0 99); do
  names=""
  for j in 0 1 2 3 4 5 6 7 8 9; do names="$names${names:+,}\"bench-$i-$j\""; done
  code=$(curl -s -o "$work/create" -w '%{http_code}' -H "$auth" -H 'Content-Type: application/json' \
    -d "{\"names\":[$names],\"region\":\"nyc3\",\"size\":\"s-1vcpu-1gb\",\"image\":\"ubuntu-22-04-x64\",\"tags\":[\"bench\"]}" \
    "$do_url/droplets")
  if [ "$code" != 202 ]; then
    echo "cloudsim_capacity: create $i answered $code: $(cat "$work/create")" >&2
    exit 1
  fi
done
end=$(date +%s.%N)
live=$(curl -s "$admin/resources?api=digitalocean&kind=droplet" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["resources"]))')
echo "created $live droplets in $(python3 -c "print(round($end - $start, 2))") s"
[ "$live" -ge 1000 ] || { echo "cloudsim_capacity: expected 1000 droplets" >&2; exit 1; }
id=$(curl -s -H "$auth" "$do_url/droplets?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["droplets"][0]["id"])')

# The gate is on the get route; a list answer renders 20 full droplets, so
# its figure measures the DigitalOcean model's JSON rendering and is only
# printed.
run_wrk 1 "GET /v2/droplets/{id}" "$do_url/droplets/$id" -H "$auth"
run_wrk 0 "GET /v2/droplets?per_page=20" "$do_url/droplets?per_page=20" -H "$auth"
exit $failed
