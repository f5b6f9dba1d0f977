#!/usr/bin/env bash
# The DigitalOcean lifecycle with cloudsim injecting 10% faults (429, 5xx,
# resets and lost responses, 2.5% each): no duplicate, nothing left.
set -euo pipefail
exec bash "$(dirname "$0")/digitalocean_lifecycle.sh" "$1" "api=digitalocean,429=0.025,5xx=0.025,reset=0.025,lost=0.025"
