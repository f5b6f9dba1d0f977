# Shell helpers for the reliability end-to-end tests (tests/e2e/crash_*,
# concurrency_*, security_*). Source after tests/lib/cloudsim.sh and
# cloudsim_start; they use $build, $state and $spec.
#   orch ARGS...            orchestrator with --state-dir $state
#   fail MESSAGE            print and exit 1
#   do_kinds                "droplet=4 vpc=1 ..." live DigitalOcean resources (tags excluded)
#   do_duplicates           fails when two live resources share kind and name
#   unrecorded_adopts       what the plan would adopt with no intent in the state
#   wait_for_resources N    until the state records at least N resources
#   state_file              the deployment's state file
#   wait_for_line FILE RE PID  until FILE has a line matching RE; fails when PID ends first

orch() { "$build/orchestrator" --state-dir "$state" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

do_kinds() {
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean" | python3 -c '
import json, sys, collections
c = collections.Counter(r["kind"] for r in json.load(sys.stdin)["resources"] if r["kind"] != "tag")
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))'
}

do_duplicates() {
  curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean" | python3 -c '
import json, sys, collections
c = collections.Counter((r["kind"], r["name"]) for r in json.load(sys.stdin)["resources"] if r["kind"] != "tag")
d = [k for k, n in c.items() if n > 1]
sys.exit("duplicates: %s" % d if d else 0)' || fail "duplicate resources"
}

state_file() { echo "$state/$(sed -n 's/^deployment: *//p' "$spec").state.json"; }

wait_for_resources() {
  local f i
  f=$(state_file)
  for i in $(seq 1 600); do
    if [ -f "$f" ] && python3 -c '
import json, sys
sys.exit(0 if len(json.load(open(sys.argv[1])).get("resources", {})) >= int(sys.argv[2]) else 1)' "$f" "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.02
  done
  fail "the state never recorded $1 resources"
}

# Addresses the plan would adopt although the state holds no intent for them:
# resources a run created without recording them (empty when none).
unrecorded_adopts() {
  orch plan "$spec" --json 2>/dev/null >"$state.plan.json" || true
  python3 - "$state.plan.json" "$(state_file)" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
intents = json.load(open(sys.argv[2])).get("intents", {})
print(" ".join(c["address"] for c in plan["changes"] if c["action"] == "adopt" and c["address"] not in intents))
PY
}

# wait_for_line FILE REGEX PID: returns once FILE holds a line matching
# REGEX (grep -E); fails when process PID ends without writing one.
wait_for_line() {
  local file=$1 re=$2 pid=$3
  while kill -0 "$pid" 2>/dev/null; do
    grep -qE "$re" "$file" 2>/dev/null && return 0
    sleep 0.02
  done
  grep -qE "$re" "$file" 2>/dev/null || fail "process $pid ended without printing /$re/ (see $file)"
}
