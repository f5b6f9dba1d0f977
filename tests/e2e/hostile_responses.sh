#!/usr/bin/env bash
# Provider responses that are garbage (tests/soak/garbage_server.py: malformed
# or truncated JSON, missing fields, wrong types, items of the wrong type,
# HTML, binary, 200000-deep nesting, huge numbers, endless or foreign next
# pages, 100 kB error bodies): `plan` must end with exit 1 and one clear error
# line (no crash, no hang, no 100 kB message), and no token may reach a host
# named only by a response. Providers and stages:
#   do                  the DigitalOcean API
#   gce/token           the token endpoint of an authorized_user key file
#   gce/metadata        the metadata server (GCE_METADATA_HOST)
#   gce/compute         the Compute API, behind a valid token
#   openstack/keystone  Keystone's token answer (with an X-Subject-Token)
#   openstack/versions  the compute version document, behind a valid Keystone
#   openstack/services  Nova, Neutron, Cinder and Octavia lists, behind a
#                       valid Keystone and version documents
# gce/compute-LIST and openstack/services-LIST give bad items in LIST only.
# gce/compute and openstack/services also answer lists whose items are this
# deployment's but have odd field types (oddfields: exit 0 or 1, no exception).
# gce/compute also runs `deploy` once (foreignop): the insert's Operation names
# another host in its selfLink, which must not receive the token.
# For gce and openstack the error must come from the provider itself, not
# from the engine's guard against exceptions ("could not be read").
# ONLY=REGEX runs the cases whose name matches; KEEP_OUTPUT=DIR keeps each
# case's output there.
# Cases listed in KNOWN_BUGS ("provider/stage/mode" or, for do, "mode") are
# failures already reported: printed but not failing unless STRICT=1; a known
# bug that no longer happens fails the test (drop it from the list).
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
server=
trap '[ -z "$server" ] || kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
KNOWN_BUGS=${KNOWN_BUGS-""}
data="$root/tests/data/hostile-responses"
common_modes="badjson truncated missing wrongtype baditems html empty binary deep hugenumbers endlesspages error400html error400long"
mkdir -p "$work/home"

failures=0
# run_case NAME SERVER_ARGS -- COMMAND...: starts the server, runs COMMAND
# (which sees $port) and judges its exit and output.
run_case() {
  local name=$1 mode=$2 server_args=$3
  shift 3
  [[ -z "${ONLY:-}" || "$name" =~ $ONLY ]] || return 0
  rm -f "$work/port" "$work/port.leak"
  # shellcheck disable=SC2086
  python3 "$root/tests/soak/garbage_server.py" "$mode" "$work/port" $server_args &
  server=$!
  for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.02; done
  read -r port _ <"$work/port"
  local code=0 start=$SECONDS
  # In a shell of its own, so a crash is reported into the output file.
  PORT=$port bash -c 'timeout 30 "$@"; exit $?' _ "$@" </dev/null >"$work/out" 2>&1 || code=$?
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=
  [ -z "${KEEP_OUTPUT:-}" ] || cp "$work/out" "$KEEP_OUTPUT/${name//\//_}.out"
  local problem="" want=1
  [ "$name" = endlesspages ] && [ "$code" -eq 0 ] && want=0  # DigitalOcean: stopping at a repeated page is fine
  # Items of this deployment with odd field types: read, or refused, but never an exception.
  [ "$mode" = oddfields ] && [ "$code" -eq 0 ] && want=0
  if [ "$code" -eq 124 ]; then problem="hung (killed after 30 s)"
  elif [ "$code" -ge 128 ] || grep -aq "terminate called" "$work/out"; then problem="crashed (exit $code): $(grep -a -m1 -A1 'terminate called' "$work/out" | tr '\n' ' ')"
  elif [ "$code" -ne "$want" ]; then problem="exit $code, want $want (garbage accepted as an answer)"
  elif [ "$want" -eq 1 ] && ! grep -aqE "(^|: )error: " "$work/out"; then problem="no 'error:' line"
  elif [ "$(grep -a '^error: ' "$work/out" | wc -c)" -gt 2000 ]; then problem="error message of $(grep -a '^error: ' "$work/out" | wc -c) bytes"
  elif [ "$name" != "${name#*/}" ] && grep -aq "could not be read" "$work/out"; then problem="only the engine's exception guard caught it: $(grep -a -m1 '^error: ' "$work/out" | cut -c1-300)"
  fi
  if [ -s "$work/port.leak" ]; then problem="${problem:+$problem; }token sent to a foreign host ($(wc -l <"$work/port.leak") requests)"; fi
  local known=no
  case " $KNOWN_BUGS " in *" $name "*) known=yes ;; esac
  if [ -z "$problem" ]; then
    echo "ok      $name: exit $code in $((SECONDS - start)) s: $(grep -a -m1 '^error: ' "$work/out" | cut -c1-200)"
    if [ "$known" = yes ]; then echo "FAIL    $name is listed in KNOWN_BUGS but behaves: remove it"; failures=$((failures + 1)); fi
  elif [ "$known" = yes ] && [ -z "${STRICT:-}" ]; then
    echo "known   $name: $problem"
  else
    echo "FAIL    $name: $problem"; failures=$((failures + 1))
  fi
}

orch() { echo "$build/orchestrator" --state-dir "$work/state"; }

# DigitalOcean.
for mode in badjson truncated missing wrongtype baditems html empty binary deep hugenumbers endlesspages foreignnext error400html; do
  run_case "$mode" "$mode" "" env DIGITALOCEAN_TOKEN=dop_v1_garbagetest0123456789 bash -c \
    'DIGITALOCEAN_API_URL="http://127.0.0.1:$PORT/v2" exec "$@"' _ $(orch) plan "$root/tests/soak/small.yaml"
done

# GCE: an authorized_user key file whose token_uri is the server.
gce() {  # gce STAGE MODE SERVER_ARGS COMMAND...
  local stage=$1 mode=$2 args=$3
  shift 3
  run_case "gce/$stage/$mode" "$mode" "--api gce $args" env -u GOOGLE_APPLICATION_CREDENTIALS -u CLOUDSDK_CONFIG \
    HOME="$work/home" GOOGLE_CLOUD_PROJECT=hostile-project bash -c '
      if [ "$STAGE" = metadata ]; then
        export GCE_METADATA_HOST="127.0.0.1:$PORT" HOSTILE_GCE_CREDENTIALS="" spec=gce-metadata.yaml
      else
        printf "{\"type\": \"authorized_user\", \"client_id\": \"c\", \"client_secret\": \"s\", \"refresh_token\": \"r\", \"token_uri\": \"http://127.0.0.1:%s/token\"}" "$PORT" >"$WORK/key.json"
        export HOSTILE_GCE_CREDENTIALS="$WORK/key.json" spec=gce.yaml
      fi
      export HOSTILE_GCE_ENDPOINT="http://127.0.0.1:$PORT/compute/v1"
      exec "$@" "$DATA/$spec"' _ "$@"
}
export WORK="$work" DATA="$data"
for mode in $common_modes; do
  STAGE=token gce token "$mode" "" $(orch) plan
  STAGE=metadata gce metadata "$mode" "" $(orch) plan
  STAGE=compute gce compute "$mode" "--valid token" $(orch) plan
done
STAGE=compute gce compute oddfields "--valid token" $(orch) plan
# Each list in turn (the modes above stop at the first, networks).
for list in firewalls instances disks instanceGroupManagers addresses forwardingRules; do
  STAGE=compute gce "compute-$list" baditems "--valid token --garbage-only /$list" $(orch) plan
done
STAGE=compute gce compute foreignop "--valid token" $(orch) deploy --auto-approve

# OpenStack: OS_AUTH_URL is the server.
openstack() {  # openstack STAGE MODE SERVER_ARGS
  run_case "openstack/$1/$2" "$2" "--api openstack $3" env -u OS_CLOUD -u OS_CLIENT_CONFIG_FILE HOME="$work/home" \
    OS_USERNAME=demo OS_PASSWORD=garbagetest-secret OS_PROJECT_NAME=demo OS_USER_DOMAIN_NAME=Default \
    OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne bash -c \
    'OS_AUTH_URL="http://127.0.0.1:$PORT/v3" exec "$@"' _ $(orch) plan "$data/openstack.yaml"
}
for mode in $common_modes badcatalog nocatalog; do openstack keystone "$mode" ""; done
for mode in badjson missing wrongtype html hugenumbers error400long; do openstack versions "$mode" "--valid keystone"; done
for mode in $common_modes foreignnext oddfields; do openstack services "$mode" "--valid keystone,versions"; done
# Each list in turn (the modes above stop at the first, servers).
for list in networks security-groups floatingips loadbalancers volumes os-keypairs; do
  openstack "services-$list" baditems "--valid keystone,versions --garbage-only /$list"
done

[ "$failures" -eq 0 ] || exit 1
echo "hostile_responses: ok ($SECONDS s)"
