#!/usr/bin/env bash
# Every example spec in configs/ and docs/examples/ validates with the real
# providers' offline checks (`orchestrator validate`: no API call), given
# placeholder credentials in the environment.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here"
export DIGITALOCEAN_TOKEN=placeholder GOOGLE_CLOUD_PROJECT=placeholder-project PR_NUMBER=1
export GOOGLE_APPLICATION_CREDENTIALS=$work/missing-key.json
export OS_AUTH_URL=http://127.0.0.1:5000/v3 OS_USERNAME=u OS_PASSWORD=p OS_PROJECT_NAME=p
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne
n=0
for spec in configs/*.yaml docs/examples/*.yaml; do
  [ -f "$spec" ] || continue
  if ! "$build/orchestrator" validate "$spec" >"$work/out" 2>&1; then
    echo "FAIL: $spec does not validate:"; cat "$work/out"; exit 1
  fi
  grep -q "is valid" "$work/out" || { echo "FAIL: $spec: no verdict"; cat "$work/out"; exit 1; }
  n=$((n + 1))
done
[ "$n" -ge 5 ] || { echo "FAIL: only $n specs found"; exit 1; }
echo "configs_validate: $n specs valid"
