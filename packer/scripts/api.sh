#!/bin/sh
# API tier image: a container runtime (docker.io) to run the service the spec
# names, curl for health checks, and node_exporter. The service itself and
# its CASSANDRA_CONTACT_POINTS come from the instance's cloud-init
# (templates/api.yaml.tmpl) at boot.
# Run as root by Packer's shell provisioner (TIER and DEPLOYMENT are set).
set -eu
export DEBIAN_FRONTEND=noninteractive
echo "provisioning the ${TIER:-api} image${DEPLOYMENT:+ for $DEPLOYMENT}"
if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null || true; fi
apt-get update -q
apt-get install -y -q ca-certificates curl docker.io prometheus-node-exporter
systemctl enable docker prometheus-node-exporter
install -d -m 0755 /etc/api
apt-get clean
echo "api runtime: docker $(dpkg-query -W -f '${Version}' docker.io)" >/etc/orchestrator-image
