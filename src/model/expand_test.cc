#include "model/expand.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace orch::model {
namespace {

using nlohmann::json;

// demo: db (3 instances, volume, firewall from tier api), api (group 2..6
// behind an LB, references db), mon (1 instance with a floating IP, explicit
// depends_on api), all on one provider.
spec::Spec ThreeTierSpec(const std::string& provider_type) {
  spec::Spec s;
  s.deployment = "demo";
  spec::ProviderSpec p;
  p.name = "cloud";
  p.type = provider_type;
  p.region = "r1";
  p.zones = {"r1-a", "r1-b"};
  s.providers["cloud"] = p;
  s.images["ubuntu"] = {"ubuntu", "cloud", "ubuntu-22-04", "", {}};
  s.networks["main"] = {"main", "cloud", "10.10.0.0/16", "", {}};
  s.ssh_keys["ops"] = {"ops", "ssh-ed25519 AAAA ops", {}};

  spec::TierSpec db;
  db.name = "db";
  db.provider = "cloud";
  db.count = 3;
  db.size = "m";
  db.image = "ubuntu";
  db.network = "main";
  db.ssh_keys = {"ops"};
  db.volumes = {{"data", 100, "ssd", {}}};
  spec::FirewallRule rule;
  rule.ports = "9042";
  rule.sources = {"tier:api", "10.0.0.0/8"};
  db.firewall = {rule};
  db.user_data = spec::UserDataSpec{"/t/db.tmpl", {{"cluster", "ring"}}, {}};

  spec::TierSpec api;
  api.name = "api";
  api.provider = "cloud";
  api.group = spec::GroupSpec{2, 6, 0.6, {}};
  api.size = "s";
  api.image = "ubuntu";
  api.network = "main";
  api.user_data = spec::UserDataSpec{"/t/api.tmpl", {{"cp", "${tiers.db.private_ips}"}}, {}};
  api.references = {"db"};
  spec::LoadBalancerSpec lb;
  lb.listeners = {spec::ListenerSpec{"http", 80, 8080, "", {}}};
  api.load_balancer = lb;

  spec::TierSpec mon;
  mon.name = "mon";
  mon.provider = "cloud";
  mon.size = "s";
  mon.image = "debian-12";  // literal, not a key of images:
  mon.floating_ip = true;
  mon.depends_on = {"api"};

  s.tiers = {db, api, mon};
  return s;
}

// Adds provider "gcp" (gce) and moves tier `i` onto it.
void MoveTierToGce(spec::Spec* s, size_t i) {
  spec::ProviderSpec gcp;
  gcp.name = "gcp";
  gcp.type = "gce";
  gcp.region = "us";
  s->providers["gcp"] = gcp;
  s->tiers[i].provider = "gcp";
}

ProviderTraits Traits(bool native) { return ProviderTraits{native}; }

const Resource* Find(const Expansion& e, const std::string& addr) {
  for (const Resource& r : e.resources)
    if (r.address.ToString() == addr) return &r;
  return nullptr;
}

std::vector<std::string> Addresses(const Expansion& e) {
  std::vector<std::string> out;
  for (const Resource& r : e.resources) out.push_back(r.address.ToString());
  return out;
}

std::vector<std::string> Deps(const Resource& r) {
  std::vector<std::string> out;
  for (const Address& a : r.depends_on) out.push_back(a.ToString());
  return out;
}

TEST(ExpandTest, ExistingNetworkIsALookup) {
  spec::Spec s = ThreeTierSpec("openstack");
  s.networks["main"].cidr.clear();
  s.networks["main"].existing = "project-net";
  Diagnostics d;
  Expansion e = Expand(s, [](const std::string&) { return Traits(false); }, &d);
  ASSERT_FALSE(d.HasErrors()) << FormatDiagnosticLine(d.items()[0]);
  const Resource* net = Find(e, "network.main");
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->attributes, (json{{"existing", "project-net"}, {"lookup", true}, {"region", "r1"}}));
  // Tiers use it exactly as a created network: by its id, after it.
  const Resource* db0 = Find(e, "db.instance[0]");
  EXPECT_EQ(db0->attributes["network"], "${ref:network.main.id}");
  EXPECT_NE(std::find(db0->depends_on.begin(), db0->depends_on.end(), Address{"", Kind::kNetwork, "main", -1}),
            db0->depends_on.end());
  EXPECT_EQ(Find(e, "api.lb")->attributes["network"], "${ref:network.main.id}");
}

TEST(ExpandTest, ClientSideGroupsBecomeInstances) {
  Diagnostics d;
  Expansion e = Expand(ThreeTierSpec("digitalocean"), [](const std::string&) { return Traits(false); }, &d);
  ASSERT_FALSE(d.HasErrors()) << FormatDiagnosticLine(d.items()[0]);
  EXPECT_EQ(Addresses(e),
            (std::vector<std::string>{"api.instance[0]", "api.instance[1]", "api.lb", "db.firewall", "db.instance[0]",
                                      "db.instance[1]", "db.instance[2]", "db.volume.data[0]", "db.volume.data[1]",
                                      "db.volume.data[2]", "image.ubuntu", "mon.fip[0]", "mon.instance[0]",
                                      "network.main", "ssh_key.ops@cloud"}));

  const Resource* db1 = Find(e, "db.instance[1]");
  ASSERT_NE(db1, nullptr);
  EXPECT_EQ(db1->cloud_name, "demo-db-1");
  EXPECT_EQ(db1->provider, "cloud");
  EXPECT_EQ(db1->tags.at(std::string(kTagDeployment)), "demo");
  EXPECT_EQ(db1->tags.at(std::string(kTagAddress)), "db.instance[1]");
  EXPECT_EQ(db1->tags.at(std::string(kTagTier)), "db");
  EXPECT_EQ(db1->attributes["zone"], "r1-b");
  EXPECT_EQ(Find(e, "db.instance[2]")->attributes["zone"], "r1-a");
  EXPECT_EQ(db1->attributes["image"], "${ref:image.ubuntu.id}");
  EXPECT_EQ(db1->attributes["network"], "${ref:network.main.id}");
  EXPECT_EQ(db1->attributes["ssh_keys"], json::array({"${ref:ssh_key.ops@cloud.id}"}));
  EXPECT_EQ(db1->attributes["user_data"]["template"], "/t/db.tmpl");
  EXPECT_EQ(db1->attributes["target_tag"], "demo-db");
  EXPECT_FALSE(db1->attributes.contains("group"));
  EXPECT_EQ(Deps(*db1), (std::vector<std::string>{"image.ubuntu", "network.main", "ssh_key.ops@cloud"}));

  // The group on a provider without native groups: group.min instances.
  const Resource* api0 = Find(e, "api.instance[0]");
  EXPECT_EQ(api0->attributes["group"], "api");
  EXPECT_EQ(api0->cloud_name, "demo-api-0");
  EXPECT_EQ(Deps(*api0), (std::vector<std::string>{"db.instance[0]", "db.instance[1]", "db.instance[2]",
                                                   "image.ubuntu", "network.main"}));

  const Resource* vol = Find(e, "db.volume.data[2]");
  EXPECT_EQ(vol->cloud_name, "demo-db-data-2");
  EXPECT_EQ(vol->attributes["instance"], "db.instance[2]");
  EXPECT_EQ(vol->attributes["size_gb"], 100);
  EXPECT_EQ(vol->attributes["type"], "ssd");
  EXPECT_EQ(vol->attributes["zone"], "r1-a");
  EXPECT_EQ(Deps(*vol), (std::vector<std::string>{"db.instance[2]"}));

  const Resource* lb = Find(e, "api.lb");
  EXPECT_EQ(lb->cloud_name, "demo-api-lb");
  EXPECT_EQ(lb->attributes["targets"]["tag"], "demo-api");
  EXPECT_EQ(lb->attributes["listeners"][0]["target_protocol"], "http");
  EXPECT_EQ(Deps(*lb), (std::vector<std::string>{"api.instance[0]", "api.instance[1]", "network.main"}));

  const Resource* fw = Find(e, "db.firewall");
  EXPECT_EQ(fw->cloud_name, "demo-db-fw");
  EXPECT_EQ(fw->attributes["target_tag"], "demo-db");
  EXPECT_EQ(fw->attributes["rules"][0]["sources"], json::array({"10.0.0.0/8"}));
  EXPECT_EQ(fw->attributes["rules"][0]["source_tags"], json::array({"demo-api"}));
  // Firewall sources do not order anything.
  EXPECT_EQ(Deps(*fw), (std::vector<std::string>{"network.main"}));

  const Resource* mon = Find(e, "mon.instance[0]");
  EXPECT_EQ(mon->attributes["image"], "debian-12");
  EXPECT_EQ(Deps(*mon), (std::vector<std::string>{"api.instance[0]", "api.instance[1]"}));
  EXPECT_EQ(Deps(*Find(e, "mon.fip[0]")), (std::vector<std::string>{"mon.instance[0]"}));

  const Resource* net = Find(e, "network.main");
  EXPECT_EQ(net->attributes, (json{{"cidr", "10.10.0.0/16"}, {"region", "r1"}}));
  EXPECT_EQ(net->tags.count(std::string(kTagTier)), 0u);
  EXPECT_EQ(Find(e, "image.ubuntu")->attributes, (json{{"source", "ubuntu-22-04"}, {"lookup", true}}));
  EXPECT_EQ(Find(e, "ssh_key.ops@cloud")->attributes["public_key"], "ssh-ed25519 AAAA ops");
}

TEST(ExpandTest, NativeGroupIsOneResource) {
  Diagnostics d;
  Expansion e = Expand(ThreeTierSpec("gce"), [](const std::string& t) { return Traits(t == "gce"); }, &d);
  ASSERT_FALSE(d.HasErrors()) << FormatDiagnosticLine(d.items()[0]);
  EXPECT_EQ(Find(e, "api.instance[0]"), nullptr);
  const Resource* g = Find(e, "api.group");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->cloud_name, "demo-api");
  EXPECT_EQ(g->attributes["min"], 2);
  EXPECT_EQ(g->attributes["max"], 6);
  EXPECT_DOUBLE_EQ(g->attributes["cpu_target"].get<double>(), 0.6);
  EXPECT_EQ(g->attributes["size"], "s");
  EXPECT_EQ(g->attributes["user_data"]["vars"]["cp"], "${tiers.db.private_ips}");
  EXPECT_EQ(Deps(*g), (std::vector<std::string>{"db.instance[0]", "db.instance[1]", "db.instance[2]",
                                                "image.ubuntu", "network.main"}));
  EXPECT_EQ(Deps(*Find(e, "api.lb")), (std::vector<std::string>{"api.group", "network.main"}));
  EXPECT_FALSE(Find(e, "api.lb")->attributes["targets"].contains("private_ips"));
  EXPECT_EQ(Deps(*Find(e, "mon.instance[0]")), (std::vector<std::string>{"api.group"}));
}

TEST(ExpandTest, TierTimeoutsGoOnEveryResourceOfTheTier) {
  spec::Spec s = ThreeTierSpec("digitalocean");
  s.tiers[0].timeouts = spec::TimeoutsSpec{600000, 0, {}};
  Diagnostics d;
  Expansion e = Expand(s, [](const std::string&) { return Traits(false); }, &d);
  ASSERT_FALSE(d.HasErrors()) << FormatDiagnosticLine(d.items()[0]);
  const json want = {{"create_ms", 600000}};
  for (const char* a : {"db.instance[0]", "db.instance[2]", "db.volume.data[1]", "db.firewall"})
    EXPECT_EQ(Find(e, a)->attributes[std::string(kTimeoutsAttribute)], want) << a;
  for (const char* a : {"api.instance[0]", "api.lb", "mon.instance[0]", "mon.fip[0]", "network.main"})
    EXPECT_FALSE(Find(e, a)->attributes.contains(kTimeoutsAttribute)) << a;
}

TEST(ExpandTest, SshKeysArePerProvider) {
  spec::Spec s = ThreeTierSpec("digitalocean");
  MoveTierToGce(&s, 2);
  s.tiers[2].ssh_keys = {"ops"};
  Diagnostics d;
  Expansion e = Expand(s, [](const std::string&) { return Traits(false); }, &d);
  ASSERT_FALSE(d.HasErrors()) << FormatDiagnosticLine(d.items()[0]);
  ASSERT_NE(Find(e, "ssh_key.ops@cloud"), nullptr);
  const Resource* k = Find(e, "ssh_key.ops@gcp");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->provider, "gcp");
  EXPECT_EQ(Find(e, "mon.instance[0]")->attributes["ssh_keys"], json::array({"${ref:ssh_key.ops@gcp.id}"}));
}

TEST(ExpandTest, FirewallSourceTierOnAnotherCloudIsLetInByItsPublicAddresses) {
  spec::Spec s = ThreeTierSpec("digitalocean");
  MoveTierToGce(&s, 2);  // mon, one instance
  spec::FirewallRule scrape;
  scrape.ports = "9100";
  scrape.sources = {"tier:mon"};
  s.tiers[0].firewall.push_back(scrape);  // db: tier:api (same cloud) and tier:mon (other cloud)
  Diagnostics d;
  Expansion e = Expand(s, [](const std::string&) { return Traits(false); }, &d);
  ASSERT_FALSE(d.HasErrors()) << FormatDiagnosticLine(d.items()[0]);
  const Resource* fw = Find(e, "db.firewall");
  ASSERT_NE(fw, nullptr);
  EXPECT_EQ(fw->attributes["rules"][0]["source_tags"], json::array({"demo-api"}));
  EXPECT_EQ(fw->attributes["rules"][1]["source_tags"], json::array());
  EXPECT_EQ(fw->attributes["rules"][1]["sources"], json::array({"${ref:mon.instance[0].public_ip}"}));
  std::vector<std::string> deps = Deps(*fw);
  EXPECT_NE(std::find(deps.begin(), deps.end(), "mon.instance[0]"), deps.end());

  // A native group on the other cloud has no addresses to name: an error.
  s.tiers[1].provider = "gcp";
  s.tiers[0].firewall.resize(1);  // tier:api, now on gcp as a native group
  s.tiers[0].firewall[0].where = SourceRange{"spec.yaml", {12, 9}, {12, 20}};
  Diagnostics d2;
  Expand(s, [](const std::string& type) { return Traits(type == "gce"); }, &d2);
  ASSERT_TRUE(d2.HasErrors());
  EXPECT_NE(FormatDiagnosticLine(d2.items()[0]).find("spec.yaml:12:9: error: firewall source 'tier:api' of tier 'db': "
                                                     "tier 'api' is an instance group on another cloud"),
            std::string::npos)
      << FormatDiagnosticLine(d2.items()[0]);
}

TEST(ExpandTest, UnsupportedFeaturesOnNativeGroupsAreErrors) {
  spec::Spec s = ThreeTierSpec("gce");
  s.tiers[1].volumes = {{"scratch", 10, "", SourceRange{"spec.yaml", {30, 7}, {30, 20}}}};
  s.tiers[1].floating_ip = true;
  s.tiers[1].where = SourceRange{"spec.yaml", {20, 3}, {20, 6}};
  Diagnostics d;
  Expand(s, [](const std::string&) { return Traits(true); }, &d);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(FormatDiagnosticLine(d.items()[0]),
            "spec.yaml:30:7: error: tier 'api': volumes are not supported on a native instance group (gce); "
            "remove the group or the volume 'scratch'");
  EXPECT_EQ(FormatDiagnosticLine(d.items()[1]),
            "spec.yaml:20:3: error: tier 'api': floating IPs are not supported on a native instance group (gce)");
}

TEST(ExpandTest, CloudNameClashIsReported) {
  spec::Spec s = ThreeTierSpec("digitalocean");
  spec::TierSpec clash;
  clash.name = "db-1";  // its instance[0] would be demo-db-1-0, fine; group name demo-db-1 clashes below
  clash.provider = "cloud";
  clash.size = "s";
  clash.image = "x";
  clash.group = spec::GroupSpec{1, 1, 0.5, {}};
  s.tiers.push_back(clash);
  Diagnostics d;
  Expansion e = Expand(s, [](const std::string&) { return Traits(true); }, &d);
  // db-1.group is demo-db-1 (instance_group), db.instance[1] is demo-db-1 (instance): different kinds, no clash.
  EXPECT_FALSE(d.HasErrors());
  s.tiers.back().group.reset();
  s.tiers.back().name = "db";  // same tier name twice -> same cloud names
  Diagnostics d2;
  Expand(s, [](const std::string&) { return Traits(true); }, &d2);
  EXPECT_TRUE(d2.HasErrors());
  EXPECT_NE(FormatDiagnosticLine(d2.items()[0]).find("cloud name 'demo-db-0'"), std::string::npos)
      << FormatDiagnosticLine(d2.items()[0]);
}

TEST(ExpandTest, ReservedTierNameAndUnknownProvider) {
  spec::Spec s = ThreeTierSpec("digitalocean");
  s.tiers[2].name = "network";
  s.tiers[1].provider = "nope";
  Diagnostics d;
  Expansion e = Expand(s, [](const std::string&) { return Traits(false); }, &d);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_NE(d.items()[0].message.find("'nope'"), std::string::npos);
  EXPECT_NE(d.items()[1].message.find("tier name 'network' is reserved"), std::string::npos);
  EXPECT_EQ(Find(e, "api.instance[0]"), nullptr);
}

TEST(CloudNameTest, SanitizesAndBoundsLength) {
  EXPECT_EQ(CloudName({"demo", "My_Tier", "0"}), "demo-my-tier-0");
  std::string long_tier(80, 'a');
  std::string n1 = CloudName({"demo", long_tier, "1"});
  std::string n2 = CloudName({"demo", long_tier, "2"});
  EXPECT_LE(n1.size(), 63u);
  EXPECT_NE(n1, n2);
  EXPECT_EQ(n1, CloudName({"demo", long_tier, "1"}));
  for (char c : n1) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
}

}  // namespace
}  // namespace orch::model
