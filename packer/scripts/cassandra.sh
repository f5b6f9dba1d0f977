#!/bin/sh
# Cassandra tier image: Java, Apache Cassandra 4.1 from the project's apt
# repository and node_exporter, installed but stopped with an empty data
# directory, so the instance's cloud-init (templates/cassandra.yaml.tmpl)
# sets the cluster name, seeds and addresses before the first start.
# Run as root by Packer's shell provisioner (TIER and DEPLOYMENT are set).
set -eu
export DEBIAN_FRONTEND=noninteractive
echo "provisioning the ${TIER:-cassandra} image${DEPLOYMENT:+ for $DEPLOYMENT}"
# Let the first-boot package runs of the base image finish.
if command -v cloud-init >/dev/null 2>&1; then cloud-init status --wait >/dev/null || true; fi
apt-get update -q
apt-get install -y -q ca-certificates curl gnupg openjdk-11-jre-headless prometheus-node-exporter
install -d -m 0755 /etc/apt/keyrings
curl -fsSL https://downloads.apache.org/cassandra/KEYS | gpg --dearmor --yes -o /etc/apt/keyrings/cassandra.gpg
echo "deb [signed-by=/etc/apt/keyrings/cassandra.gpg] https://debian.cassandra.apache.org 41x main" \
  >/etc/apt/sources.list.d/cassandra.list
apt-get update -q
apt-get install -y -q cassandra
# The package starts a single-node "Test Cluster": stop it and forget its
# state so the node joins the ring configured at boot.
systemctl stop cassandra || true
systemctl disable cassandra || true
rm -rf /var/lib/cassandra/data/* /var/lib/cassandra/commitlog/* /var/lib/cassandra/saved_caches/*
systemctl enable prometheus-node-exporter
apt-get clean
echo "cassandra $(dpkg-query -W -f '${Version}' cassandra) installed" >/etc/orchestrator-image
