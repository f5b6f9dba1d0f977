#!/usr/bin/env bash
# Hostile specs (tests/data/hostile/*.yaml: syntax, types, references,
# cycles, huge counts, deep nesting, alias bombs, invalid UTF-8, ...): each
# makes `validate` and `deploy --auto-approve` exit 1 with exactly the
# diagnostics stored beside it in NAME.expected (file:line:column; $DIR stands
# for the corpus directory), within a time bound and without a single API
# request reaching cloudsim.
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
. "$root/tests/lib/cloudsim.sh"
trap 'cloudsim_stop; rm -rf "$work"' EXIT
cloudsim_start "$build" "$work" --time-scale 0.01 --seed 3
corpus=$root/tests/data/hostile
cd "$corpus"

fail=0
n=0
for spec in *.yaml; do
  name=${spec%.yaml}
  [ -f "$name.expected" ] || { echo "FAIL $spec: no $name.expected beside it"; fail=1; continue; }
  n=$((n + 1))
  for cmd in validate deploy; do
    extra=()
    [ "$cmd" = deploy ] && extra=(--auto-approve)
    set +e
    timeout 30 "$build/orchestrator" --state-dir "$work/state" "$cmd" "$spec" "${extra[@]}" \
      </dev/null >"$work/out" 2>"$work/err"
    code=$?
    set -e
    if [ "$code" -ne 1 ]; then
      echo "FAIL $spec: $cmd exited $code, want 1"; head -c 2000 "$work/err"; fail=1; continue
    fi
    grep -aE "^$spec(:[0-9]+:[0-9]+)?: (error|warning): " "$work/err" | sed "s#$corpus#\$DIR#g" >"$work/got" || true
    if ! diff -u "$name.expected" "$work/got" >"$work/diff"; then
      echo "FAIL $spec: $cmd diagnostics differ from $name.expected"; cat "$work/diff"; fail=1
    fi
    grep -aq "nothing was sent to any cloud" "$work/err" || { echo "FAIL $spec: $cmd: no 'nothing was sent' line"; fail=1; }
  done
  # Every error names file:line:column, except for a file with no content.
  case $name in syntax-empty-file | syntax-only-comments) ;; *)
    if grep -a ": error: " "$name.expected" | grep -avqE "^$spec:[0-9]+:[0-9]+: error: "; then
      echo "FAIL $spec: an error without line:column"; fail=1
    fi ;;
  esac
done
[ "$n" -ge 50 ] || { echo "FAIL: only $n hostile specs"; fail=1; }
requests=$(curl -fsS "$CLOUDSIM_ADMIN/stats" | python3 -c 'import json,sys; print(sum(r["count"] for r in json.load(sys.stdin)["requests"]))')
[ "$requests" -eq 0 ] || { echo "FAIL: $requests API request(s) reached cloudsim"; fail=1; }
[ ! -e "$work/state" ] || [ -z "$(ls -A "$work/state")" ] || { echo "FAIL: state written for an invalid spec"; ls -la "$work/state"; fail=1; }
[ "$fail" -eq 0 ] || exit 1
echo "hostile_specs: $n specs x validate/deploy: exit 1, expected diagnostics, 0 API requests"
