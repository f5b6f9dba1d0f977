#!/usr/bin/env bash
# docs/examples/github-actions.yml (docs/ci.md): the pipeline has the
# validate -> plan --detailed-exitcode --out -> deploy PLAN --auto-approve ->
# preview teardown stages, takes credentials from secrets, uses only
# orchestrator subcommands and flags that exist, and every spec it names
# validates.
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
fail() { echo "FAIL: $*" >&2; exit 1; }
wf=docs/examples/github-actions.yml

# Every orchestrator command line in the workflow's run: steps.
python3 - "$wf" >"$work/commands" <<'PY' || fail "cannot read $wf"
import shlex, sys, yaml
wf = yaml.safe_load(open(sys.argv[1]))
for job in wf["jobs"].values():
    for step in job["steps"]:
        for line in step.get("run", "").splitlines():
            words = shlex.split(line.split(">")[0], comments=True)
            if words and words[0].endswith("/orchestrator"):
                print(" ".join(words[1:]))
PY
cat "$work/commands"
for needed in "validate configs/quickstart.yaml" "plan configs/quickstart.yaml --detailed-exitcode --out plan.json" \
              "deploy plan.json --auto-approve" "teardown docs/examples/preview.yaml --auto-approve"; do
  grep -qF -- "$needed" "$work/commands" || fail "the workflow has no '$needed'"
done
grep -qF 'DIGITALOCEAN_TOKEN: ${{ secrets.DIGITALOCEAN_TOKEN }}' "$wf" || fail "token does not come from secrets"
grep -q 'upload-artifact' "$wf" && grep -q 'download-artifact' "$wf" || fail "plan is not passed as an artifact"

# Each subcommand and --flag exists in the binary's own help.
while read -r sub rest; do
  "$build/orchestrator" "$sub" --help >"$work/help" 2>&1 || fail "orchestrator $sub does not exist"
  for word in $rest; do
    case "$word" in
      --*) grep -qE -- "(^|[ ,])${word%%=*}([ ,=]|$)" "$work/help" || fail "orchestrator $sub has no $word" ;;
    esac
  done
done <"$work/commands"

# Every spec named validates (credentials are only read, any value works).
specs=$(grep -oE '(configs|docs/examples)/[A-Za-z0-9_.-]+\.yaml' "$wf" | sort -u)
[ -n "$specs" ] || fail "no spec named"
for s in $specs; do
  DIGITALOCEAN_TOKEN=ci-test PR_NUMBER=123 "$build/orchestrator" validate "$s" || fail "$s does not validate"
done
echo "PASS: $(wc -l <"$work/commands") commands, specs: $(echo $specs)"
