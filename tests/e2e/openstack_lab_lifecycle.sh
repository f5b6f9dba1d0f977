#!/usr/bin/env bash
# OpenStack provider against the REAL lab (scripts/openstack-lab: Zed on
# 127.0.0.1): deploy configs/openstack.yaml with the OS_* variables, check
# the result through the OpenStack APIs, redeploy with zero mutating calls
# (counted by a reverse proxy every request goes through), scale the API
# group 2 -> 3 (pool members follow), check clouds.yaml and application-
# credential authentication, and
# teardown leaving nothing tagged with the deployment. Fails (never skips)
# when the lab cannot start.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/orch-oslab-e2e.XXXXXX)
cd "$here"
scripts/openstack-lab start >"$work/lab.log" 2>&1 || { cat "$work/lab.log" >&2; echo "FAIL: the lab did not start" >&2; exit 1; }
eval "$(scripts/openstack-lab env)"
unset OS_CLOUD OS_CLIENT_CONFIG_FILE
dep=oslab-$$
proxy_pid=
cleanup() {
  if [ -s "$work/state/$dep.json" ] || ls "$work/state" 2>/dev/null | grep -q .; then
    "$build/orchestrator" --state-dir "$work/state" teardown "$spec" --auto-approve >>"$work/orch.log" 2>&1 || true
  fi
  [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
  rm -rf "$work"
}
spec=$work/spec.yaml
trap cleanup EXIT
sed -e "s#\.\./templates/#$here/templates/#" -e "s/^deployment: first-app/deployment: $dep/" configs/openstack.yaml >"$spec"

python3 tests/e2e/openstack_proxy.py "$work/proxy.port" "$work/proxy.log" &
proxy_pid=$!
for _ in $(seq 1 100); do [ -s "$work/proxy.port" ] && break; sleep 0.05; done
lab_auth=$OS_AUTH_URL
port=${OS_AUTH_URL#http://127.0.0.1:}; port=${port%%/*}
export OS_AUTH_URL="http://127.0.0.1:$(cat "$work/proxy.port")/p/$port/v3"

orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }
fail() { echo "FAIL: $*" >&2; tail -n 40 "$work/orch.log" >&2 || true; exit 1; }
api() { OS_AUTH_URL=$lab_auth python3 tests/e2e/openstack_api.py "$@"; }
# Requests that change the cloud (a Keystone token POST changes nothing).
mutating() { grep -E '^(POST|PUT|PATCH|DELETE) ' "$work/proxy.log" | grep -vc '/auth/tokens' || true; }

start=$(date +%s)
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "first deploy"
echo "first deploy: $(wc -l <"$work/proxy.log") OpenStack API requests ($(mutating) mutating)"
want="floatingip=1 keypair=1 load_balancer=1 network=1 pool=1 router=1 security_group=4 server=8 server_group=1 subnet=1 volume=2"
got=$(api kinds "$dep")
[ "$got" = "$want" ] || fail "after deploy: got '$got', want '$want'"
[ "$(api members "$dep")" = 2 ] || fail "pool members after deploy: $(api members "$dep")"
api dups "$dep" || fail "duplicates"

before=$(mutating)
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "second deploy"
[ "$(mutating)" -eq "$before" ] || fail "second deploy made $(( $(mutating) - before )) mutating calls"
echo "second deploy: 0 mutating calls"

sed -i 's/group: {min: 2,/group: {min: 3,/' "$spec"
batch=$(grep -c '^PUT /p/[0-9]*/v2/lbaas/pools/[^/]*/members ' "$work/proxy.log" || true)
orch deploy "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "scale to 3"
[ "$(api members "$dep")" = 3 ] || fail "pool members after scale to 3: $(api members "$dep")"
[ "$(grep -c '^PUT /p/[0-9]*/v2/lbaas/pools/[^/]*/members ' "$work/proxy.log")" -eq $((batch + 1)) ] ||
  fail "scaling did not make exactly one batch member update"

# clouds.yaml authentication: the lab's `lab` entry, no OS_* variables.
(
  unset OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_USER_DOMAIN_NAME OS_PROJECT_DOMAIN_NAME OS_REGION_NAME OS_INTERFACE
  export OS_CLIENT_CONFIG_FILE
  OS_CLIENT_CONFIG_FILE=$(scripts/openstack-lab env --clouds-yaml)
  orch plan "$spec" --var cloud=lab >"$work/plan.out" 2>&1
) || fail "plan with clouds.yaml: $(cat "$work/plan.out")"
grep -q "^No changes\." "$work/plan.out" || fail "clouds.yaml plan is not empty: $(cat "$work/plan.out")"
echo "clouds.yaml authentication ok"

# Application-credential authentication: OS_APPLICATION_CREDENTIAL_ID/SECRET
# of a credential made for the demo user, no user name or password.
read -r cred_id cred_secret <<<"$(api appcred "$dep-ci")"
(
  unset OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_USER_DOMAIN_NAME OS_PROJECT_DOMAIN_NAME
  export OS_AUTH_TYPE=v3applicationcredential OS_APPLICATION_CREDENTIAL_ID=$cred_id OS_APPLICATION_CREDENTIAL_SECRET=$cred_secret
  orch plan "$spec" >"$work/plan-ac.out" 2>&1
) || { api appcred-delete "$cred_id" || true; fail "plan with an application credential: $(cat "$work/plan-ac.out")"; }
api appcred-delete "$cred_id"
grep -q "^No changes\." "$work/plan-ac.out" || fail "application-credential plan is not empty: $(cat "$work/plan-ac.out")"
! grep -q "$cred_secret" "$work/plan-ac.out" "$work/orch.log" || fail "the application credential secret was printed"
echo "application-credential authentication ok"

orch teardown "$spec" --auto-approve >>"$work/orch.log" 2>&1 || fail "teardown"
rm -rf "$work/state"
left=$(api kinds "$dep")
[ -z "$left" ] || fail "left after teardown: $left"
echo "lab lifecycle ok in $(( $(date +%s) - start )) s"
