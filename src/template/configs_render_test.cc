// Renders every user_data template for every example spec in configs/ with
// fake deployed state (made-up addresses), and validates each rendered file
// with Debian's `cloud-init schema` (scripts/setup installs cloud-init).
#include <unistd.h>

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/expand.h"
#include "model/references.h"
#include "spec/loader.h"
#include "state/references.h"
#include "template/render.h"

namespace orch::tmpl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Rendered {
  std::string address;
  std::string text;
};

struct Deployment {
  spec::Spec spec;
  std::vector<model::Resource> resources;
  state::State state;
  std::map<std::string, Rendered> rendered;  // address -> user data
};

std::optional<spec::Spec> LoadConfig(const fs::path& path, std::string* errors) {
  static const fs::path creds = fs::temp_directory_path() / "template_configs_test_sa.json";
  std::ofstream(creds) << "{}";
  std::map<std::string, std::string> env = {
      {"DIGITALOCEAN_TOKEN", "do-token"},        {"GOOGLE_APPLICATION_CREDENTIALS", creds.string()},
      {"GOOGLE_CLOUD_PROJECT", "demo-project"},  {"OS_AUTH_URL", "http://127.0.0.1:5000/identity/v3"},
      {"OS_USERNAME", "demo"},                   {"OS_PASSWORD", "secret"},
      {"OS_PROJECT_NAME", "demo"},
  };
  spec::LoadOptions opts;
  opts.getenv = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::string("x");
    return it->second;
  };
  Diagnostics diags;
  auto spec = spec::Load(path.string(), opts, &diags);
  for (const auto& d : diags.items()) *errors += FormatDiagnosticLine(d) + "\n";
  return spec;
}

// Fake outputs for every instance, group, load balancer and floating IP, so
// every reference resolves: instance i of the n-th tier (spec order) gets
// 10.0.<n>.<i+10> and 203.0.<n>.<i+10>; a native group reports two members.
state::State FakeState(const spec::Spec& spec, const std::vector<model::Resource>& resources) {
  state::State st;
  std::map<std::string, int> tier_number;
  for (const spec::TierSpec& t : spec.tiers) tier_number.emplace(t.name, static_cast<int>(tier_number.size()) + 1);
  for (const model::Resource& r : resources) {
    const model::Address& a = r.address;
    int n = a.tier.empty() ? 0 : tier_number[a.tier];
    state::ResourceState rs;
    rs.address = a.ToString();
    rs.kind = std::string(model::KindName(a.kind));
    rs.provider = r.provider;
    rs.cloud_name = r.cloud_name;
    rs.id = "id-" + r.cloud_name;
    auto ip = [&](const char* prefix, int i) { return prefix + std::to_string(n) + "." + std::to_string(i); };
    switch (a.kind) {
      case model::Kind::kInstance:
        rs.outputs = {{"private_ip", ip("10.0.", a.index + 10)}, {"public_ip", ip("203.0.", a.index + 10)}};
        break;
      case model::Kind::kInstanceGroup:
        rs.outputs = {{"instances", json::array({{{"name", r.cloud_name + "-a"}, {"private_ip", ip("10.0.", 50)},
                                                  {"public_ip", ip("203.0.", 50)}},
                                                 {{"name", r.cloud_name + "-b"}, {"private_ip", ip("10.0.", 51)},
                                                  {"public_ip", ip("203.0.", 51)}}})}};
        break;
      case model::Kind::kLoadBalancer:
      case model::Kind::kFloatingIp:
        rs.outputs = {{"ip", ip("198.51.", 100 + std::max(a.index, 0))}};
        break;
      default:
        break;
    }
    rs.outputs["id"] = rs.id;
    st.resources[rs.address] = rs;
  }
  return st;
}

// Loads, expands and renders one config the way deploy does (references
// resolved against state, then the template rendered).
Deployment Build(const fs::path& path) {
  Deployment d;
  std::string errors;
  auto spec = LoadConfig(path, &errors);
  EXPECT_TRUE(spec.has_value()) << path << "\n" << errors;
  if (!spec) return d;
  d.spec = *spec;
  // GCE is the provider type with native instance groups (its
  // Capabilities); the others expand groups into instances.
  Diagnostics diags;
  model::Expansion ex = model::Expand(
      d.spec, [](const std::string& type) { return model::ProviderTraits{type == "gce"}; }, &diags);
  for (const auto& e : diags.items()) ADD_FAILURE() << path << ": " << FormatDiagnosticLine(e);
  d.resources = ex.resources;
  d.state = FakeState(d.spec, d.resources);
  for (const model::Resource& r : d.resources) {
    if (!r.attributes.contains("user_data")) continue;
    auto resolved = state::ResolveReferences(r.attributes, d.state);
    if (!resolved.ok()) {
      ADD_FAILURE() << path << " " << r.address.ToString() << ": " << resolved.status().ToString();
      continue;
    }
    const json& ud = (*resolved)["user_data"];
    // Sensitive values are put back just before rendering, as deploy does.
    auto vars = RevealSensitive(ud.value("vars", json::object()), d.spec.sensitive);
    if (!vars.ok()) {
      ADD_FAILURE() << path << " " << r.address.ToString() << ": " << vars.status().ToString();
      continue;
    }
    // Recorded relative to the spec's directory (docs/spec.md#user-data).
    auto text = Render((fs::path(d.spec.dir) / ud["template"].get<std::string>()).lexically_normal().string(),
                       *vars, state::Resolver(d.state));
    if (!text.ok()) {
      ADD_FAILURE() << path << " " << r.address.ToString() << ": " << text.status().ToString();
      continue;
    }
    d.rendered[r.address.ToString()] = {r.address.ToString(), *text};
  }
  return d;
}

std::vector<fs::path> Configs() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(ORCH_SOURCE_DIR) / "configs"))
    if (e.path().extension() == ".yaml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string EnvLine(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t k = line.find_first_not_of(' ');
    if (k != std::string::npos && line.compare(k, key.size() + 1, key + "=") == 0) return line.substr(k + key.size() + 1);
  }
  return "<no " + key + ">";
}

TEST(TemplateConfigsTest, EveryTemplateOfEveryConfigRendersAndPassesCloudInitSchema) {
  ASSERT_EQ(std::system("command -v cloud-init >/dev/null 2>&1"), 0)
      << "cloud-init is not installed (scripts/setup installs it)";
  fs::path dir = fs::temp_directory_path() / ("template_configs_test." + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::set<std::string> templates_seen;
  int files = 0;
  for (const fs::path& config : Configs()) {
    Deployment d = Build(config);
    EXPECT_FALSE(d.rendered.empty()) << config;
    for (const auto& [address, r] : d.rendered) {
      EXPECT_EQ(r.text.rfind("#cloud-config\n", 0), 0u) << config << " " << address;
      // Nothing left unrendered outside comments (which document the syntax).
      std::istringstream lines(r.text);
      std::string line;
      for (int n = 1; std::getline(lines, line); ++n) {
        if (line.compare(0, 1, "#") == 0) continue;
        for (const char* left : {"${vars.", "${var.", "${self.", "${tiers.", "${ref:"})
          EXPECT_EQ(line.find(left), std::string::npos) << config << " " << address << ":" << n << ": " << line;
      }
      std::string name = config.stem().string() + "__" + address;
      for (char& c : name)
        if (c == '[' || c == ']') c = '_';
      std::ofstream(dir / (name + ".yaml")) << r.text;
      ++files;
    }
    for (const model::Resource& res : d.resources)
      if (res.attributes.contains("user_data")) templates_seen.insert(fs::path(res.attributes["user_data"]["template"].get<std::string>()).filename());
  }
  EXPECT_EQ(templates_seen, (std::set<std::string>{"api.yaml.tmpl", "cassandra.yaml.tmpl", "monitoring.yaml.tmpl"}));
  // `cloud-init schema` once per rendered file, four at a time; a failure
  // leaves FILE.fail holding its output.
  std::string cmd = "cd '" + dir.string() +
                    "' && ls *.yaml | xargs -P4 -I{} sh -c 'cloud-init schema --config-file {} >{}.out 2>&1 || "
                    "cp {}.out {}.fail'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  int valid = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".fail") {
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      ADD_FAILURE() << e.path().filename() << " failed cloud-init schema:\n" << ss.str();
    } else if (e.path().extension() == ".out") {
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      valid += ss.str().find("Valid cloud-config") != std::string::npos;
    }
  }
  EXPECT_EQ(valid, files);
  EXPECT_GE(files, 10);
  // The shell scripts the templates write must at least parse (bash -n).
  std::ofstream(dir / "bash_syntax.py") << R"(import glob, subprocess, sys, yaml
bad = 0
for f in sorted(glob.glob(sys.argv[1] + "/*.yaml")):
    for w in yaml.safe_load(open(f)).get("write_files", []):
        if w.get("content", "").startswith("#!/bin/bash"):
            r = subprocess.run(["bash", "-n"], input=w["content"], text=True, capture_output=True)
            if r.returncode:
                bad += 1
                print(f, w["path"], r.stderr)
sys.exit(1 if bad else 0)
)";
  EXPECT_EQ(std::system(("python3 '" + (dir / "bash_syntax.py").string() + "' '" + dir.string() + "'").c_str()), 0)
      << "a rendered shell script does not parse";
  std::printf("cloud-init schema: %d of %d rendered files valid\n", valid, files);
  if (!HasFailure()) fs::remove_all(dir);
}

// Seeds (${self.seeds:2}): rendered against a state holding the whole ring,
// as for a node made again, each node gets two other members; at the first
// deploy (only the prior nodes in state) node 0 gets none, node 1 node 0,
// node >= 2 nodes 0 and 1 (the template adds the node's own address when its
// index < seed_count and it was given no more seeds than its index).
TEST(TemplateConfigsTest, QuickstartSeedsAndEdges) {
  Deployment d = Build(fs::path(ORCH_SOURCE_DIR) / "configs/quickstart.yaml");
  ASSERT_EQ(d.rendered.count("cassandra.instance[2]"), 1u);
  EXPECT_EQ(EnvLine(d.rendered["cassandra.instance[0]"].text, "SEEDS"), "\"10.0.1.11,10.0.1.12\"");
  EXPECT_EQ(EnvLine(d.rendered["cassandra.instance[1]"].text, "SEEDS"), "\"10.0.1.10,10.0.1.12\"");
  EXPECT_EQ(EnvLine(d.rendered["cassandra.instance[2]"].text, "SEEDS"), "\"10.0.1.10,10.0.1.11\"");
  state::State first = d.state;  // as the first deploy makes node i: nodes < i exist
  for (int i = 2; i >= 0; --i) {
    first.resources.erase("cassandra.instance[" + std::to_string(i) + "]");
    auto seeds = state::ResolveReference("seeds:cassandra.instance[" + std::to_string(i) + "]:2", first);
    ASSERT_TRUE(seeds.ok()) << seeds.status().ToString();
    EXPECT_EQ(*seeds, i == 0 ? "" : i == 1 ? "10.0.1.10" : "10.0.1.10,10.0.1.11");
  }
  EXPECT_EQ(EnvLine(d.rendered["cassandra.instance[2]"].text, "NODE_INDEX"), "\"2\"");
  EXPECT_EQ(EnvLine(d.rendered["cassandra.instance[2]"].text, "DEFAULT_DC"), "\"do-nyc3\"");
  EXPECT_EQ(EnvLine(d.rendered["api.instance[0]"].text, "CASSANDRA_CONTACT_POINTS"), "10.0.1.10,10.0.1.11,10.0.1.12");
  // Monitoring is on another cloud: reached over public addresses.
  EXPECT_EQ(EnvLine(d.rendered["api.instance[1]"].text, "MONITORING"), "\"203.0.3.10\"");
  // Monitoring lists no address: it discovers the ring's droplets by tag.
  EXPECT_EQ(EnvLine(d.rendered["monitoring.instance[0]"].text, "DEPLOYMENT"), "\"quickstart\"");
  EXPECT_EQ(EnvLine(d.rendered["monitoring.instance[0]"].text, "SCRAPE_TIERS"), "\"cassandra\"");
  EXPECT_EQ(EnvLine(d.rendered["monitoring.instance[0]"].text, "DIGITALOCEAN_ADDRESS"), "\"public\"");
  std::map<std::string, std::vector<std::string>> deps;
  for (const model::Resource& r : d.resources)
    for (const model::Address& a : r.depends_on) deps[r.address.ToString()].push_back(a.ToString());
  auto has = [&](const std::string& from, const std::string& to) {
    const auto& v = deps[from];
    return std::find(v.begin(), v.end(), to) != v.end();
  };
  EXPECT_FALSE(has("cassandra.instance[0]", "cassandra.instance[1]"));
  EXPECT_TRUE(has("cassandra.instance[1]", "cassandra.instance[0]"));
  EXPECT_TRUE(has("cassandra.instance[2]", "cassandra.instance[0]"));
  EXPECT_TRUE(has("cassandra.instance[2]", "cassandra.instance[1]"));
  EXPECT_TRUE(has("api.instance[0]", "monitoring.instance[0]"));
  // Nor does monitoring wait for the ring: it finds the ring by itself.
  EXPECT_FALSE(has("monitoring.instance[0]", "cassandra.instance[0]"));
}

// Scaling a group must not change another tier's machines: in the configs
// this project owns, no instance or group outside a group tier depends on its
// members. (A firewall on another cloud letting the members in by address
// does, and follows them: on one cloud a tag does that.)
TEST(TemplateConfigsTest, NothingDependsOnAnotherTiersGroupMembers) {
  for (const char* name : {"quickstart.yaml", "multi-cloud.yaml"}) {
    Deployment d = Build(fs::path(ORCH_SOURCE_DIR) / "configs" / name);
    std::set<std::string> group_tiers;
    for (const spec::TierSpec& t : d.spec.tiers)
      if (t.group) group_tiers.insert(t.name);
    ASSERT_FALSE(group_tiers.empty()) << name;
    for (const model::Resource& r : d.resources)
      for (const model::Address& a : r.depends_on)
        if (r.address.kind != model::Kind::kFirewall && group_tiers.count(a.tier) && a.tier != r.address.tier &&
            (a.kind == model::Kind::kInstance || a.kind == model::Kind::kInstanceGroup))
          ADD_FAILURE() << name << ": " << r.address.ToString() << " depends on group member " << a.ToString();
  }
}

}  // namespace
}  // namespace orch::tmpl
