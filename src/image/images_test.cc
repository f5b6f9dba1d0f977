#include "image/images.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <sys/stat.h>

#include "image/packer_run.h"

namespace orch::image {
namespace {

TEST(MachineLine, SplitsFieldsAndUnescapesCommasAndNewlines) {
  auto m = ParseMachineLine("1764150000,digitalocean,ui,say,==> digitalocean: a%!(PACKER_COMMA) b\\nc\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->timestamp, 1764150000);
  EXPECT_EQ(m->target, "digitalocean");
  EXPECT_EQ(m->type, "ui");
  ASSERT_EQ(m->data.size(), 2u);
  EXPECT_EQ(m->data[0], "say");
  EXPECT_EQ(m->data[1], "==> digitalocean: a, b\nc");
  auto global = ParseMachineLine("1764150000,,ui,error,boom");
  ASSERT_TRUE(global.has_value());
  EXPECT_EQ(global->target, "");
  EXPECT_FALSE(ParseMachineLine("not machine readable").has_value());
  EXPECT_FALSE(ParseMachineLine("12x,a,ui,say,x").has_value());
  EXPECT_FALSE(ParseMachineLine("").has_value());
}

TEST(PackerReport, FoldsArtifactsErrorsAndShowsProgress) {
  PackerReport r;
  const char* lines[] = {
      "1,,ui,say,==> digitalocean: Creating droplet...",
      "2,digitalocean,artifact-count,1",
      "3,digitalocean,artifact,0,builder-id,pearkes.digitalocean",
      "3,digitalocean,artifact,0,id,nyc3:1234",
      "3,digitalocean,artifact,0,string,A snapshot was created: 'x' (ID: 1234)",
      "3,digitalocean,artifact,0,end",
      "4,openstack,artifact,0,id,5e4b1d4c-0000-4000-8000-000000000001",
      "5,,ui,error,Build 'x' errored: boom",
      "6,,error-count,1",
  };
  std::vector<std::string> shown;
  for (const char* l : lines) {
    auto m = ParseMachineLine(l);
    ASSERT_TRUE(m.has_value()) << l;
    if (auto s = r.Add(*m)) shown.push_back(*s);
  }
  ASSERT_EQ(r.artifacts.size(), 2u);
  EXPECT_EQ(r.artifacts[0].build, "digitalocean");
  EXPECT_EQ(r.artifacts[0].builder_id, "pearkes.digitalocean");
  EXPECT_EQ(r.artifacts[0].id, "nyc3:1234");
  EXPECT_EQ(r.artifacts[0].text, "A snapshot was created: 'x' (ID: 1234)");
  EXPECT_EQ(r.artifacts[1].build, "openstack");
  EXPECT_EQ(r.errors, (std::vector<std::string>{"Build 'x' errored: boom"}));
  EXPECT_EQ(r.error_count, 1);
  EXPECT_EQ(shown, (std::vector<std::string>{"==> digitalocean: Creating droplet...", "error: Build 'x' errored: boom"}));
}

TEST(ImageId, MapsArtifactIdsPerProviderType) {
  EXPECT_EQ(*ImageIdFromArtifact("digitalocean", "nyc3:1234"), "1234");
  EXPECT_EQ(*ImageIdFromArtifact("digitalocean", "nyc3,sfo3:77"), "77");
  EXPECT_FALSE(ImageIdFromArtifact("digitalocean", "nyc3:abc").ok());
  EXPECT_FALSE(ImageIdFromArtifact("digitalocean", "").ok());
  EXPECT_EQ(*ImageIdFromArtifact("openstack", "5e4b1d4c-0000-4000-8000-000000000001"),
            "5e4b1d4c-0000-4000-8000-000000000001");
  EXPECT_EQ(*ImageIdFromArtifact("gce", "demo-cass-1764150000"), "demo-cass-1764150000");
  EXPECT_EQ(BuilderType("gce"), "googlecompute");
  EXPECT_EQ(BuilderType("openstack"), "openstack");
}

TEST(Manifest, TakesTheLastRunNewestFirst) {
  auto m = nlohmann::json::parse(R"({
    "builds": [
      {"name": "digitalocean", "builder_type": "digitalocean", "build_time": 100, "artifact_id": "nyc3:1",
       "packer_run_uuid": "old", "custom_data": {"image": "cass"}},
      {"name": "digitalocean", "builder_type": "digitalocean", "build_time": 200, "artifact_id": "nyc3:2",
       "packer_run_uuid": "new", "custom_data": {"image": "cass", "tier": "cassandra"}},
      {"name": "openstack", "builder_type": "openstack", "build_time": 300, "artifact_id": "u-3",
       "packer_run_uuid": "new"}
    ],
    "last_run_uuid": "new"})");
  auto b = LastRunBuilds(m);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0].artifact_id, "u-3");
  EXPECT_EQ((*b)[1].artifact_id, "nyc3:2");
  EXPECT_EQ((*b)[1].custom_data.at("tier"), "cassandra");
  EXPECT_FALSE(LastRunBuilds(nlohmann::json::parse(R"({"x": 1})")).ok());
  EXPECT_TRUE(LastRunBuilds(nlohmann::json::parse(R"({"builds": [], "last_run_uuid": "a"})")).status().IsNotFound());
}

struct Fixture {
  spec::ProviderSpec provider;
  spec::ImageSpec image;
  BuildRequest req;
  std::map<std::string, std::string> env;
  Fixture(const std::string& type) {
    provider.name = "p";
    provider.type = type;
    image.name = "cass";
    image.provider = "p";
    image.source = "ubuntu-22-04-x64";
    req.template_path = "/t/packer/" + type + ".json";
    req.declared = {"api_url", "region", "base_image", "base_image_family", "image_name", "tier",
                    "script", "deployment", "image", "manifest", "size", "project_id", "zone"};
    req.builds = {type == "gce" ? "googlecompute" : type, "other"};
    req.deployment = "demo";
    req.image = "cass";
    req.tier = "cassandra";
    req.script = "/t/packer/scripts/cassandra.sh";
    req.manifest = "/tmp/m.json";
    req.now_seconds = 1764150000;
    req.provider = &provider;
    req.image_spec = &image;
    req.getenv = [this](const std::string& k) { return env.count(k) ? env.at(k) : std::string(); };
  }
};

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(PackerInvocation, DigitalOceanSecretsGoToTheEnvironmentOnly) {
  Fixture f("digitalocean");
  f.provider.region = "nyc3";
  f.provider.endpoint = "http://127.0.0.1:4000/v2";
  f.provider.settings = {{"token", "s3cret-token"}};
  f.req.packer_vars = {"size=s-2vcpu-2gb"};
  auto inv = MakePackerInvocation(f.req);
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_EQ(inv->argv.front(), "packer");
  EXPECT_EQ(inv->argv[1], "build");
  EXPECT_EQ(inv->argv.back(), "/t/packer/digitalocean.json");
  EXPECT_TRUE(Has(inv->argv, "-var=api_url=http://127.0.0.1:4000/"));
  EXPECT_TRUE(Has(inv->argv, "-var=region=nyc3"));
  EXPECT_TRUE(Has(inv->argv, "-var=base_image=ubuntu-22-04-x64"));
  EXPECT_TRUE(Has(inv->argv, "-var=script=/t/packer/scripts/cassandra.sh"));
  EXPECT_TRUE(Has(inv->argv, "-var=size=s-2vcpu-2gb"));
  EXPECT_EQ(inv->argv[3], "-only=digitalocean");
  EXPECT_TRUE(Has(inv->argv, "-var=image_name=demo-cass-1764150000"));
  EXPECT_EQ(inv->image_name, "demo-cass-1764150000");
  for (const std::string& arg : inv->argv) EXPECT_EQ(arg.find("s3cret"), std::string::npos) << arg;
  EXPECT_EQ(inv->env.at("DIGITALOCEAN_API_TOKEN"), "s3cret-token");
  EXPECT_EQ(inv->env.at("CHECKPOINT_DISABLE"), "1");

  // The token may come from the environment; without one the build is refused.
  f.provider.settings = nlohmann::json::object();
  f.env["DIGITALOCEAN_TOKEN"] = "from-env";
  EXPECT_EQ(MakePackerInvocation(f.req)->env.at("DIGITALOCEAN_API_TOKEN"), "from-env");
  f.env.clear();
  auto refused = MakePackerInvocation(f.req);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("DIGITALOCEAN_TOKEN"), std::string::npos);
}

TEST(PackerInvocation, OnlyDeclaredVariablesArePassedAndUnknownOverridesAreRefused) {
  Fixture f("digitalocean");
  f.provider.settings = {{"token", "t"}};
  f.req.declared = {"base_image", "script"};
  auto inv = MakePackerInvocation(f.req);
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->argv.size(), 7u);  // packer build -machine-readable -only 2 vars template
  f.req.only = "other";
  EXPECT_EQ(MakePackerInvocation(f.req)->argv[3], "-only=other");
  f.req.only = "nope";
  EXPECT_EQ(MakePackerInvocation(f.req).status().message(),
            "the template /t/packer/digitalocean.json has no build named 'nope' (builds: digitalocean, other)");
  f.req.only = "";
  f.req.builds = {"custom"};
  EXPECT_EQ(MakePackerInvocation(f.req)->argv.size(), 6u);  // no build named digitalocean: no -only
  f.req.packer_vars = {"flavor=m1.tiny"};
  auto bad = MakePackerInvocation(f.req);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "--packer-var flavor: the template /t/packer/digitalocean.json declares no variable 'flavor'");
  f.req.packer_vars = {"=x"};
  EXPECT_FALSE(MakePackerInvocation(f.req).ok());
}

TEST(PackerInvocation, OpenStackCredentialsAsOsVariablesAndGceFamilies) {
  Fixture os("openstack");
  os.provider.region = "RegionOne";
  os.provider.settings = {{"auth_url", "http://127.0.0.1:5000/v3"}, {"username", "demo"}, {"password", "pw-secret"},
                          {"project_name", "demo"}, {"user_domain_name", "Default"}};
  auto inv = MakePackerInvocation(os.req);
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_EQ(inv->env.at("OS_AUTH_URL"), "http://127.0.0.1:5000/v3");
  EXPECT_EQ(inv->env.at("OS_PASSWORD"), "pw-secret");
  EXPECT_EQ(inv->env.at("OS_REGION_NAME"), "RegionOne");
  EXPECT_FALSE(inv->env.count("OS_CLOUD"));
  for (const std::string& arg : inv->argv) EXPECT_EQ(arg.find("pw-secret"), std::string::npos) << arg;

  Fixture gce("gce");
  gce.provider.region = "us-central1";
  gce.provider.zones = {"us-central1-b"};
  gce.provider.settings = {{"project", "proj-1"}};
  gce.image.source = "family:debian-12";
  auto g = MakePackerInvocation(gce.req);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(Has(g->argv, "-var=base_image_family=debian-12"));
  EXPECT_TRUE(Has(g->argv, "-var=base_image="));
  EXPECT_TRUE(Has(g->argv, "-var=project_id=proj-1"));
  EXPECT_TRUE(Has(g->argv, "-var=zone=us-central1-b"));
}

TEST(RunPackerTest, PassesExtraEnvironmentStreamsLinesAndReturnsTheExitStatus) {
  std::string script = ::testing::TempDir() + "/fake_packer.sh";
  {
    std::ofstream f(script);
    f << "#!/bin/sh\necho \"1,,ui,say,token=$DIGITALOCEAN_API_TOKEN args=$*\"\nprintf 'no newline at end'\nexit 3\n";
  }
  ASSERT_EQ(chmod(script.c_str(), 0700), 0);
  std::vector<std::string> lines;
  std::atomic<bool> cancel{false};
  auto rc = RunPacker({script, "build", "-machine-readable"}, {{"DIGITALOCEAN_API_TOKEN", "tok"}},
                      [&](const std::string& l) { lines.push_back(l); }, &cancel);
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  EXPECT_EQ(*rc, 3);
  EXPECT_EQ(lines, (std::vector<std::string>{"1,,ui,say,token=tok args=build -machine-readable", "no newline at end"}));
  auto missing = RunPacker({::testing::TempDir() + "/no-such-packer"}, {}, [](const std::string&) {}, nullptr);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, 127);
  std::remove(script.c_str());
}

spec::Spec SpecWithPackerImage(const std::string& template_path) {
  spec::Spec s;
  s.deployment = "demo";
  s.path = "deploy.yaml";
  spec::ImageSpec img;
  img.name = "cass";
  img.provider = "do";
  img.source = "ubuntu-22-04-x64";
  img.packer = template_path;
  img.where.filename = "deploy.yaml";
  s.images["cass"] = img;
  spec::ImageSpec plain;
  plain.name = "plain";
  plain.provider = "do";
  plain.source = "debian-12-x64";
  s.images["plain"] = plain;
  spec::TierSpec t;
  t.name = "cassandra";
  t.provider = "do";
  t.image = "cass";
  s.tiers.push_back(t);
  return s;
}

TEST(ImageRecords, MissingBuildIsAnErrorNamingTheCommand) {
  spec::Spec s = SpecWithPackerImage("/nonexistent/packer/digitalocean.json");
  Diagnostics diags;
  std::vector<std::string> notes;
  ApplyImageRecords(&s, state::State{}, &diags, &notes);
  ASSERT_TRUE(diags.HasErrors());
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].message,
            "image 'cass' is built by Packer (/nonexistent/packer/digitalocean.json) but no build of it is recorded "
            "for deployment 'demo'; build it first: orchestrator image build cassandra --provider do --spec "
            "deploy.yaml");
  EXPECT_EQ(s.images["cass"].source, "ubuntu-22-04-x64");
  EXPECT_EQ(s.images["plain"].source, "debian-12-x64");
}

TEST(ImageRecords, RecordedBuildBecomesTheSourceAndTemplateChangesAreFlagged) {
  std::string path = ::testing::TempDir() + "/image_records_template.json";
  { std::ofstream(path) << "{\"builders\": []}\n"; }
  spec::Spec s = SpecWithPackerImage(path);
  state::State st;
  state::ImageRecord rec;
  rec.provider = "do";
  rec.id = "4242";
  rec.artifact = "nyc3:4242";
  rec.tier = "cassandra";
  rec.base = "ubuntu-22-04-x64";
  rec.built_micros = 1764150000000000;
  rec.template_digest = "0000";  // not the file's digest
  st.images["cass"] = rec;
  Diagnostics diags;
  std::vector<std::string> notes;
  ApplyImageRecords(&s, st, &diags, &notes);
  EXPECT_FALSE(diags.HasErrors());
  EXPECT_EQ(s.images["cass"].source, "4242");
  EXPECT_EQ(s.images["cass"].packer, "");  // now a plain lookup of the built image
  EXPECT_EQ(s.images["plain"].source, "debian-12-x64");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0], "image 'cass': using Packer build 4242 (artifact nyc3:4242) of 2025-11-26T09:40:00Z, tier "
                      "cassandra, from ubuntu-22-04-x64");
  EXPECT_EQ(notes[1].rfind("warning: the template " + path + " changed since image 'cass' was built", 0), 0u)
      << notes[1];

  // A build recorded on another provider does not count.
  spec::Spec other = SpecWithPackerImage(path);
  st.images["cass"].provider = "do2";
  Diagnostics d2;
  ApplyImageRecords(&other, st, &d2, &notes);
  ASSERT_TRUE(d2.HasErrors());
  EXPECT_NE(d2.items()[0].message.find("made on provider 'do2', not 'do'"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace orch::image
