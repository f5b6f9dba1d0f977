#!/usr/bin/env bash
# crash_matrix.sh for the OpenStack case of tests/soak/providers.txt: one
# deploy -> scale -> teardown run under 20% injected faults and two crash
# runs (deploy, scaling deploy and teardown SIGKILLed in each) of
# configs/openstack.yaml, about 60 s.
set -euo pipefail
SOAK_PROVIDERS=${SOAK_PROVIDERS:-openstack} exec bash "$(dirname "$0")/crash_matrix.sh" "$1"
