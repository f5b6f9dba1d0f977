// cloudsim: serves emulated DigitalOcean, GCE and OpenStack APIs from one
// process on 127.0.0.1. Usage and the startup line: docs/cloudsim.md.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "core/api.h"
#include "core/dispatcher.h"
#include "server/http.h"

#ifdef CLOUDSIM_HAVE_digitalocean
#include "digitalocean/api.h"
#endif
#ifdef CLOUDSIM_HAVE_gce
#include "gce/api.h"
#endif
#ifdef CLOUDSIM_HAVE_openstack
#include "openstack/api.h"
#endif

namespace {

struct Flags {
  int port = 0;
  double time_scale = 1.0;
  uint64_t seed = 1;
  std::string faults;
  std::string tls_cert;
  std::string tls_key;
  std::string state_file;
  std::string env_file;
  std::string data_dir;
  int threads = 16;
};

int Fail(const std::string& message) {
  std::cerr << "cloudsim: " << message << "\n";
  return 1;
}

int Run(const Flags& flags) {
  using namespace cloudsim;
  // SIGTERM/SIGINT are taken by sigwait below; block them before any thread
  // starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::string data_dir = flags.data_dir;
  bool own_data_dir = false;
  std::error_code ec;
  if (data_dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path(ec) / "cloudsim-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return Fail("cannot create a data directory under " + tmpl);
    data_dir = tmpl;
    own_data_dir = true;
  } else {
    std::filesystem::create_directories(data_dir, ec);
    if (ec) return Fail("cannot create --data-dir " + data_dir + ": " + ec.message());
  }

  SimClock clock;
  SimContext ctx(flags.time_scale, flags.seed, &clock);
  ctx.data_dir = data_dir;
  Dispatcher::Options dopts;
  dopts.seed = flags.seed;
  dopts.time_scale = flags.time_scale;
  dopts.state_file = flags.state_file;
  Dispatcher dispatcher(&ctx, dopts);
#ifdef CLOUDSIM_HAVE_digitalocean
  dispatcher.AddApi(MakeDigitalOceanApi(&ctx));
#endif
#ifdef CLOUDSIM_HAVE_gce
  dispatcher.AddApi(MakeGceApi(&ctx));
#endif
#ifdef CLOUDSIM_HAVE_openstack
  dispatcher.AddApi(MakeOpenStackApi(&ctx));
#endif
  std::string error;
  if (!flags.faults.empty() && !dispatcher.SetFaults(flags.faults, &error)) return Fail("--faults: " + error);

  HttpServer::Options sopts;
  sopts.host = "127.0.0.1";
  sopts.port = flags.port;
  sopts.threads = flags.threads;
  sopts.tls_cert = flags.tls_cert;
  sopts.tls_key = flags.tls_key;
  // Requests are answered 503 until the base URL is known and state loaded.
  dispatcher.SetReady(false);
  HttpServer server(sopts, [&dispatcher](const HttpRequest& req) { return dispatcher.Handle(req); });
  if (!server.Start(&error)) return Fail(error);
  ctx.base_url = std::string(server.tls() ? "https" : "http") + "://127.0.0.1:" + std::to_string(server.port());

  if (!flags.state_file.empty()) {
    bool loaded = false;
    if (!dispatcher.LoadState(flags.state_file, &loaded, &error)) {
      server.Stop();
      return Fail("--state: " + error);
    }
    if (loaded) std::cerr << "cloudsim: loaded state from " << flags.state_file << "\n";
  }
  dispatcher.SetReady(true);

  nlohmann::json startup = dispatcher.Describe();
  if (!flags.env_file.empty() &&
      !WriteFileAtomically(flags.env_file, EnvFileText(startup["env"]), &error)) {
    server.Stop();
    return Fail("--env-file: " + error);
  }
  std::fputs((startup.dump() + "\n").c_str(), stdout);
  std::fflush(stdout);

  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  std::cerr << "cloudsim: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", shutting down\n";
  dispatcher.holds().ReleaseAll();  // held requests would keep the workers from joining
  server.Stop();
  int rc = 0;
  if (!flags.state_file.empty()) {
    if (dispatcher.SaveState(flags.state_file, &error)) {
      std::cerr << "cloudsim: saved state to " << flags.state_file << "\n";
    } else {
      std::cerr << "cloudsim: saving state: " << error << "\n";
      rc = 1;
    }
  }
  if (own_data_dir) std::filesystem::remove_all(data_dir, ec);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"cloudsim: emulated DigitalOcean, GCE and OpenStack APIs on 127.0.0.1 (docs/cloudsim.md)"};
  app.add_option("--port", flags.port, "TCP port; 0 picks a free one (default 0)")->check(CLI::Range(0, 65535));
  app.add_option("--time-scale", flags.time_scale, "Multiplier for simulated real-world latencies (default 1)")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--seed", flags.seed, "Seed for every random choice (default 1)");
  app.add_option("--faults", flags.faults, "Fault SPEC, e.g. 'rate=0.1' or 'api=gce,429=0.2;route=/v2/droplets,lost=0.1'");
  auto* cert = app.add_option("--tls-cert", flags.tls_cert, "PEM certificate: serve HTTPS")->check(CLI::ExistingFile);
  auto* key = app.add_option("--tls-key", flags.tls_key, "PEM private key for --tls-cert")->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  app.add_option("--state", flags.state_file, "Load state from FILE at start (if present); save on exit and POST /_sim/save");
  app.add_option("--env-file", flags.env_file, "Also write the client environment as export lines to PATH");
  app.add_option("--data-dir", flags.data_dir, "Directory for generated files (default: a temporary one)");
  app.add_option("--threads", flags.threads, "HTTP worker threads (default 16)")->check(CLI::Range(1, 512));
  CLI11_PARSE(app, argc, argv);
  return Run(flags);
}
