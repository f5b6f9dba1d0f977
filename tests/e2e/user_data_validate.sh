#!/usr/bin/env bash
# User data is checked before any API call: `validate` (and `plan`) render
# every instance's template and check cloud-config against cloud-init's
# schema, naming the template's file:line:column; an undefined variable is
# an error there too. `render` prints what an instance would receive, and
# cloud-init's own `cloud-init schema` accepts it.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here"
# Placeholder credentials and a closed port: nothing here may reach a cloud.
export DIGITALOCEAN_TOKEN=placeholder DIGITALOCEAN_API_URL=http://127.0.0.1:9
fail() { echo "FAIL: $*"; exit 1; }
orch() { "$build/orchestrator" --state-dir "$work/state" "$@"; }

cat >"$work/spec.yaml" <<'YAML'
deployment: udcheck
providers:
  do: {type: digitalocean, region: nyc3, token: "${env:DIGITALOCEAN_TOKEN}"}
images:
  ubuntu: {provider: do, source: ubuntu-22-04-x64}
tiers:
  web:
    provider: do
    count: 2
    size: s-1vcpu-1gb
    image: ubuntu
    user_data:
      template: web.tmpl
      vars: {greeting: hello}
YAML

# expect_error CMD... : exit 1, stderr holds every line of $work/want.
expect_error() {
  set +e
  orch "$@" >"$work/out" 2>"$work/err"
  local code=$?
  set -e
  [ "$code" -eq 1 ] || { cat "$work/err"; fail "$* exited $code, not 1"; }
  while IFS= read -r line; do
    grep -qxF -- "$line" "$work/err" || { echo "--- got:"; cat "$work/err"; fail "$1: missing line: $line"; }
  done <"$work/want"
}

# 1. `packages: 5`: not a list, at the template's line 3, column 11, once
# although two instances render it.
printf '#cloud-config\n# the packages\npackages: 5\nruncmd:\n  - echo ${vars.greeting}\n' >"$work/web.tmpl"
cat >"$work/want" <<EOT
$work/web.tmpl:3:11: error: rendered user data is not valid cloud-config: 'packages' does not match cloud-init's schema: expected a list, got the integer 5. (tier 'web')
  packages: 5
            ^ near here
EOT
expect_error validate "$work/spec.yaml"
[ "$(grep -c "error:" "$work/err")" -eq 1 ] || { cat "$work/err"; fail "the problem is not reported once"; }
[ ! -s "$work/out" ] || fail "validate printed to stdout on failure"
# plan stops at the same place, before any API call.
expect_error plan "$work/spec.yaml"
grep -qF "nothing was sent to any cloud." "$work/err" || { cat "$work/err"; fail "plan does not say nothing was sent"; }

# 2. An undefined variable: the template's line and column, and where to set it.
printf '#cloud-config\npackages: [curl]\nruncmd:\n  - echo ${vars.greeting} ${vars.missing}\n' >"$work/web.tmpl"
cat >"$work/want" <<EOT
$work/web.tmpl:4:27: error: undefined variable 'missing' in \${vars.missing} (defined: greeting, self); set 'missing' under user_data.vars of tier 'web' at $work/spec.yaml:12:5, or give a default: \${vars.missing:-DEFAULT}
EOT
expect_error validate "$work/spec.yaml"

# 3. A script is not cloud-config: not schema-checked.
printf '#!/bin/bash\npackages: 5\necho ${vars.greeting}\n' >"$work/web.tmpl"
orch validate "$work/spec.yaml" >"$work/out" 2>"$work/err" || { cat "$work/err"; fail "a script user data is refused"; }
orch render "$work/spec.yaml" 'web.instance[1]' >"$work/out" 2>"$work/err" || { cat "$work/err"; fail "render of a script"; }
[ "$(cat "$work/out")" = "$(printf '#!/bin/bash\npackages: 5\necho hello')" ] || { cat "$work/out"; fail "script rendered wrong"; }

# 4. render prints what cloud-init's own schema check accepts.
command -v cloud-init >/dev/null || fail "cloud-init is not installed (scripts/setup installs it)"
for addr in 'cassandra.instance[0]' 'cassandra.instance[2]' 'api.instance[0]' 'monitoring.instance[0]'; do
  orch render configs/quickstart.yaml "$addr" >"$work/r.yaml" 2>"$work/r.err" || { cat "$work/r.err"; fail "render $addr"; }
  head -1 "$work/r.yaml" | grep -qxF "#cloud-config" || fail "render $addr: no #cloud-config header"
  cloud-init schema --config-file "$work/r.yaml" >"$work/schema.out" 2>&1 ||
    { cat "$work/schema.out"; fail "cloud-init schema rejects the rendered $addr"; }
  grep -q "Valid cloud-config" "$work/schema.out" || { cat "$work/schema.out"; fail "$addr: no verdict"; }
done
# Seeds (${self.seeds:2}) are the other members as state holds them when the
# node is made: without state they are placeholders, said on stderr.
orch render configs/quickstart.yaml 'cassandra.instance[2]' >"$work/r.yaml" 2>"$work/r.err"
grep -qxF '      SEEDS="192.0.2.10"' "$work/r.yaml" || { grep SEEDS= "$work/r.yaml"; fail "cassandra.instance[2] SEEDS"; }
grep -qF 'note: no recorded state for this deployment: rendered as placeholders:' "$work/r.err" || { cat "$work/r.err"; fail "no placeholder note"; }
grep -qF '${seeds:cassandra.instance[2]:2}' "$work/r.err" || { cat "$work/r.err"; fail "the note does not name the reference"; }

# With state, what it records is used: node 0's address is known, node 1 is
# not made yet, so node 2 would seed from node 0 alone; node 0 from nobody.
mkdir -p "$work/state"
cat >"$work/state/quickstart.state.json" <<'JSON'
{"version": 1, "deployment": "quickstart", "serial": 1,
 "resources": {"cassandra.instance[0]": {"kind": "instance", "outputs": {"id": "1", "private_ip": "10.10.0.5"}}}}
JSON
orch render configs/quickstart.yaml 'cassandra.instance[2]' >"$work/r.yaml" 2>"$work/r.err"
grep -qxF '      SEEDS="10.10.0.5"' "$work/r.yaml" || { grep SEEDS= "$work/r.yaml"; fail "SEEDS from state"; }
! grep -q "note:" "$work/r.err" || { cat "$work/r.err"; fail "a placeholder note although state answers"; }
orch render configs/quickstart.yaml 'cassandra.instance[0]' >"$work/r.yaml" 2>"$work/r.err"
grep -qxF '      SEEDS=""' "$work/r.yaml" || { grep SEEDS= "$work/r.yaml"; fail "cassandra.instance[0] SEEDS from state"; }
rm -r "$work/state"

# 5. An unknown address lists the ones that have user data.
set +e
orch render configs/quickstart.yaml 'cassandra.instance[9]' >/dev/null 2>"$work/err"
code=$?
set -e
[ "$code" -eq 1 ] || fail "unknown address: exit $code"
grep -qF "error: no resource 'cassandra.instance[9]' with user data in configs/quickstart.yaml; these have: api.instance[0], api.instance[1], cassandra.instance[0], cassandra.instance[1], cassandra.instance[2], monitoring.instance[0]" "$work/err" ||
  { cat "$work/err"; fail "unknown address message"; }
echo "user_data_validate: ok"
