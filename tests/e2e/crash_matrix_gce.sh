#!/usr/bin/env bash
# crash_matrix.sh for the GCE case of tests/soak/providers.txt: two
# deploy -> scale -> teardown runs under 20% injected faults and two crash
# runs (deploy, scaling deploy and teardown SIGKILLed in each) of
# configs/gce.yaml, about 50 s.
set -euo pipefail
SOAK_PROVIDERS=${SOAK_PROVIDERS:-gce} SOAK_SEEDS=${SOAK_SEEDS:-2} exec bash "$(dirname "$0")/crash_matrix.sh" "$1"
