// Spec: the parsed, validated deployment description (docs/spec.md).
//
// Produced by spec::Load (loader.h). Every struct keeps the SourceRange of the
// YAML node it came from so later stages (model expansion, provider
// validation) can report problems at file:line:column. Values are plain data;
// a Spec is immutable once loaded and safe to share between threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/diagnostic.h"
#include "util/sensitive.h"

namespace orch::spec {

// A provider instance, e.g. `do: {type: digitalocean, region: nyc3}`.
struct ProviderSpec {
  std::string name;                 // key under `providers:`
  std::string type;                 // digitalocean | gce | openstack
  std::string region;               // DO region, GCE region, OpenStack region
  std::vector<std::string> zones;   // GCE zones (zone: x is zones: [x])
  std::string endpoint;             // optional API endpoint override
  // Every other key of the block (token, project, credentials, cloud, ...),
  // with ${env:}/${file:}/${var.} substituted. May hold secrets: never log.
  nlohmann::json settings = nlohmann::json::object();
  SourceRange where;
};

struct ImageSpec {
  std::string name;      // key under `images:`
  std::string provider;  // provider instance name
  std::string source;    // distribution slug / image name / family:NAME
  std::string packer;    // optional path to a Packer template (resolved)
  SourceRange where;
};

struct NetworkSpec {
  std::string name;
  std::string provider;
  std::string cidr;      // validated IPv4 CIDR; empty when `existing` is set
  std::string existing;  // name or id of a network the cloud already has (looked up, never created)
  SourceRange where;
};

struct SshKeySpec {
  std::string name;
  std::string public_key;  // the key text (not secret)
  SourceRange where;
};

struct VolumeSpec {
  std::string name;
  int size_gb = 0;
  std::string type;  // optional, provider-specific
  SourceRange where;
};

struct FirewallRule {
  std::string protocol = "tcp";       // tcp | udp | icmp
  std::string ports;                  // "22", "8000-8100", "" for all/icmp
  std::vector<std::string> sources;   // CIDRs, or "tier:NAME" for another tier
  SourceRange where;
};

struct ListenerSpec {
  std::string protocol = "http";  // http | https | tcp
  int port = 80;
  int target_port = 80;
  std::string target_protocol;    // defaults to protocol
  SourceRange where;
};

struct HealthCheckSpec {
  std::string protocol = "http";  // http | tcp
  int port = 80;
  std::string path = "/";
  int interval_s = 10;
  int timeout_s = 5;
  int healthy_threshold = 3;
  int unhealthy_threshold = 3;
  SourceRange where;
};

struct LoadBalancerSpec {
  std::vector<ListenerSpec> listeners;
  HealthCheckSpec health_check;
  SourceRange where;
};

struct GroupSpec {
  int min = 1;
  int max = 1;
  double cpu_target = 0.6;  // autoscaler target utilisation, 0 < x <= 1
  SourceRange where;
};

// How long the waits for a tier's resources may take (docs/spec.md
// "timeouts"); 0 leaves the provider's default for the kind.
struct TimeoutsSpec {
  int64_t create_ms = 0;  // a create or an update, until the cloud reports it done
  int64_t delete_ms = 0;  // a delete, until the cloud reports it gone
  SourceRange where;
};

// The identity a tier's GCE instances run as (docs/spec.md
// "service_account"): the account's email ("default" for the project's
// Compute Engine default account) and the OAuth scopes, written in full or
// by their short name ("compute-ro" ...). GCE only.
struct ServiceAccountSpec {
  std::string email;
  std::vector<std::string> scopes;  // full https://www.googleapis.com/auth/... URLs
  SourceRange where;
};

struct UserDataSpec {
  std::string template_path;  // resolved against the spec's directory
  nlohmann::json vars = nlohmann::json::object();
  SourceRange where;
  // What state records: the path as written when it was relative (so the
  // record does not depend on where the checkout sits), else the absolute
  // path; and "sha256:<hex>" of the template's content.
  std::string template_ref;
  std::string template_digest;
};

struct TierSpec {
  std::string name;
  std::string provider;
  int count = 1;                    // ignored when group is set
  std::optional<GroupSpec> group;   // instance group (native on GCE)
  std::string size;
  std::string image;                // key of images:, or a literal image
  std::string network;              // key of networks:, optional
  std::vector<std::string> ssh_keys;
  std::vector<VolumeSpec> volumes;
  std::optional<UserDataSpec> user_data;
  bool floating_ip = false;
  // A plan that would delete (or replace) the tier's instances or volumes
  // fails unless `--allow-destroy` names them (Terraform's prevent_destroy).
  bool protect = false;
  std::optional<LoadBalancerSpec> load_balancer;
  std::vector<FirewallRule> firewall;
  std::vector<std::string> depends_on;   // explicit tier dependencies
  std::optional<TimeoutsSpec> timeouts;
  std::optional<ServiceAccountSpec> service_account;
  // Tier dependencies implied by ${tiers.X.*} references in the tier (only
  // user_data vars may hold them), each once, in first-use order. Firewall
  // sources "tier:X" are not included: they do not order tiers.
  std::vector<std::string> references;
  SourceRange where;
};

// A `moved:` entry (docs/spec.md#moved): what the state records under
// `from` is renamed to `to` before planning, instead of being destroyed and
// created again under the new name.
struct MovedSpec {
  std::string from;  // a tier name or a resource address (not checked here)
  std::string to;
  SourceRange where;  // the list item
};

struct Spec {
  std::string deployment;  // [a-z][a-z0-9-]{0,30}
  std::string path;        // the spec file as given
  std::string dir;         // its directory; relative paths resolve here
  std::map<std::string, ProviderSpec> providers;
  std::map<std::string, ImageSpec> images;
  std::map<std::string, NetworkSpec> networks;
  std::map<std::string, SshKeySpec> ssh_keys;
  std::vector<TierSpec> tiers;  // in file order
  std::vector<MovedSpec> moved;  // in file order; no two share a from or a to, none chains
  // The values of user_data vars that came from ${env:} or ${file:}; the
  // tiers' vars hold only their markers (util/sensitive.h). Never log or persist.
  SensitiveValues sensitive;
  // Non-fatal notes (warnings) gathered while loading.
  Diagnostics warnings;

  const TierSpec* FindTier(const std::string& name) const;
};

}  // namespace orch::spec
