# Shell helpers for tests and scripts that need a running cloudsim.
#   . tests/lib/cloudsim.sh
#   cloudsim_start BUILD_DIR WORK_DIR [extra cloudsim flags...]
#   ... $CLOUDSIM_ADMIN, $CLOUDSIM_PID, and the client environment exported ...
#   cloudsim_stop
# cloudsim_start exports every variable of the startup line's "env" object.
#   id=$(cloudsim_hold RULE)      hold requests RULE names (JSON, docs/cloudsim.md#holds)
#   cloudsim_hold_wait ID PID [N] until N (1) requests are held; fails when PID ends first
#   cloudsim_release ID           let them go and remove the hold

cloudsim_start() {
  local build_dir=$1 work_dir=$2
  shift 2
  mkdir -p "$work_dir"
  "$build_dir/cloudsim" --port 0 --env-file "$work_dir/cloudsim.env" --data-dir "$work_dir/cloudsim-data" "$@" \
    >"$work_dir/cloudsim.out" 2>"$work_dir/cloudsim.log" &
  CLOUDSIM_PID=$!
  local i
  for i in $(seq 1 200); do
    if [ -s "$work_dir/cloudsim.out" ] && head -n1 "$work_dir/cloudsim.out" | grep -q '^{'; then break; fi
    if ! kill -0 "$CLOUDSIM_PID" 2>/dev/null; then
      echo "cloudsim exited early:" >&2
      cat "$work_dir/cloudsim.log" >&2
      return 1
    fi
    sleep 0.05
  done
  # shellcheck disable=SC1091
  . "$work_dir/cloudsim.env"
  CLOUDSIM_ADMIN=$(head -n1 "$work_dir/cloudsim.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["admin"])')
  export CLOUDSIM_ADMIN CLOUDSIM_PID
}

cloudsim_stop() {
  if [ -n "${CLOUDSIM_PID:-}" ] && kill -0 "$CLOUDSIM_PID" 2>/dev/null; then
    kill -TERM "$CLOUDSIM_PID"
    wait "$CLOUDSIM_PID" 2>/dev/null || true
  fi
  CLOUDSIM_PID=
}

# Number of live resources cloudsim holds (optionally for one api).
cloudsim_resource_count() {
  local api=${1:-}
  curl -fsS "$CLOUDSIM_ADMIN/resources${api:+?api=$api}" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["resources"]))'
}

# Holds (docs/cloudsim.md#holds): a test that must signal or kill a client
# while a given request is in flight holds that request, waits for the event
# that it is held, acts, and releases it; no guessed duration.
cloudsim_hold() {
  curl -fsS -X POST -H 'Content-Type: application/json' -d "$1" "$CLOUDSIM_ADMIN/holds" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

# cloudsim_hold_wait ID PID [N]: returns 0 once N requests are held at once,
# 1 (with a message) when process PID ended before that.
cloudsim_hold_wait() {
  local id=$1 pid=$2 n=${3:-1}
  while kill -0 "$pid" 2>/dev/null; do
    if curl -fsS "$CLOUDSIM_ADMIN/holds/$id?held=$n&timeout_s=1" |
      python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["met"] else 1)'; then
      return 0
    fi
  done
  echo "cloudsim_hold_wait: process $pid ended before $n request(s) were held by $id" >&2
  return 1
}

cloudsim_release() {
  curl -fsS -X DELETE "$CLOUDSIM_ADMIN/holds/$1" >/dev/null
}

# cloudsim_mutations [API]: the requests so far that change a cloud (of one
# api, or all), as "METHOD route count" lines. POSTs that change nothing are
# left out: token requests (Keystone, OAuth) and GCE's operation waits and
# listManagedInstances.
cloudsim_mutations() {
  curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c '
import json, sys
reads = ("/auth/tokens", "/token", "/wait", "/listManagedInstances")
for r in json.load(sys.stdin)["requests"]:
    if (len(sys.argv) < 2 or r["api"] == sys.argv[1]) and r["method"] in ("POST", "PUT", "PATCH", "DELETE") \
            and not r["route"].endswith(reads):
        print("%s %s %d" % (r["method"], r["route"], r["count"]))' ${1:+"$1"}
}

# cloudsim_made BEFORE AFTER: what was sent between two cloudsim_mutations
# snapshots, as a JSON object {"METHOD route": count}.
cloudsim_made() {
  python3 - "$1" "$2" <<'PY'
import json, sys
def parse(t):
    return {" ".join(l.split()[:2]): int(l.split()[2]) for l in t.splitlines() if l.strip()}
b, a = parse(sys.argv[1]), parse(sys.argv[2])
print(json.dumps({k: a[k] - b.get(k, 0) for k in a if a[k] != b.get(k, 0)}))
PY
}

# cloudsim_inventory: every live cloud resource as "api kind id name", sorted.
cloudsim_inventory() {
  curl -fsS "$CLOUDSIM_ADMIN/resources" | python3 -c '
import json, sys
for r in sorted(json.load(sys.stdin)["resources"], key=lambda r: (r["api"], r["kind"], r["id"])):
    print(r["api"], r["kind"], r["id"], r["name"])'
}

# cloudsim_same_inventory BEFORE AFTER: two cloudsim_inventory files hold the
# same resources, with the same ids and names (DigitalOcean tags, which
# re-tagging makes, aside).
cloudsim_same_inventory() {
  python3 - "$1" "$2" <<'PY'
import sys
before, after = (set(open(f).read().splitlines()) for f in sys.argv[1:])
gone = before - after
new = [l for l in after - before if l.split()[:2] != ["digitalocean", "tag"]]
assert not gone and not new, {"gone": sorted(gone), "new": sorted(new)}
PY
}
