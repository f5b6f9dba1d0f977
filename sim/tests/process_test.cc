// The cloudsim binary as a process: startup line, health, signals, exit
// code, --env-file, --state across restarts, TLS, bad flags.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/test_client.h"

namespace cloudsim {
namespace {

using testing::TestConn;
using testing::TestResponse;

// One running cloudsim child.
class Cloudsim {
 public:
  ~Cloudsim() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }

  // Starts the binary; returns the parsed first stdout line, or null if the
  // process exited (or printed nothing within 10 s).
  nlohmann::json Start(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) return nullptr;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      std::string bin = CLOUDSIM_BINARY;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    if (line.find('\n') == std::string::npos) return nullptr;
    line.resize(line.find('\n'));
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) return nullptr;
    std::string base = j.value("base", "");
    port_ = std::atoi(base.substr(base.rfind(':') + 1).c_str());
    return j;
  }

  // Sends `sig` and returns the exit code (-1 if killed or still running after 10 s).
  int Signal(int sig) {
    kill(pid_, sig);
    return Wait();
  }
  int Wait() {
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  int port() const { return port_; }
  std::unique_ptr<TestConn> Connect(SSL_CTX* ctx = nullptr) { return TestConn::Connect(port_, ctx); }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
};

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(ProcessTest, StartupLineHealthAndCleanExitOnSigterm) {
  Cloudsim sim;
  nlohmann::json start = sim.Start({"--port", "0", "--seed", "3", "--time-scale", "0.01"});
  ASSERT_FALSE(start.is_null());
  EXPECT_EQ(start["base"], "http://127.0.0.1:" + std::to_string(sim.port()));
  EXPECT_EQ(start["admin"], start["base"].get<std::string>() + "/_sim");
  ASSERT_TRUE(start["env"].is_object());
#ifdef CLOUDSIM_HAVE_digitalocean
  EXPECT_EQ(start["digitalocean"], start["base"].get<std::string>() + "/v2");
#endif
#ifdef CLOUDSIM_HAVE_gce
  EXPECT_TRUE(start.contains("gce"));
#endif
#ifdef CLOUDSIM_HAVE_openstack
  EXPECT_TRUE(start.contains("openstack_auth_url"));
#endif
  auto c = sim.Connect();
  ASSERT_TRUE(c);
  TestResponse r;
  ASSERT_TRUE(c->Request("GET", "/_sim/health", "", &r));
  EXPECT_EQ(r.status, 200);
  auto health = nlohmann::json::parse(r.body);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["seed"], 3);
  EXPECT_EQ(sim.Signal(SIGTERM), 0);
}

TEST_F(ProcessTest, SigintAlsoExitsCleanly) {
  Cloudsim sim;
  ASSERT_FALSE(sim.Start({"--port", "0"}).is_null());
  EXPECT_EQ(sim.Signal(SIGINT), 0);
}

TEST_F(ProcessTest, EnvFileHoldsTheStartupEnv) {
  std::string env_path = dir_ + "/cloudsim.env";
  Cloudsim sim;
  nlohmann::json start = sim.Start({"--port", "0", "--env-file", env_path});
  ASSERT_FALSE(start.is_null());
  ASSERT_TRUE(std::filesystem::exists(env_path));
  // Source the file in a shell and compare every variable with the line.
  std::ofstream check(dir_ + "/check.sh");
  check << ". " << env_path << "\n";
  for (const auto& [key, value] : start["env"].items()) {
    std::string v = value.is_string() ? value.get<std::string>() : value.dump();
    std::string quoted = "'";
    for (char ch : v) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    quoted += "'";
    check << "[ \"$" << key << "\" = " << quoted << " ] || { echo mismatch " << key << "; exit 1; }\n";
  }
  check.close();
  EXPECT_EQ(testing::RunShell("bash " + dir_ + "/check.sh"), 0);
  std::ifstream in(env_path);
  std::stringstream text;
  text << in.rdbuf();
  size_t lines = 0;
  for (char ch : text.str()) lines += ch == '\n';
  EXPECT_EQ(lines, start["env"].size());
  EXPECT_EQ(sim.Signal(SIGTERM), 0);
}

std::string Resources(Cloudsim& sim) {
  auto c = sim.Connect();
  TestResponse r;
  if (!c || !c->Request("GET", "/_sim/resources", "", &r) || r.status != 200) return "error";
  // Status moves on with simulated time (a new droplet becomes active).
  nlohmann::json list = nlohmann::json::parse(r.body)["resources"];
  for (auto& res : list) res.erase("status");
  return list.dump();
}

TEST_F(ProcessTest, StatePersistsAcrossRestarts) {
  std::string state = dir_ + "/state.json";
  std::string before;
  {
    Cloudsim sim;
    nlohmann::json start = sim.Start({"--port", "0", "--state", state, "--time-scale", "0.001"});
    ASSERT_FALSE(start.is_null());
#ifdef CLOUDSIM_HAVE_digitalocean
    auto c = sim.Connect();
    TestResponse r;
    std::string token = start["env"]["DIGITALOCEAN_TOKEN"];
    ASSERT_TRUE(c->Request("POST", "/v2/droplets",
                           R"({"name":"kept","region":"nyc3","size":"s-1vcpu-1gb","image":"ubuntu-22-04-x64"})", &r,
                           "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n"));
    ASSERT_EQ(r.status, 202) << r.body;
#endif
    auto admin = sim.Connect();
    TestResponse r2;
    ASSERT_TRUE(admin->Request("POST", "/_sim/save", "", &r2));
    EXPECT_EQ(r2.status, 200) << r2.body;
    before = Resources(sim);
    EXPECT_EQ(sim.Signal(SIGTERM), 0);
  }
  ASSERT_TRUE(std::filesystem::exists(state));
  std::ifstream in(state);
  nlohmann::json saved = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(saved.is_discarded());
  EXPECT_EQ(saved["cloudsim_state"], 1);
  EXPECT_TRUE(saved["apis"].is_object());
#ifdef CLOUDSIM_HAVE_digitalocean
  EXPECT_NE(before.find("\"kept\""), std::string::npos) << before;
#endif
  Cloudsim again;
  ASSERT_FALSE(again.Start({"--port", "0", "--state", state}).is_null());
  EXPECT_EQ(Resources(again), before);
  EXPECT_EQ(again.Signal(SIGTERM), 0);
}

TEST_F(ProcessTest, BadFlagsFailWithoutAStartupLine) {
  {
    Cloudsim sim;
    EXPECT_TRUE(sim.Start({"--faults", "bogus=1"}).is_null());
    EXPECT_NE(sim.Wait(), 0);
  }
  {
    Cloudsim sim;
    EXPECT_TRUE(sim.Start({"--tls-cert", CLOUDSIM_BINARY}).is_null());
    EXPECT_NE(sim.Wait(), 0);
  }
  {
    std::ofstream(dir_ + "/bad.json") << "[]";
    Cloudsim sim;
    EXPECT_TRUE(sim.Start({"--state", dir_ + "/bad.json"}).is_null());
    EXPECT_NE(sim.Wait(), 0);
  }
}

TEST_F(ProcessTest, TlsServesHttpsAndSaysSo) {
  std::string cert = dir_ + "/c.pem", key = dir_ + "/k.pem";
  ASSERT_EQ(testing::RunShell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
                              "-subj /CN=localhost -keyout " + key + " -out " + cert + " >/dev/null 2>&1"),
            0);
  Cloudsim sim;
  nlohmann::json start = sim.Start({"--port", "0", "--tls-cert", cert, "--tls-key", key, "--faults", "rate=0.1"});
  ASSERT_FALSE(start.is_null());
  EXPECT_EQ(start["admin"].get<std::string>().rfind("https://127.0.0.1:", 0), 0u);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  {
    auto c = sim.Connect(ctx);
    ASSERT_TRUE(c);
    TestResponse r;
    ASSERT_TRUE(c->Request("GET", "/_sim/faults", "", &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(nlohmann::json::parse(r.body)["spec"], "rate=0.1");
  }
  SSL_CTX_free(ctx);
  EXPECT_EQ(sim.Signal(SIGTERM), 0);
}

}  // namespace
}  // namespace cloudsim
