#!/usr/bin/env bash
# Debian's packer (digitalocean builder with api_url, communicator none)
# against cloudsim: runs sim/digitalocean/packer_e2e_test.py, which starts
# its own cloudsim from BUILD_DIR, builds a snapshot and checks that the API
# lists it. Exit status is the script's (77 = packer not installed).
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
export CHECKPOINT_DISABLE=1
exec python3 "$here/sim/digitalocean/packer_e2e_test.py" "$build/cloudsim" ${PACKER:+"$PACKER"}
