// Loading valid specs: the structs filled, substitutions, --var precedence,
// path resolution, references.
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/spec_test_util.h"

namespace orch::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class LoaderTest : public testing::SpecFixture {};

constexpr const char* kFullSpec = R"(deployment: demo
variables: {env: staging, ring: ring}
providers:
  do:   {type: digitalocean, region: nyc3, token: "${env:DIGITALOCEAN_TOKEN}", endpoint: "http://127.0.0.1:8080"}
  gcp:  {type: gce, project: my-proj, region: us-central1, zones: [us-central1-a, us-central1-b], credentials: ./sa.json}
  lab:  {type: openstack, cloud: lab, region: RegionOne, zone: nova}
ssh_keys: {ops: {public_key: "${file:keys/ops.pub}"}}
images:   {ubuntu: {provider: do, source: ubuntu-22-04-x64}, debian: {provider: gcp, source: "family:debian-12", packer: packer/debian.pkr.hcl}}
networks: {main: {provider: do, cidr: 10.10.0.0/16}}
tiers:
  cassandra:
    provider: do
    count: 3
    size: s-2vcpu-4gb
    image: ubuntu
    network: main
    ssh_keys: [ops]
    volumes: [{name: data, size_gb: 100}, {name: logs, size_gb: 10, type: ext4}]
    user_data: {template: templates/app.tmpl, vars: {cluster_name: "${var.ring}-${var.env}"}}
    firewall: [{protocol: tcp, ports: "9042", from: ["tier:api", "10.0.0.0/8"]}, {protocol: icmp, from: 0.0.0.0/0}]
  api:
    provider: do
    group: {min: 2, max: 6, cpu_target: 0.6}
    size: s-1vcpu-1gb
    image: ubuntu
    user_data: {template: templates/app.tmpl, vars: {contact_points: "${tiers.cassandra.private_ips}", n: 3}}
    load_balancer: {listeners: [{protocol: http, port: 80, target_port: 8080}], health_check: {protocol: http, port: 8080, path: /health}}
    floating_ip: false
    depends_on: [cassandra]
  batch:
    provider: gcp
    size: e2-small
    image: debian
    floating_ip: true
)";

TEST_F(LoaderTest, FullSpecLoadsIntoStructs) {
  env_["DIGITALOCEAN_TOKEN"] = "tok-123";
  Write("keys/ops.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA ops@example\n");
  Write("sa.json", "{}");
  Write("packer/debian.pkr.hcl", "source {}\n");
  auto spec = LoadText(kFullSpec);
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_THAT(Lines(), IsEmpty());
  EXPECT_EQ(spec->deployment, "demo");
  EXPECT_EQ(spec->path, "spec.yaml");
  EXPECT_EQ(spec->dir, dir_);

  ASSERT_EQ(spec->providers.size(), 3u);
  const ProviderSpec& d = spec->providers.at("do");
  EXPECT_EQ(d.type, "digitalocean");
  EXPECT_EQ(d.region, "nyc3");
  EXPECT_EQ(d.endpoint, "http://127.0.0.1:8080");
  EXPECT_EQ(d.settings, nlohmann::json({{"token", "tok-123"}}));
  EXPECT_EQ(d.where.start.line, 4);
  EXPECT_EQ(d.where.start.column, 3);
  const ProviderSpec& g = spec->providers.at("gcp");
  EXPECT_EQ(g.type, "gce");
  EXPECT_THAT(g.zones, ElementsAre("us-central1-a", "us-central1-b"));
  EXPECT_EQ(g.settings["project"], "my-proj");
  EXPECT_EQ(g.settings["credentials"], dir_ + "/sa.json");
  const ProviderSpec& o = spec->providers.at("lab");
  EXPECT_THAT(o.zones, ElementsAre("nova"));
  EXPECT_EQ(o.settings, nlohmann::json({{"cloud", "lab"}}));

  EXPECT_EQ(spec->ssh_keys.at("ops").public_key, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA ops@example");
  EXPECT_EQ(spec->images.at("ubuntu").provider, "do");
  EXPECT_EQ(spec->images.at("ubuntu").source, "ubuntu-22-04-x64");
  EXPECT_EQ(spec->images.at("debian").packer, dir_ + "/packer/debian.pkr.hcl");
  EXPECT_EQ(spec->networks.at("main").cidr, "10.10.0.0/16");

  ASSERT_EQ(spec->tiers.size(), 3u);
  const TierSpec& c = spec->tiers[0];
  EXPECT_EQ(c.name, "cassandra");
  EXPECT_EQ(c.provider, "do");
  EXPECT_EQ(c.count, 3);
  EXPECT_FALSE(c.group);
  EXPECT_EQ(c.size, "s-2vcpu-4gb");
  EXPECT_EQ(c.image, "ubuntu");
  EXPECT_EQ(c.network, "main");
  EXPECT_THAT(c.ssh_keys, ElementsAre("ops"));
  ASSERT_EQ(c.volumes.size(), 2u);
  EXPECT_EQ(c.volumes[0].name, "data");
  EXPECT_EQ(c.volumes[0].size_gb, 100);
  EXPECT_EQ(c.volumes[1].type, "ext4");
  ASSERT_TRUE(c.user_data);
  EXPECT_EQ(c.user_data->template_path, dir_ + "/templates/app.tmpl");
  EXPECT_EQ(c.user_data->template_ref, "templates/app.tmpl") << "recorded relative to the spec";
  EXPECT_EQ(c.user_data->template_digest.rfind("sha256:", 0), 0u) << c.user_data->template_digest;
  EXPECT_EQ(c.user_data->template_digest.size(), 71u);
  EXPECT_EQ(c.user_data->vars, nlohmann::json({{"cluster_name", "ring-staging"}}));
  ASSERT_EQ(c.firewall.size(), 2u);
  EXPECT_EQ(c.firewall[0].protocol, "tcp");
  EXPECT_EQ(c.firewall[0].ports, "9042");
  EXPECT_THAT(c.firewall[0].sources, ElementsAre("tier:api", "10.0.0.0/8"));
  EXPECT_EQ(c.firewall[1].protocol, "icmp");
  EXPECT_EQ(c.firewall[1].ports, "");
  EXPECT_THAT(c.firewall[1].sources, ElementsAre("0.0.0.0/0"));
  EXPECT_THAT(c.references, IsEmpty());  // firewall sources are not ordering edges
  EXPECT_EQ(c.where.start.line, 11);

  const TierSpec& a = spec->tiers[1];
  EXPECT_EQ(a.name, "api");
  ASSERT_TRUE(a.group);
  EXPECT_EQ(a.group->min, 2);
  EXPECT_EQ(a.group->max, 6);
  EXPECT_DOUBLE_EQ(a.group->cpu_target, 0.6);
  EXPECT_EQ(a.user_data->vars,
            nlohmann::json({{"contact_points", "${tiers.cassandra.private_ips}"}, {"n", "3"}}));
  EXPECT_THAT(a.references, ElementsAre("cassandra"));
  EXPECT_THAT(a.depends_on, ElementsAre("cassandra"));
  ASSERT_TRUE(a.load_balancer);
  ASSERT_EQ(a.load_balancer->listeners.size(), 1u);
  EXPECT_EQ(a.load_balancer->listeners[0].protocol, "http");
  EXPECT_EQ(a.load_balancer->listeners[0].port, 80);
  EXPECT_EQ(a.load_balancer->listeners[0].target_port, 8080);
  EXPECT_EQ(a.load_balancer->listeners[0].target_protocol, "http");
  EXPECT_EQ(a.load_balancer->health_check.port, 8080);
  EXPECT_EQ(a.load_balancer->health_check.path, "/health");
  EXPECT_EQ(a.load_balancer->health_check.interval_s, 10);
  EXPECT_FALSE(a.floating_ip);

  const TierSpec& b = spec->tiers[2];
  EXPECT_EQ(b.count, 1);
  EXPECT_EQ(b.image, "debian");
  EXPECT_TRUE(b.floating_ip);
  EXPECT_EQ(spec->FindTier("batch"), &spec->tiers[2]);
  EXPECT_EQ(spec->FindTier("nope"), nullptr);
}

TEST_F(LoaderTest, TimeoutsAreReadAsMilliseconds) {
  auto spec = LoadText(std::string(testing::kPrelude) + "    timeouts: {create: 1h30m, delete: 90s}\n" +
                       "  web: {provider: do, size: s, image: i, timeouts: {delete: 5m}}\n" +
                       "  db: {provider: do, size: s, image: i}\n");
  ASSERT_TRUE(spec.has_value()) << ::testing::PrintToString(Lines());
  ASSERT_TRUE(spec->tiers[0].timeouts.has_value());
  EXPECT_EQ(spec->tiers[0].timeouts->create_ms, 5400000);
  EXPECT_EQ(spec->tiers[0].timeouts->delete_ms, 90000);
  ASSERT_TRUE(spec->tiers[1].timeouts.has_value());
  EXPECT_EQ(spec->tiers[1].timeouts->create_ms, 0);  // the provider's default
  EXPECT_EQ(spec->tiers[1].timeouts->delete_ms, 300000);
  EXPECT_FALSE(spec->tiers[2].timeouts.has_value());
}

TEST_F(LoaderTest, ServiceAccountScopesAreExpandedAndDefaulted) {
  const std::string gce =
      "deployment: demo\n"
      "providers:\n"
      "  g: {type: gce, region: us-central1, zone: us-central1-a, project: p}\n"
      "tiers:\n"
      "  mon:\n"
      "    provider: g\n"
      "    size: e2-small\n"
      "    image: debian-12\n";
  auto spec = LoadText(gce + "    service_account: {scopes: [compute-ro, 'https://www.googleapis.com/auth/logging.write', compute-ro]}\n" +
                       "  web: {provider: g, size: s, image: i, service_account: {email: web@p.iam.gserviceaccount.com}}\n" +
                       "  db: {provider: g, size: s, image: i}\n");
  ASSERT_TRUE(spec.has_value()) << ::testing::PrintToString(Lines());
  ASSERT_TRUE(spec->tiers[0].service_account.has_value());
  EXPECT_EQ(spec->tiers[0].service_account->email, "default");
  EXPECT_EQ(spec->tiers[0].service_account->scopes,
            (std::vector<std::string>{"https://www.googleapis.com/auth/compute.readonly",
                                      "https://www.googleapis.com/auth/logging.write"}));
  ASSERT_TRUE(spec->tiers[1].service_account.has_value());
  EXPECT_EQ(spec->tiers[1].service_account->email, "web@p.iam.gserviceaccount.com");
  EXPECT_EQ(spec->tiers[1].service_account->scopes,
            (std::vector<std::string>{"https://www.googleapis.com/auth/cloud-platform"}));
  EXPECT_FALSE(spec->tiers[2].service_account.has_value());

  EXPECT_THAT(Errors(gce + "    service_account: {email: web, scopes: [compute-read]}\n"),
              ::testing::ElementsAre(
                  "spec.yaml:9:30: error: 'email' in the service_account of tier 'mon' must be a service account's email "
                  "(NAME@PROJECT.iam.gserviceaccount.com) or 'default', got 'web'",
                  "spec.yaml:9:44: error: unknown scope 'compute-read' in the service_account of tier 'mon'; write a full "
                  "https://www.googleapis.com/auth/... URL or one of cloud-platform, compute-ro, compute-rw, logging-write, "
                  "monitoring, monitoring-write, storage-ro, storage-rw"));
  EXPECT_THAT(Errors(std::string(testing::kPrelude) + "    service_account: {email: default}\n"),
              ::testing::ElementsAre("spec.yaml:9:5: error: 'service_account' of tier 'api' is a GCE "
                                     "setting, but the tier runs on provider 'do' (digitalocean); remove it or move the tier "
                                     "to a gce provider"));
}

TEST_F(LoaderTest, LoadReadsFileAndResolvesAgainstItsDirectory) {
  Write("conf/spec.yaml", std::string(testing::kPrelude) + "    user_data: {template: ../templates/app.tmpl}\n");
  Diagnostics diags;
  auto spec = Load(dir_ + "/conf/spec.yaml", opts_, &diags);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->path, dir_ + "/conf/spec.yaml");
  EXPECT_EQ(spec->dir, dir_ + "/conf");
  EXPECT_EQ(spec->tiers[0].user_data->template_path, dir_ + "/templates/app.tmpl");
}

TEST_F(LoaderTest, MovedEntriesLoadInFileOrder) {
  auto spec = LoadText(std::string(testing::kPrelude) +
                       "moved:\n"
                       "  - {from: web, to: api}\n"
                       "  - from: network.old\n"
                       "    to: network.main\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  ASSERT_EQ(spec->moved.size(), 2u);
  EXPECT_EQ(spec->moved[0].from, "web");
  EXPECT_EQ(spec->moved[0].to, "api");
  EXPECT_EQ(spec->moved[0].where.start.line, 10);
  EXPECT_EQ(spec->moved[0].where.start.column, 5);
  EXPECT_EQ(spec->moved[1].from, "network.old");
  EXPECT_EQ(spec->moved[1].to, "network.main");
  EXPECT_EQ(spec->moved[1].where.start.line, 11);
  EXPECT_TRUE(LoadText(std::string(testing::kPrelude) + "moved:\n")->moved.empty());
}

TEST_F(LoaderTest, LoadReportsMissingFile) {
  Diagnostics diags;
  EXPECT_FALSE(Load(dir_ + "/none.yaml", opts_, &diags));
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(FormatDiagnosticLine(diags.items()[0]),
            dir_ + "/none.yaml: error: cannot read the spec: No such file or directory");
}

TEST_F(LoaderTest, VarFlagOverridesVariablesDefault) {
  std::string text = "deployment: demo\n"
                     "variables: {region: nyc3, size: s-1vcpu-1gb}\n"
                     "providers: {do: {type: digitalocean, region: '${var.region}'}}\n"
                     "tiers: {api: {provider: do, size: '${var.size}', image: i}}\n";
  auto spec = LoadText(text);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->providers.at("do").region, "nyc3");
  opts_.vars["region"] = "fra1";
  spec = LoadText(text);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->providers.at("do").region, "fra1");
  EXPECT_EQ(spec->tiers[0].size, "s-1vcpu-1gb");
}

TEST_F(LoaderTest, VarFlagAloneDefinesAVariable) {
  opts_.vars["region"] = "ams3";
  auto spec = LoadText("deployment: demo\nproviders: {do: {type: digitalocean, region: 'x-${var.region}'}}\n");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->providers.at("do").region, "x-ams3");
}

TEST_F(LoaderTest, OverriddenDefaultIsNotEvaluated) {
  opts_.vars["token"] = "flag";
  auto spec = LoadText("deployment: demo\nvariables: {token: '${env:UNSET_TOKEN}'}\n"
                       "providers: {do: {type: digitalocean, region: r, token: '${var.token}'}}\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_EQ(spec->providers.at("do").settings["token"], "flag");
}

TEST_F(LoaderTest, UnusedVarFlagIsAWarning) {
  opts_.vars["nothing"] = "x";
  auto spec = LoadText(std::string(testing::kPrelude));
  ASSERT_TRUE(spec);
  EXPECT_THAT(Lines(), ElementsAre("spec.yaml: warning: --var nothing is not used by the spec"));
  ASSERT_EQ(spec->warnings.size(), 1u);
}

TEST_F(LoaderTest, EnvFileAndEscapeSubstitutions) {
  env_["REGION"] = "sfo3";
  Write("keys/ops.pub", "ssh-rsa AAAAB3Nza ops\r\n\n");
  auto spec = LoadText("deployment: demo\n"
                       "variables: {from_env: '${env:REGION}'}\n"
                       "providers: {do: {type: digitalocean, region: '${var.from_env}'}}\n"
                       "ssh_keys: {ops: {public_key: '${file:keys/ops.pub}'}}\n"
                       "tiers:\n"
                       "  api:\n"
                       "    provider: do\n"
                       "    size: s\n"
                       "    image: i\n"
                       "    user_data: {template: templates/app.tmpl, vars: {literal: 'a $${b} c', list: [x, '${env:REGION}'], m: {k: v}, none: ~}}\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_EQ(spec->providers.at("do").region, "sfo3");
  EXPECT_EQ(spec->ssh_keys.at("ops").public_key, "ssh-rsa AAAAB3Nza ops");
  // A user_data value from ${env:} is sensitive: the vars (and so state)
  // hold its marker, the value stays in Spec::sensitive (docs/spec.md).
  nlohmann::json marker = SensitiveMarker("sfo3", nullptr);
  EXPECT_EQ(spec->tiers[0].user_data->vars,
            nlohmann::json({{"literal", "a ${b} c"}, {"list", {"x", marker}}, {"m", {{"k", "v"}}}, {"none", nullptr}}));
  EXPECT_EQ(spec->sensitive, (SensitiveValues{{marker["sensitive"].get<std::string>(), "sfo3"}}));
}

TEST_F(LoaderTest, SensitiveUserDataValueCannotCarryReferences) {
  env_["TOKEN"] = "t0k3n";
  auto spec = LoadText("deployment: demo\n"
                       "providers: {do: {type: digitalocean, region: nyc3}}\n"
                       "tiers:\n"
                       "  api:\n"
                       "    provider: do\n"
                       "    size: s\n"
                       "    image: i\n"
                       "    user_data: {template: templates/app.tmpl, vars: {x: '${env:TOKEN},${tiers.api.ips}'}}\n");
  EXPECT_FALSE(spec);
  EXPECT_THAT(Lines(), ::testing::Contains(::testing::HasSubstr("give them as two variables")));
  for (const std::string& l : Lines()) EXPECT_EQ(l.find("t0k3n"), std::string::npos) << l;
}

TEST_F(LoaderTest, FileSubstitutionAcceptsAbsolutePaths) {
  Write("abs.pub", "ssh-ed25519 AAAAC3Nz abs\n");
  auto spec = LoadText("deployment: demo\nssh_keys: {k: {public_key: '${file:" + dir_ + "/abs.pub}'}}\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_EQ(spec->ssh_keys.at("k").public_key, "ssh-ed25519 AAAAC3Nz abs");
}

TEST_F(LoaderTest, ReferencesAreRecordedOnceInOrder) {
  auto spec = LoadText("deployment: demo\n"
                       "providers: {do: {type: digitalocean, region: nyc3}}\n"
                       "tiers:\n"
                       "  db: {provider: do, size: s, image: i}\n"
                       "  cache: {provider: do, size: s, image: i, load_balancer: {listeners: [{port: 6379, protocol: tcp}]}}\n"
                       "  api:\n"
                       "    provider: do\n"
                       "    size: s\n"
                       "    image: i\n"
                       "    depends_on: db\n"
                       "    user_data:\n"
                       "      template: templates/app.tmpl\n"
                       "      vars: {a: '${tiers.cache.lb_ip}:${tiers.db.count}', b: '${tiers.cache.names}'}\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_THAT(spec->tiers[2].references, ElementsAre("cache", "db"));
  EXPECT_THAT(spec->tiers[2].depends_on, ElementsAre("db"));
  const auto& lb = *spec->tiers[1].load_balancer;
  EXPECT_EQ(lb.listeners[0].target_port, 6379);
  EXPECT_EQ(lb.listeners[0].target_protocol, "tcp");
  EXPECT_EQ(lb.health_check.protocol, "tcp");
  EXPECT_EQ(lb.health_check.port, 6379);
}

TEST_F(LoaderTest, MergeKeysAndAnchors) {
  auto spec = LoadText("deployment: demo\n"
                       "providers: {do: {type: digitalocean, region: nyc3}}\n"
                       "tiers:\n"
                       "  api: &base {provider: do, size: s-1vcpu-1gb, image: ubuntu, count: 2}\n"
                       "  web:\n"
                       "    <<: *base\n"
                       "    count: 4\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  ASSERT_EQ(spec->tiers.size(), 2u);
  EXPECT_EQ(spec->tiers[1].name, "web");
  EXPECT_EQ(spec->tiers[1].size, "s-1vcpu-1gb");
  EXPECT_EQ(spec->tiers[1].count, 4);
}

TEST_F(LoaderTest, NumbersAndBooleansMaySubstitute) {
  opts_.vars["n"] = "4";
  opts_.vars["fip"] = "TRUE";
  auto spec = LoadText(std::string(testing::kPrelude) + "    count: ${var.n}\n    floating_ip: ${var.fip}\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_EQ(spec->tiers[0].count, 4);
  EXPECT_TRUE(spec->tiers[0].floating_ip);
}

TEST_F(LoaderTest, ExistingNetworkByName) {
  auto spec = LoadText("deployment: demo\n"
                       "providers: {os: {type: openstack, cloud: lab}, do: {type: digitalocean, region: nyc3}}\n"
                       "networks: {app: {provider: os, existing: project-net}, vpc: {provider: do, existing: team}}\n"
                       "tiers: {api: {provider: os, size: s, image: i, network: app}}\n");
  ASSERT_TRUE(spec.has_value()) << ::testing::PrintToString(Lines());
  const NetworkSpec& n = spec->networks.at("app");
  EXPECT_EQ(n.existing, "project-net");
  EXPECT_EQ(n.cidr, "");
  EXPECT_EQ(n.provider, "os");
  EXPECT_EQ(spec->tiers[0].network, "app");
  EXPECT_EQ(spec->networks.at("vpc").existing, "team");
}

TEST_F(LoaderTest, LiteralImageIsPassedThrough) {
  auto spec = LoadText("deployment: demo\n"
                       "providers: {do: {type: digitalocean, region: nyc3}}\n"
                       "images: {ubuntu: {provider: do, source: ubuntu-22-04-x64}}\n"
                       "tiers: {api: {provider: do, size: s, image: debian-12-x64}}\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_EQ(spec->tiers[0].image, "debian-12-x64");
}

TEST_F(LoaderTest, GroupDefaults) {
  auto spec = LoadText(std::string(testing::kPrelude) + "    group: {max: 5}\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_EQ(spec->tiers[0].group->min, 1);
  EXPECT_EQ(spec->tiers[0].group->max, 5);
  spec = LoadText(std::string(testing::kPrelude) + "    group: {min: 3}\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_EQ(spec->tiers[0].group->max, 3);
}

TEST_F(LoaderTest, Utf8BomIsAccepted) {
  auto spec = LoadText("\xEF\xBB\xBF" + std::string(testing::kPrelude));
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
}

TEST_F(LoaderTest, NoTiersIsAWarning) {
  auto spec = LoadText("deployment: demo\n");
  ASSERT_TRUE(spec);
  EXPECT_THAT(Lines(), ElementsAre("spec.yaml: warning: no tiers are defined; there is nothing to deploy"));
}

TEST(FindTierRefsTest, FindsReferences) {
  EXPECT_THAT(FindTierRefs("${tiers.cassandra.private_ips}"),
              ElementsAre(TierRef{"cassandra", "private_ips"}));
  EXPECT_THAT(FindTierRefs("a ${tiers.db.ips},$${tiers.x.ips} ${var.x} ${tiers.api.lb_ip}:80 ${tiers.bad} ${tiers."),
              ElementsAre(TierRef{"db", "ips"}, TierRef{"api", "lb_ip"}));
  EXPECT_THAT(FindTierRefs("plain"), IsEmpty());
}

}  // namespace
}  // namespace orch::spec
