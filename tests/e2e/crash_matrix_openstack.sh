#!/usr/bin/env bash
# crash_matrix.sh for the OpenStack case of tests/soak/providers.txt: one
# deploy -> scale -> teardown run under 20% injected faults and four
# SIGKILLs of deploy and teardown (configs/openstack.yaml, about 70 s).
set -euo pipefail
SOAK_PROVIDERS=${SOAK_PROVIDERS:-openstack} exec bash "$(dirname "$0")/crash_matrix.sh" "$1"
