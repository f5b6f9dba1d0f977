// One test per kind of spec error, asserting the exact diagnostic text.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/spec_test_util.h"

namespace orch::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kPrelude;

class LoaderErrorsTest : public testing::SpecFixture {};

TEST_F(LoaderErrorsTest, YamlSyntaxError) {
  EXPECT_THAT(Errors("deployment: demo\ntiers:\n  api: {provider: do\n"),
              ElementsAre("spec.yaml:4:1: error: YAML syntax error: end of map flow not found"));
}

TEST_F(LoaderErrorsTest, YamlSyntaxErrorBadIndentation) {
  EXPECT_THAT(Errors("deployment: demo\nproviders:\n  do: {type: digitalocean}\n   x: 1\n"),
              ElementsAre("spec.yaml:4:4: error: YAML syntax error: end of map not found"));
}

TEST_F(LoaderErrorsTest, YamlSyntaxErrorExplainsTabIndentation) {
  EXPECT_THAT(Errors("deployment: demo\nproviders:\n\tdo: {type: digitalocean}\n"),
              ElementsAre("spec.yaml:3:4: error: YAML syntax error: illegal map value (line 3 is indented with a tab; "
                          "YAML indentation must use spaces)"));
}

TEST_F(LoaderErrorsTest, YamlSyntaxErrorExplainsAnUnquotedIndexInAFlowMap) {
  EXPECT_THAT(Errors(std::string(testing::kPrelude) + "moved:\n  - {from: api.volume.data[0], to: api.volume.disk[0]}\n"),
              ElementsAre("spec.yaml:10:27: error: YAML syntax error: end of map flow not found (inside { } a value "
                          "with [ ] must be quoted: 'api.volume.data[0]')"));
}

TEST_F(LoaderErrorsTest, ControlCharacters) {
  EXPECT_THAT(Errors(std::string("deployment: de\0mo\n", 18)),
              ElementsAre("spec.yaml:1:15: error: control character 0x00 is not allowed in YAML"));
  EXPECT_THAT(Errors("deployment: demo\n  \x1b[31m\n"),
              ElementsAre("spec.yaml:2:3: error: control character 0x1B is not allowed in YAML"));
}

TEST_F(LoaderErrorsTest, DuplicateKeyReportsSecondOccurrence) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "    size: s-2vcpu-4gb\n"),
              ElementsAre("spec.yaml:9:5: error: duplicate key 'size' (first defined on line 7)"));
}

// Maps inside lists are walked by the tree check (duplicate keys, merge
// keys); found by fuzzing under AddressSanitizer, which reported a dangling
// node reference in that walk.
TEST_F(LoaderErrorsTest, MapsInsideATopLevelListAreChecked) {
  EXPECT_THAT(Errors("- deployment: a\n  deployment: b\n- tiers: {}\n"),
              ElementsAre("spec.yaml:1:1: error: the spec must be a map with keys such as 'deployment', "
                          "'providers' and 'tiers', got a list",
                          "spec.yaml:2:3: error: duplicate key 'deployment' (first defined on line 1)"));
}

TEST_F(LoaderErrorsTest, DuplicateTopLevelKey) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "deployment: other\n"),
              ElementsAre("spec.yaml:9:1: error: duplicate key 'deployment' (first defined on line 1)"));
}

TEST_F(LoaderErrorsTest, UnknownKeyWithSuggestion) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "    cont: 3\n"),
              ElementsAre("spec.yaml:9:5: error: unknown key 'cont' in tier 'api'; did you mean 'count'?"));
}

TEST_F(LoaderErrorsTest, UnknownTopLevelKey) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "tier: {}\n"),
              ElementsAre("spec.yaml:9:1: error: unknown key 'tier' at the top level; did you mean 'tiers'?"));
}

TEST_F(LoaderErrorsTest, UnknownKeyWithoutSuggestionListsKeys) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "    group: {min: 1, max: 2, zzzzzz: 1}\n"),
              ElementsAre("spec.yaml:9:29: error: unknown key 'zzzzzz' in the group of tier 'api'; expected one "
                          "of: min, max, cpu_target"));
}

TEST_F(LoaderErrorsTest, TimeoutsTakeDurationsForCreateAndDelete) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "    timeouts: {create: ten, delete: 5, update: 1m}\n"),
              ElementsAre("spec.yaml:9:24: error: 'create' in the timeouts of tier 'api' must be a duration such as "
                          "90s, 10m or 1h30m, got 'ten'",
                          "spec.yaml:9:37: error: 'delete' in the timeouts of tier 'api' must be a duration such as "
                          "90s, 10m or 1h30m, got '5'",
                          "spec.yaml:9:40: error: unknown key 'update' in the timeouts of tier 'api'; expected one "
                          "of: create, delete"));
  EXPECT_THAT(Errors(std::string(kPrelude) + "    timeouts: {create: 500ms, delete: 25h}\n"),
              ElementsAre("spec.yaml:9:24: error: 'create' in the timeouts of tier 'api' must be from 1s to 24h, "
                          "got '500ms'",
                          "spec.yaml:9:39: error: 'delete' in the timeouts of tier 'api' must be from 1s to 24h, "
                          "got '25h'"));
  EXPECT_THAT(Errors(std::string(kPrelude) + "    timeouts: 10m\n"),
              ElementsAre("spec.yaml:9:15: error: expected a map for 'timeouts', got '10m'"));
}

TEST_F(LoaderErrorsTest, UnknownKeyInNestedBlocks) {
  EXPECT_THAT(Errors(std::string(kPrelude) +
                     "    volumes: [{name: data, size_gbb: 10}]\n"
                     "    load_balancer: {listeners: [{port: 80, target_prot: 8080}], helth_check: {}}\n"),
              ElementsAre("spec.yaml:9:15: error: missing 'size_gb' in volume 1 of tier 'api'",
                          "spec.yaml:9:28: error: unknown key 'size_gbb' in volume 1 of tier 'api'; did you mean "
                          "'size_gb'?",
                          "spec.yaml:10:44: error: unknown key 'target_prot' in listener 1 of tier 'api'; did you "
                          "mean 'target_port'?",
                          "spec.yaml:10:65: error: unknown key 'helth_check' in the load_balancer of tier 'api'; "
                          "did you mean 'health_check'?"));
}

TEST_F(LoaderErrorsTest, WrongTypeInteger) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "    count: three\n"),
              ElementsAre("spec.yaml:9:12: error: expected an integer for 'count', got 'three'"));
}

TEST_F(LoaderErrorsTest, WrongTypeMapListBool) {
  EXPECT_THAT(Errors(std::string(kPrelude) +
                     "    group: 3\n"
                     "    ssh_keys: ops\n"
                     "    floating_ip: maybe\n"
                     "    size_x: 1\n"),
              ElementsAre("spec.yaml:9:12: error: expected a map for 'group', got '3'",
                          "spec.yaml:10:15: error: expected a list for 'ssh_keys', got 'ops'",
                          "spec.yaml:11:18: error: expected true or false for 'floating_ip', got 'maybe'",
                          "spec.yaml:12:5: error: unknown key 'size_x' in tier 'api'; did you mean 'size'?"));
}

TEST_F(LoaderErrorsTest, WrongTypeString) {
  EXPECT_THAT(Errors("deployment: demo\nproviders:\n  do: {type: digitalocean, region: [nyc3]}\n"),
              ElementsAre("spec.yaml:3:36: error: expected a string for 'region', got a list"));
}

TEST_F(LoaderErrorsTest, CountOutOfRange) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "    count: 1001\n"),
              ElementsAre("spec.yaml:9:12: error: 'count' must be between 0 and 1000, got 1001"));
  EXPECT_THAT(Errors(std::string(kPrelude) + "    count: -1\n"),
              ElementsAre("spec.yaml:9:12: error: 'count' must be between 0 and 1000, got -1"));
  EXPECT_THAT(Errors(std::string(kPrelude) + "    count: 99999999999999999999\n"),
              ElementsAre("spec.yaml:9:12: error: 'count' must be between 0 and 1000, got 99999999999999999999"));
}

TEST_F(LoaderErrorsTest, CountZeroIsAllowed) {
  auto spec = LoadText(std::string(kPrelude) + "    count: 0\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_EQ(spec->tiers[0].count, 0);
}

TEST_F(LoaderErrorsTest, GroupRanges) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "    group: {min: 5, max: 2, cpu_target: 1.5}\n"),
              ElementsAre("spec.yaml:9:5: error: group 'min' (5) is greater than 'max' (2) in tier 'api'",
                          "spec.yaml:9:41: error: 'cpu_target' must be greater than 0 and at most 1 (a fraction of "
                          "one CPU), got 1.5"));
  EXPECT_THAT(Errors(std::string(kPrelude) + "    group: {min: 0, max: 1001, cpu_target: 0}\n"),
              ElementsAre("spec.yaml:9:26: error: 'max' must be between 0 and 1000, got 1001",
                          "spec.yaml:9:44: error: 'cpu_target' must be greater than 0 and at most 1 (a fraction of "
                          "one CPU), got 0"));
}

TEST_F(LoaderErrorsTest, CountAndGroupTogether) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "    count: 2\n    group: {max: 3}\n"),
              ElementsAre("spec.yaml:10:5: error: tier 'api' sets both 'count' and 'group'; use 'count' for a fixed "
                          "number of instances or 'group' for an autoscaled group"));
}

TEST_F(LoaderErrorsTest, VolumeSizeAndPortsOutOfRange) {
  EXPECT_THAT(Errors(std::string(kPrelude) +
                     "    volumes: [{name: data, size_gb: 0}, {name: logs, size_gb: 16385}]\n"
                     "    firewall: [{ports: \"70000\", from: [0.0.0.0/0]}, {ports: 90-80, from: [0.0.0.0/0]}]\n"
                     "    load_balancer: {listeners: [{port: 0}]}\n"),
              ElementsAre("spec.yaml:9:37: error: 'size_gb' must be between 1 and 16384, got 0",
                          "spec.yaml:9:63: error: 'size_gb' must be between 1 and 16384, got 16385",
                          "spec.yaml:10:24: error: invalid ports '70000' in firewall rule 1 of tier 'api': ports "
                          "must be between 1 and 65535",
                          "spec.yaml:10:61: error: invalid ports '90-80' in firewall rule 2 of tier 'api': the "
                          "range's first port is greater than its last",
                          "spec.yaml:11:40: error: 'port' must be between 1 and 65535, got 0"));
}

TEST_F(LoaderErrorsTest, BadCidrs) {
  EXPECT_THAT(Errors("deployment: demo\n"
                     "providers: {do: {type: digitalocean, region: nyc3}}\n"
                     "networks:\n"
                     "  a: {provider: do, cidr: 10.10.1.0/16}\n"
                     "  b: {provider: do, cidr: 10.300.0.0/16}\n"
                     "  c: {provider: do, cidr: 10.0.0.0/33}\n"
                     "  d: {provider: do, cidr: 10.0.0.0}\n"
                     "  e: {provider: do, cidr: 10.01.0.0/16}\n"
                     "tiers:\n"
                     "  api: {provider: do, size: s, image: i, firewall: [{from: [10.0.0.1/8, everyone]}]}\n"),
              ElementsAre("spec.yaml:4:27: error: invalid CIDR '10.10.1.0/16' for network 'a': host bits are set "
                          "(0.0.1.0 lies outside the /16 prefix); did you mean 10.10.0.0/16?",
                          "spec.yaml:5:27: error: invalid CIDR '10.300.0.0/16' for network 'b': '300' is not an "
                          "octet (0-255)",
                          "spec.yaml:6:27: error: invalid CIDR '10.0.0.0/33' for network 'c': the prefix length "
                          "must be a number from 0 to 32",
                          "spec.yaml:7:27: error: invalid CIDR '10.0.0.0' for network 'd': expected a.b.c.d/n, e.g. "
                          "10.0.0.0/16 (the /n is required)",
                          "spec.yaml:8:27: error: invalid CIDR '10.01.0.0/16' for network 'e': expected a.b.c.d/n, "
                          "e.g. 10.0.0.0/16",
                          "spec.yaml:10:61: error: invalid source '10.0.0.1/8' in firewall rule 1 of tier 'api': "
                          "host bits are set (0.0.0.1 lies outside the /8 prefix); did you mean 10.0.0.0/8?",
                          "spec.yaml:10:73: error: invalid source 'everyone' in firewall rule 1 of tier 'api': "
                          "expected a CIDR such as 10.0.0.0/8 or tier:NAME"));
}

TEST_F(LoaderErrorsTest, UnknownProviderType) {
  EXPECT_THAT(Errors("deployment: demo\nproviders:\n  do: {type: digitalcoean, region: nyc3}\n"),
              ElementsAre("spec.yaml:3:14: error: unknown provider type 'digitalcoean' for provider 'do'; did you "
                          "mean 'digitalocean'?"));
  EXPECT_THAT(Errors("deployment: demo\nproviders:\n  do: {type: aws}\n"),
              ElementsAre("spec.yaml:3:14: error: unknown provider type 'aws' for provider 'do'; expected one of: "
                          "digitalocean, gce, openstack"));
}

TEST_F(LoaderErrorsTest, ProviderKeysDependOnType) {
  EXPECT_THAT(Errors("deployment: demo\n"
                     "providers:\n"
                     "  g: {type: gce, region: us-central1, zone: us-east1-b, projcet: p}\n"
                     "  d: {type: digitalocean, region: nyc3, project: p}\n"
                     "  o: {type: openstack, auth_url: 'ftp://x', interface: external}\n"),
              ElementsAre("spec.yaml:3:45: error: zone 'us-east1-b' is not in region 'us-central1'",
                          "spec.yaml:3:57: error: unknown key 'projcet' in provider 'g'; did you mean 'project'?",
                          "spec.yaml:4:41: error: unknown key 'project' in provider 'd'; expected one of: type, "
                          "region, endpoint, token",
                          "spec.yaml:5:3: error: provider 'o' has 'auth_url' but no credentials: set 'username' and "
                          "'password', or 'application_credential_id' and 'application_credential_secret'",
                          "spec.yaml:5:34: error: 'auth_url' must be an http:// or https:// URL, got 'ftp://x'",
                          "spec.yaml:5:56: error: 'interface' must be public, internal or admin, got 'external'"));
}

TEST_F(LoaderErrorsTest, MissingRequiredKeys) {
  EXPECT_THAT(Errors("providers:\n"
                     "  do: {type: digitalocean}\n"
                     "  os: {type: openstack}\n"
                     "  nt: {region: x}\n"
                     "tiers:\n"
                     "  api: {count: 1}\n"),
              ElementsAre("spec.yaml:1:1: error: missing 'deployment' (the deployment's name, e.g. 'deployment: "
                          "demo')",
                          "spec.yaml:2:3: error: missing 'region' in provider 'do'",
                          "spec.yaml:3:3: error: missing 'cloud' or 'auth_url' in provider 'os' (name a clouds.yaml "
                          "entry, or give auth_url with credentials)",
                          "spec.yaml:4:3: error: missing 'type' in provider 'nt' (one of: digitalocean, gce, "
                          "openstack)",
                          "spec.yaml:6:3: error: missing 'provider' in tier 'api'",
                          "spec.yaml:6:3: error: missing 'size' in tier 'api'",
                          "spec.yaml:6:3: error: missing 'image' in tier 'api'"));
}

TEST_F(LoaderErrorsTest, InvalidNames) {
  EXPECT_THAT(Errors("deployment: Demo_1\n"
                     "providers: {do: {type: digitalocean, region: nyc3}}\n"
                     "tiers:\n"
                     "  Web_1: {provider: do, size: s, image: i}\n"),
              ElementsAre("spec.yaml:1:13: error: invalid deployment name 'Demo_1': names start with a lowercase "
                          "letter and use only a-z, 0-9 and '-', at most 31 characters",
                          "spec.yaml:4:3: error: invalid tier name 'Web_1': names start with a lowercase letter and "
                          "use only a-z, 0-9 and '-', at most 31 characters"));
}

TEST_F(LoaderErrorsTest, UnknownReferences) {
  EXPECT_THAT(Errors("deployment: demo\n"
                     "providers: {do: {type: digitalocean, region: nyc3}}\n"
                     "images: {ubuntu: {provider: do, source: ubuntu-22-04-x64}}\n"
                     "networks: {main: {provider: do, cidr: 10.0.0.0/16}}\n"
                     "ssh_keys: {ops: {public_key: 'ssh-ed25519 AAAAC3Nz ops'}}\n"
                     "tiers:\n"
                     "  api:\n"
                     "    provider: dO\n"
                     "    size: s\n"
                     "    image: ubunto\n"
                     "    network: mian\n"
                     "    ssh_keys: [opz]\n"
                     "    depends_on: [dbb]\n"
                     "    firewall: [{from: ['tier:ap']}]\n"
                     "  db: {provider: do, size: s, image: ubuntu, network: other}\n"),
              ElementsAre("spec.yaml:8:15: error: unknown provider 'dO'; did you mean 'do'?",
                          "spec.yaml:10:12: error: unknown image 'ubunto'; did you mean 'ubuntu'? (a name not under "
                          "'images:' is passed to the provider as is)",
                          "spec.yaml:11:14: error: unknown network 'mian'; did you mean 'main'?",
                          "spec.yaml:12:16: error: unknown ssh key 'opz'; did you mean 'ops'?",
                          "spec.yaml:13:18: error: unknown tier 'dbb'; did you mean 'db'?",
                          "spec.yaml:14:24: error: unknown tier 'ap'; did you mean 'api'?",
                          "spec.yaml:15:55: error: unknown network 'other'; defined: main"));
}

TEST_F(LoaderErrorsTest, ExistingNetworks) {
  EXPECT_THAT(Errors("deployment: demo\n"
                     "providers: {os: {type: openstack, cloud: lab}, g: {type: gce, region: us-east1, zone: us-east1-b}}\n"
                     "networks:\n"
                     "  a: {provider: os, existing: project-net, cidr: 10.0.0.0/24}\n"
                     "  b: {provider: os}\n"
                     "  c: {provider: os, existing: ''}\n"
                     "  d: {provider: g,  existing: vpc-1}\n"  // every provider type supports 'existing'
                     "tiers:\n"
                     "  api: {provider: os, size: s, image: i, network: a}\n"),
              ElementsAre("spec.yaml:4:44: error: network 'a' has both 'cidr' and 'existing': an existing network "
                          "keeps its own subnets; remove 'cidr'",
                          "spec.yaml:5:3: error: missing 'cidr' in network 'b' (or 'existing' with the name or id "
                          "of a network the cloud already has)",
                          "spec.yaml:6:31: error: 'existing' must not be empty"));
}

TEST_F(LoaderErrorsTest, ImageAndNetworkMustBelongToTheTierProvider) {
  EXPECT_THAT(Errors("deployment: demo\n"
                     "providers: {do: {type: digitalocean, region: nyc3}, os: {type: openstack, cloud: lab}}\n"
                     "images: {ubuntu: {provider: os, source: ubuntu-22.04}}\n"
                     "networks: {main: {provider: os, cidr: 10.0.0.0/16}}\n"
                     "tiers:\n"
                     "  api: {provider: do, size: s, image: ubuntu, network: main}\n"),
              ElementsAre("spec.yaml:6:39: error: image 'ubuntu' belongs to provider 'os', but tier 'api' runs on "
                          "provider 'do'",
                          "spec.yaml:6:56: error: network 'main' belongs to provider 'os', but tier 'api' runs on "
                          "provider 'do'"));
}

TEST_F(LoaderErrorsTest, DependencyCycleThroughDependsOn) {
  EXPECT_THAT(Errors("deployment: demo\n"
                     "providers: {do: {type: digitalocean, region: nyc3}}\n"
                     "tiers:\n"
                     "  api: {provider: do, size: s, image: i, depends_on: [web]}\n"
                     "  web: {provider: do, size: s, image: i, depends_on: [api]}\n"),
              ElementsAre("spec.yaml:4:55: error: dependency cycle: api -> web -> api"));
}

TEST_F(LoaderErrorsTest, DependencyCycleThroughReferences) {
  Write("t.tmpl", "#cloud-config\n");
  EXPECT_THAT(Errors("deployment: demo\n"
                     "providers: {do: {type: digitalocean, region: nyc3}}\n"
                     "tiers:\n"
                     "  db: {provider: do, size: s, image: i, depends_on: [web]}\n"
                     "  api: {provider: do, size: s, image: i, depends_on: [db]}\n"
                     "  web:\n"
                     "    provider: do\n"
                     "    size: s\n"
                     "    image: i\n"
                     "    user_data: {template: t.tmpl, vars: {api: '${tiers.api.private_ips}'}}\n"
                     "  solo: {provider: do, size: s, image: i, depends_on: [solo]}\n"),
              ElementsAre("spec.yaml:4:54: error: dependency cycle: db -> web -> api -> db",
                          "spec.yaml:11:56: error: dependency cycle: solo -> solo"));
}

TEST_F(LoaderErrorsTest, EachCycleReportedOnce) {
  auto lines = Errors("deployment: demo\n"
                      "providers: {do: {type: digitalocean, region: nyc3}}\n"
                      "tiers:\n"
                      "  a: {provider: do, size: s, image: i, depends_on: [b, c]}\n"
                      "  b: {provider: do, size: s, image: i, depends_on: [a, a]}\n"
                      "  c: {provider: do, size: s, image: i, depends_on: [b]}\n");
  EXPECT_THAT(lines, ElementsAre("spec.yaml:4:53: error: dependency cycle: a -> b -> a",
                                 "spec.yaml:4:56: error: dependency cycle: a -> c -> b -> a"));
}

TEST_F(LoaderErrorsTest, FirewallSourcesDoNotCreateCycles) {
  auto spec = LoadText("deployment: demo\n"
                       "providers: {do: {type: digitalocean, region: nyc3}}\n"
                       "tiers:\n"
                       "  api: {provider: do, size: s, image: i, firewall: [{ports: '80', from: ['tier:web']}]}\n"
                       "  web: {provider: do, size: s, image: i, depends_on: [api]}\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_TRUE(spec->tiers[0].references.empty());
  EXPECT_EQ(spec->tiers[0].firewall[0].sources, std::vector<std::string>{"tier:web"});
}

TEST_F(LoaderErrorsTest, EnvUnset) {
  EXPECT_THAT(Errors("deployment: demo\n"
                     "providers:\n"
                     "  do: {type: digitalocean, region: nyc3, token: '${env:DO_TOKEN}'}\n"),
              ElementsAre("spec.yaml:3:49: error: environment variable DO_TOKEN is not set (used by "
                          "${env:DO_TOKEN}); set DO_TOKEN in the environment or change the spec"));
}

// Commands that call no cloud (validate, graph) need no credentials: an
// unset ${env:} in a provider setting warns there; the region still must be
// set, as the resources depend on it.
TEST_F(LoaderErrorsTest, EnvUnsetInACredentialIsAWarningOffline) {
  opts_.offline = true;
  auto spec = LoadText("deployment: demo\n"
                       "providers:\n"
                       "  do: {type: digitalocean, region: nyc3, token: '${env:DO_TOKEN}'}\n");
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_THAT(Lines(), ::testing::Contains("spec.yaml:3:49: warning: environment variable DO_TOKEN is not set (used by "
                                   "${env:DO_TOKEN}); this command needs no credentials, but plan, deploy and "
                                   "teardown will fail until DO_TOKEN is set"));
  EXPECT_THAT(Errors("deployment: demo\n"
                     "providers:\n"
                     "  do: {type: digitalocean, region: '${env:DO_REGION}'}\n"),
              ElementsAre(::testing::HasSubstr("error: environment variable DO_REGION is not set")));
}

// A secret in user_data (a monitoring host's read-only token) is a
// credential too: validate warns, deploy needs it.
TEST_F(LoaderErrorsTest, EnvUnsetInUserDataIsAWarningOfflineOnly) {
  Write("t.tmpl", "#cloud-config\n");
  const std::string text = "deployment: demo\n"
                           "providers: {do: {type: digitalocean, region: nyc3}}\n"
                           "tiers:\n"
                           "  mon:\n"
                           "    provider: do\n"
                           "    size: s\n"
                           "    image: i\n"
                           "    user_data: {template: t.tmpl, vars: {token: '${env:MON_TOKEN}'}}\n";
  opts_.offline = true;
  auto spec = LoadText(text);
  ASSERT_TRUE(spec) << ::testing::PrintToString(Lines());
  EXPECT_THAT(Lines(), ::testing::Contains(::testing::HasSubstr("warning: environment variable MON_TOKEN is not set")));
  opts_.offline = false;
  EXPECT_THAT(Errors(text), ElementsAre(::testing::HasSubstr("error: environment variable MON_TOKEN is not set")));
}

TEST_F(LoaderErrorsTest, FileMissing) {
  auto lines = Errors("deployment: demo\nssh_keys: {ops: {public_key: '${file:keys/ops.pub}'}}\n");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "spec.yaml:2:30: error: cannot read ${file:keys/ops.pub}: " + dir_ +
                          "/keys/ops.pub: No such file or directory");
}

TEST_F(LoaderErrorsTest, UnknownVariable) {
  EXPECT_THAT(Errors("deployment: demo\n"
                     "variables: {region: nyc3, size: s}\n"
                     "providers: {do: {type: digitalocean, region: '${var.regoin}', token: '${var.tok}'}}\n"),
              ElementsAre("spec.yaml:3:46: error: unknown variable 'regoin' in ${var.regoin}; did you mean 'region'?",
                          "spec.yaml:3:70: error: unknown variable 'tok' in ${var.tok}; known variables: region, "
                          "size"));
  EXPECT_THAT(Errors("deployment: demo\nproviders: {do: {type: digitalocean, region: '${var.r}'}}\n"),
              ElementsAre("spec.yaml:2:46: error: unknown variable 'r' in ${var.r}; no variables are defined: add it "
                          "under 'variables:' or pass --var r=VALUE"));
}

TEST_F(LoaderErrorsTest, UnknownAndMalformedSubstitutions) {
  EXPECT_THAT(Errors(std::string(kPrelude) +
                     "    user_data:\n"
                     "      template: templates/app.tmpl\n"
                     "      vars:\n"
                     "        a: ${ENV:HOME}\n"
                     "        b: x${\n"
                     "        c: ${tiers.api}\n"
                     "        d: ${tiers.apx.ips}\n"
                     "        e: ${tiers.api.prvate_ips}\n"
                     "        f: ${}\n"),
              ElementsAre("spec.yaml:12:12: error: unknown substitution '${ENV:HOME}'; expected ${env:NAME}, "
                          "${file:PATH}, ${var.NAME} or ${tiers.TIER.ATTRIBUTE} (write '$${' for a literal '${')",
                          "spec.yaml:13:12: error: unterminated '${' (write '$${' for a literal '${')",
                          "spec.yaml:14:12: error: malformed tier reference ${tiers.api}; expected "
                          "${tiers.TIER.ATTRIBUTE}",
                          "spec.yaml:15:12: error: unknown tier 'apx' in ${tiers.apx.ips}; did you mean 'api'?",
                          "spec.yaml:16:12: error: unknown tier attribute 'prvate_ips' in "
                          "${tiers.api.prvate_ips}; did you mean 'private_ips'?",
                          "spec.yaml:17:12: error: empty substitution '${}'; expected ${env:NAME}, ${file:PATH}, "
                          "${var.NAME} or ${tiers.TIER.ATTRIBUTE} (write '$${' for a literal '${')"));
}

TEST_F(LoaderErrorsTest, TierReferencesOnlyInUserDataVars) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "    network: ${tiers.api.names}\n"),
              ElementsAre("spec.yaml:9:14: error: ${tiers.api.names} cannot be used here: tier references are "
                          "allowed only in user_data vars"));
}

TEST_F(LoaderErrorsTest, LbIpNeedsALoadBalancer) {
  EXPECT_THAT(Errors(std::string(kPrelude) +
                     "  web:\n"
                     "    provider: do\n"
                     "    size: s\n"
                     "    image: i\n"
                     "    user_data: {template: templates/app.tmpl, vars: {lb: '${tiers.api.lb_ip}'}}\n"),
              ElementsAre("spec.yaml:13:58: error: ${tiers.api.lb_ip} refers to tier 'api', which has no "
                          "load_balancer"));
}

TEST_F(LoaderErrorsTest, MissingTemplate) {
  auto lines = Errors(std::string(kPrelude) + "    user_data: {template: ../nowhere/x.tmpl}\n");
  std::string resolved = std::filesystem::path(dir_).parent_path().string() + "/nowhere/x.tmpl";
  EXPECT_THAT(lines, ElementsAre("spec.yaml:9:27: error: user_data template '../nowhere/x.tmpl' not found (looked "
                                 "for " + resolved + ")"));
}

TEST_F(LoaderErrorsTest, NonUtf8Input) {
  EXPECT_THAT(Errors("deployment: demo\nproviders:\n  do: {type: digitalocean, region: ny\xff}\n"),
              ElementsAre("spec.yaml:3:38: error: invalid UTF-8 (byte 0xFF); the spec must be UTF-8 text"));
  EXPECT_THAT(Errors("deployment: d\xc3\xa9mo\xc0\xaf\n"),
              ElementsAre("spec.yaml:1:17: error: invalid UTF-8 (byte 0xC0); the spec must be UTF-8 text"));
  EXPECT_THAT(Errors(std::string("\xff\xfe" "d\0e\0", 6)),
              ElementsAre("spec.yaml:1:1: error: the spec is UTF-16 encoded; save it as UTF-8"));
}

TEST_F(LoaderErrorsTest, ColumnsCountCharactersNotBytes) {
  EXPECT_THAT(Errors("deployment: demo\n"
                     "providers: {do: {type: digitalocean, region: nyc3}}\n"
                     "tiers:\n"
                     "  api: {provider: do, size: 'ü', image: 'é', cont: 1}\n"),
              ElementsAre("spec.yaml:4:46: error: unknown key 'cont' in tier 'api'; did you mean 'count'?"));
}

TEST_F(LoaderErrorsTest, AliasBombIsCapped) {
  std::string bomb = "deployment: demo\nvariables:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  const char* names = "bcdefghij";
  for (int i = 0; names[i]; ++i) {
    std::string prev(1, names[i] == 'b' ? 'a' : names[i - 1]);
    std::string cur(1, names[i]);
    bomb += "  " + cur + ": &" + cur + " [";
    for (int k = 0; k < 10; ++k) bomb += (k ? ", *" : "*") + prev;
    bomb += "]\n";
  }
  auto lines = Errors(bomb);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("error: the spec expands to more than 100000 YAML nodes (aliases are expanded); "
                                  "simplify it"));
}

TEST_F(LoaderErrorsTest, RecursiveAliasIsCapped) {
  auto lines = Errors("deployment: demo\nvariables: &a {x: *a}\n");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("error: the spec is nested more than 64 levels deep (a recursive alias?)"));
}

TEST_F(LoaderErrorsTest, DeepNestingIsRejected) {
  std::string deep = "deployment: demo\nvariables: {x: " + std::string(100, '[') + std::string(100, ']') + "}\n";
  EXPECT_THAT(Errors(deep), ElementsAre("spec.yaml:2:79: error: the spec is nested more than 64 levels deep (a "
                                        "recursive alias?)"));
  std::string very_deep = "x: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  auto lines = Errors(very_deep);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("spec.yaml:1:"));
}

TEST_F(LoaderErrorsTest, OversizedSpecIsRejected) {
  std::string big = "deployment: demo\n# " + std::string(kMaxSpecBytes, 'x') + "\n";
  EXPECT_THAT(Errors(big), ElementsAre("spec.yaml: error: the spec is " + std::to_string(big.size()) +
                                       " bytes; the limit is 4 MiB"));
}

TEST_F(LoaderErrorsTest, DocumentShape) {
  EXPECT_THAT(Errors(""), ElementsAre("spec.yaml: error: the spec is empty"));
  EXPECT_THAT(Errors("- a\n- b\n"),
              ElementsAre("spec.yaml:1:1: error: the spec must be a map with keys such as 'deployment', "
                          "'providers' and 'tiers', got a list"));
  EXPECT_THAT(Errors("deployment: demo\n---\ndeployment: other\n"),
              ElementsAre("spec.yaml:3:1: error: the spec must be a single YAML document (found another one here)"));
}

TEST_F(LoaderErrorsTest, FirewallRuleChecks) {
  EXPECT_THAT(Errors(std::string(kPrelude) +
                     "    firewall:\n"
                     "      - {protocol: icmp, ports: '22', from: [0.0.0.0/0]}\n"
                     "      - {protocol: tpc, from: []}\n"
                     "      - {ports: '22'}\n"),
              ElementsAre("spec.yaml:10:26: error: 'ports' cannot be used with protocol icmp in firewall rule 1 of "
                          "tier 'api'",
                          "spec.yaml:11:20: error: unknown protocol 'tpc' in firewall rule 2 of tier 'api'; did you "
                          "mean 'tcp'?",
                          "spec.yaml:11:31: error: 'from' in firewall rule 2 of tier 'api' must list at least one "
                          "source",
                          "spec.yaml:12:9: error: missing 'from' in firewall rule 3 of tier 'api' (CIDRs such as "
                          "0.0.0.0/0, or tier:NAME)"));
}

TEST_F(LoaderErrorsTest, LoadBalancerChecks) {
  EXPECT_THAT(Errors(std::string(kPrelude) +
                     "    load_balancer:\n"
                     "      listeners: [{protocol: htp, port: 80}]\n"
                     "      health_check: {path: health, interval_s: 5, timeout_s: 10, healthy_threshold: 11}\n"),
              ElementsAre("spec.yaml:10:30: error: unknown protocol 'htp' in listener 1 of tier 'api'; did you mean "
                          "'http'?",
                          "spec.yaml:11:7: error: health check 'timeout_s' (10) must not exceed 'interval_s' (5) in "
                          "tier 'api'",
                          "spec.yaml:11:28: error: health check 'path' must start with '/', got 'health'",
                          "spec.yaml:11:85: error: 'healthy_threshold' must be between 1 and 10, got 11"));
}

TEST_F(LoaderErrorsTest, ManyErrorsAreAllReported) {
  auto lines = Errors("deployment: Demo\n"                                    // 1
                      "providers:\n"                                          // 2
                      "  do: {type: digitalocean, regoin: nyc3}\n"            // 3
                      "networks: {main: {provider: do, cidr: 10.0.0.1/24}}\n" // 4
                      "tiers:\n"                                              // 5
                      "  api:\n"                                              // 6
                      "    provider: do\n"                                    // 7
                      "    count: many\n"                                     // 8
                      "    size: s\n"                                         // 9
                      "    image: i\n"                                        // 10
                      "    network: mian\n"                                   // 11
                      "    depends_on: [db]\n"                                // 12
                      "    volumes: [{name: data, size_gb: 0}]\n"             // 13
                      "  db:\n"                                               // 14
                      "    provider: gcp\n"                                   // 15
                      "    size: s\n"                                         // 16
                      "    image: i\n"                                        // 17
                      "    depends_on: [api]\n"                               // 18
                      "    floating_ip: yes\n");                              // 19
  EXPECT_THAT(lines,
              ElementsAre("spec.yaml:1:13: error: invalid deployment name 'Demo': names start with a lowercase "
                          "letter and use only a-z, 0-9 and '-', at most 31 characters",
                          "spec.yaml:3:3: error: missing 'region' in provider 'do'",
                          "spec.yaml:3:28: error: unknown key 'regoin' in provider 'do'; did you mean 'region'?",
                          "spec.yaml:4:39: error: invalid CIDR '10.0.0.1/24' for network 'main': host bits are set "
                          "(0.0.0.1 lies outside the /24 prefix); did you mean 10.0.0.0/24?",
                          "spec.yaml:8:12: error: expected an integer for 'count', got 'many'",
                          "spec.yaml:11:14: error: unknown network 'mian'; did you mean 'main'?",
                          "spec.yaml:12:18: error: dependency cycle: api -> db -> api",
                          "spec.yaml:13:37: error: 'size_gb' must be between 1 and 16384, got 0",
                          "spec.yaml:15:15: error: unknown provider 'gcp'; defined: do",
                          "spec.yaml:19:18: error: expected true or false for 'floating_ip', got 'yes'"));
}

TEST_F(LoaderErrorsTest, SecretsNeverAppearInDiagnostics) {
  env_["SECRET_COUNT"] = "hunter2-count";
  env_["SECRET_TYPE"] = "hunter2-type";
  env_["SECRET_CIDR"] = "hunter2-cidr";
  env_["SECRET_URL"] = "hunter2-url";
  Write("secret.txt", "hunter2-file\n");
  auto lines = Errors("deployment: demo\n"
                      "providers:\n"
                      "  do: {type: '${env:SECRET_TYPE}'}\n"
                      "  os: {type: openstack, auth_url: '${env:SECRET_URL}', cloud: '${file:secret.txt}'}\n"
                      "  o2: {type: openstack, cloud: x, interface: '${file:secret.txt}'}\n"
                      "networks: {main: {provider: '${env:SECRET_CIDR}', cidr: '${env:SECRET_CIDR}'}}\n"
                      "tiers:\n"
                      "  api:\n"
                      "    provider: os\n"
                      "    size: s\n"
                      "    image: i\n"
                      "    count: ${env:SECRET_COUNT}\n"
                      "    firewall: [{from: ['${env:SECRET_CIDR}', 'tier:${env:SECRET_TYPE}'], ports: '${file:secret.txt}'}]\n");
  ASSERT_EQ(lines.size(), 10u) << ::testing::PrintToString(lines);
  for (const auto& line : lines) EXPECT_THAT(line, ::testing::Not(HasSubstr("hunter2"))) << line;
  EXPECT_THAT(lines, ::testing::Contains("spec.yaml:12:12: error: expected an integer for 'count', got "
                                         "'${env:SECRET_COUNT}' (after substitution)"));
  EXPECT_THAT(lines, ::testing::Contains("spec.yaml:13:46: error: unknown tier 'tier:${env:SECRET_TYPE}' (after "
                                         "substitution); defined: api"));
  EXPECT_THAT(lines, ::testing::Contains("spec.yaml:3:14: error: unknown provider type '${env:SECRET_TYPE}' (after "
                                         "substitution) for provider 'do'; expected one of: digitalocean, gce, "
                                         "openstack"));
}

TEST_F(LoaderErrorsTest, MalformedMergeKey) {
  EXPECT_THAT(Errors("deployment: demo\nvariables: {<<: 3}\n"),
              ElementsAre("spec.yaml:2:17: error: merge key '<<' expects a map or a list of maps (e.g. '<<: "
                          "*defaults')"));
}

TEST_F(LoaderErrorsTest, NonStringKeys) {
  EXPECT_THAT(Errors("deployment: demo\nvariables: {[a]: 1}\n"),
              ElementsAre("spec.yaml:2:13: error: map keys must be plain strings"));
}

TEST_F(LoaderErrorsTest, MovedMustBeAListOfFromAndTo) {
  EXPECT_THAT(Errors(std::string(kPrelude) + "moved: {from: web, to: api}\n"),
              ElementsAre("spec.yaml:9:8: error: expected a list for 'moved' (e.g. moved: [{from: web, to: front}]), "
                          "got a map"));
  EXPECT_THAT(Errors(std::string(kPrelude) + "moved:\n  - web\n  - {from: web}\n  - {from: web, to: api, too: x}\n"),
              ElementsAre("spec.yaml:10:5: error: expected a map with 'from' and 'to' for a 'moved' entry (e.g. "
                          "moved: [{from: web, to: front}]), got 'web'",
                          "spec.yaml:11:5: error: missing 'to' in a 'moved' entry (e.g. moved: [{from: web, to: "
                          "front}])",
                          "spec.yaml:12:26: error: unknown key 'too' in a 'moved' entry; did you mean 'to'?"));
  EXPECT_THAT(Errors(std::string(kPrelude) + "moved:\n  - {from: '', to: api}\n"),
              ElementsAre("spec.yaml:10:12: error: 'from' must not be empty"));
}

TEST_F(LoaderErrorsTest, MovedNamesMoveOnce) {
  EXPECT_THAT(Errors(std::string(kPrelude) +
                     "moved:\n"                      // 9
                     "  - {from: web, to: api}\n"    // 10
                     "  - {from: web, to: front}\n"  // 11
                     "  - {from: old, to: api}\n"),  // 12
              ElementsAre("spec.yaml:11:5: error: 'web' is moved again (first on line 10); keep one 'moved' entry "
                          "for it",
                          "spec.yaml:12:5: error: 'web' (line 10) and 'old' both move to 'api'; only one can take "
                          "its place"));
}

TEST_F(LoaderErrorsTest, MovedChainsAndCycles) {
  EXPECT_THAT(Errors(std::string(kPrelude) +
                     "moved:\n"                                            // 9
                     "  - {from: web, to: front}\n"                        // 10
                     "  - {from: front, to: api}\n"                        // 11
                     "  - {from: 'db.instance[0]', to: 'db.instance[1]'}\n"    // 12
                     "  - {from: 'db.instance[1]', to: 'db.instance[0]'}\n"),  // 13
              ElementsAre("spec.yaml:10:5: error: chained moves: 'web' -> 'front' -> 'api' (next move on line 11); "
                          "move 'web' to 'api' directly",
                          "spec.yaml:12:5: error: cyclic moves: 'db.instance[0]' -> 'db.instance[1]' -> "
                          "'db.instance[0]'; names cannot be swapped in one deploy: move one to an unused name "
                          "first"));
}

}  // namespace
}  // namespace orch::spec
