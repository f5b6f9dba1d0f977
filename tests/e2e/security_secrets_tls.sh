#!/usr/bin/env bash
# Secrets and TLS, end to end against cloudsim serving HTTPS:
#  * an endpoint whose certificate is signed by an unknown CA is refused with
#    a clear error and nothing is created; --cacert (or CURL_CA_BUNDLE) makes
#    the same deploy pass. There is no flag that turns verification off.
#  * under injected faults, at every verbosity (-vv text, -vv json,
#    --log-file text and json), in plan output (text and --json), in error
#    messages (a rejected token, a run that fails on server errors) and in
#    the process arguments seen by ps, no API token appears; state and lock
#    files are 0600.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
trap 'cloudsim_stop; rm -rf "$work"' EXIT
cd "$root"
fail() { echo "FAIL: $*" >&2; exit 1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 11 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
case $DIGITALOCEAN_API_URL in https://*) ;; *) fail "cloudsim is not serving HTTPS: $DIGITALOCEAN_API_URL" ;; esac
token=$DIGITALOCEAN_TOKEN
spec=tests/soak/small.yaml
state=$work/state
orch() { "$build/orchestrator" --state-dir "$state" "$@"; }
count() { curl -fsS "$CLOUDSIM_ADMIN/resources?api=digitalocean" --cacert "$work/cert.pem" |
  python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["resources"] if r["kind"] != "tag"))'; }
CLOUDSIM_ADMIN=${CLOUDSIM_ADMIN/http:/https:}

# 1. Unknown CA: refused, clearly, before anything is created.
set +e
env -u CURL_CA_BUNDLE -u SSL_CERT_FILE "$build/orchestrator" --state-dir "$state" deploy "$spec" --auto-approve \
  >"$work/untrusted.out" 2>&1
code=$?
set -e
[ "$code" -eq 1 ] || { cat "$work/untrusted.out"; fail "deploy against an unknown CA exited $code"; }
grep -qiE "certificate|SSL|TLS" "$work/untrusted.out" || { cat "$work/untrusted.out"; fail "no TLS error message"; }
grep -q -- "--cacert" "$work/untrusted.out" || { cat "$work/untrusted.out"; fail "the TLS error does not mention --cacert"; }
[ "$(count)" -eq 0 ] || fail "resources created over an unverified connection"
for flag in --insecure -k --no-verify --tls-skip-verify; do
  if "$build/orchestrator" "$flag" validate "$spec" >/dev/null 2>&1; then fail "orchestrator accepts $flag"; fi
done

# 2. --cacert: the same deploy passes, under faults, with logs at -vv (json)
#    and a --log-file; ps never shows the token.
curl -fsS -X POST --cacert "$work/cert.pem" --data "api=digitalocean,429=0.03,5xx=0.03,reset=0.02,lost=0.02" \
  "$CLOUDSIM_ADMIN/faults" >/dev/null
"$build/orchestrator" --state-dir "$state" --cacert "$work/cert.pem" -vv --log-format json \
  --log-file "$work/deploy.log" deploy "$spec" --auto-approve >"$work/deploy.out" 2>&1 &
pid=$!
modes=""
while kill -0 "$pid" 2>/dev/null; do
  ps -eo args >>"$work/ps.txt" 2>/dev/null || true
  # A file can vanish between the glob and stat (the lock is released).
  for f in "$state"/*; do modes="$modes $(stat -c '%n=%a' "$f" 2>/dev/null || true)"; done
  sleep 0.05
done
code=0
wait "$pid" || code=$?
if [ "$code" -ne 0 ]; then  # an error outlasted the retries: the next run resumes
  orch --cacert "$work/cert.pem" -vv deploy "$spec" --auto-approve >"$work/deploy2.out" 2>&1 ||
    { tail -30 "$work/deploy2.out"; fail "deploy with --cacert failed twice"; }
fi
[ "$(count)" -gt 0 ] || fail "nothing deployed with --cacert"
echo "$modes" | tr ' ' '\n' | grep -q '\.lock=600$' || fail "lock file never seen (or not 0600): $modes"
bad=$(echo "$modes" | tr ' ' '\n' | grep -vE '=600$' | grep . || true)
[ -z "$bad" ] || fail "files in the state directory that are not 0600: $bad"
[ "$(stat -c %a "$state/smalltest.state.json")" = 600 ] || fail "state file is not 0600"
grep -qF -- "$token" "$work/ps.txt" && fail "the token appears in process arguments"

# 3. Plan output, text and JSON, with CURL_CA_BUNDLE instead of --cacert.
CURL_CA_BUNDLE=$work/cert.pem orch -vv --log-file "$work/plan.log" plan "$spec" >"$work/plan.out" 2>&1 || true
CURL_CA_BUNDLE=$work/cert.pem orch plan "$spec" --json >"$work/plan.json" 2>"$work/plan.err" || true
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/plan.json" || fail "plan --json with CURL_CA_BUNDLE failed"

# 4. Error messages: a run failing on server errors, and a rejected token.
curl -fsS -X POST --cacert "$work/cert.pem" --data "api=digitalocean,5xx=1" "$CLOUDSIM_ADMIN/faults" >/dev/null
orch --cacert "$work/cert.pem" -vv teardown "$spec" --auto-approve >"$work/fail5xx.out" 2>&1 && fail "teardown passed under 100% server errors"
curl -fsS -X POST --cacert "$work/cert.pem" --data "none" "$CLOUDSIM_ADMIN/faults" >/dev/null
wrong="dop_v1_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
DIGITALOCEAN_TOKEN=$wrong orch --cacert "$work/cert.pem" -vv --log-file "$work/wrong.log" plan "$spec" \
  >"$work/wrong.out" 2>&1 && fail "plan passed with a wrong token"
grep -qiE "401|unauthori[sz]ed|authenticat" "$work/wrong.out" || { cat "$work/wrong.out"; fail "no authentication error for a wrong token"; }

# 5. Teardown (text log file) and the search.
orch --cacert "$work/cert.pem" --log-file "$work/teardown.log" teardown "$spec" --auto-approve >"$work/teardown.out" 2>&1 ||
  orch --cacert "$work/cert.pem" teardown "$spec" --auto-approve >>"$work/teardown.out" 2>&1 || fail "teardown failed"
[ "$(count)" -eq 0 ] || fail "resources left after teardown"
ours=("$work"/plan.json "$work"/plan.err "$work/ps.txt")
for f in "$work"/*.out "$work"/*.log; do case $f in */cloudsim.*) ;; *) ours+=("$f") ;; esac; done
[ -d "$state" ] && ours+=("$state")
for secret in "$token" "$wrong"; do
  if grep -rlF -- "$secret" "${ours[@]}"; then fail "a token leaked into the files above"; fi
done
grep -q '"level"' "$work/deploy.log" || fail "the json log file is empty"
[ "$(grep -c . "$work/deploy.log")" -gt 20 ] || fail "the -vv log file has too few lines to mean anything"
echo "security_secrets_tls: ok"
