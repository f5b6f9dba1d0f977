#!/bin/sh
# Monitoring tier image: Prometheus, node_exporter and Grafana (from Grafana's
# apt repository). Scrape targets, remote-write receiving and the Grafana
# data source are written by the instance's cloud-init
# (templates/monitoring.yaml.tmpl) at boot.
# Run as root by Packer's shell provisioner (TIER and DEPLOYMENT are set).
set -eu
export DEBIAN_FRONTEND=noninteractive
echo "provisioning the ${TIER:-monitoring} image${DEPLOYMENT:+ for $DEPLOYMENT}"
if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null || true; fi
apt-get update -q
apt-get install -y -q ca-certificates curl gnupg prometheus prometheus-node-exporter
install -d -m 0755 /etc/apt/keyrings
curl -fsSL https://apt.grafana.com/gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/grafana.gpg
echo "deb [signed-by=/etc/apt/keyrings/grafana.gpg] https://apt.grafana.com stable main" \
  >/etc/apt/sources.list.d/grafana.list
apt-get update -q
apt-get install -y -q grafana
systemctl enable prometheus prometheus-node-exporter grafana-server
apt-get clean
echo "prometheus $(dpkg-query -W -f '${Version}' prometheus), grafana $(dpkg-query -W -f '${Version}' grafana)" \
  >/etc/orchestrator-image
