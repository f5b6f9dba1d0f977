#include "image/packer_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/strings.h"

extern char** environ;

namespace orch::image {

namespace {

std::string Unescape(std::string s) {
  static const std::string kComma = "%!(PACKER_COMMA)";
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, kComma.size(), kComma) == 0) {
      out += ',';
      i += kComma.size();
    } else if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'n' || s[i + 1] == 'r')) {
      if (s[i + 1] == 'n') out += '\n';
      i += 2;
    } else {
      out += s[i++];
    }
  }
  return out;
}

}  // namespace

std::optional<MachineLine> ParseMachineLine(const std::string& raw) {
  std::string line = raw;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (fields.size() < 3 || fields[0].empty() || fields[2].empty()) return std::nullopt;
  MachineLine m;
  for (char c : fields[0])
    if (c < '0' || c > '9') return std::nullopt;
  try {
    m.timestamp = std::stoll(fields[0]);
  } catch (...) {
    return std::nullopt;
  }
  m.target = fields[1];
  m.type = fields[2];
  for (size_t i = 3; i < fields.size(); ++i) m.data.push_back(Unescape(fields[i]));
  return m;
}

std::optional<std::string> PackerReport::Add(const MachineLine& line) {
  auto at = [&](size_t i) { return i < line.data.size() ? line.data[i] : std::string(); };
  if (line.type == "ui") {
    std::string kind = at(0), text = at(1);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (kind == "error") errors.push_back(text);
    if (text.empty()) return std::nullopt;
    return kind == "error" ? "error: " + text : text;
  }
  if (line.type == "error-count") {
    try {
      error_count = std::stoi(at(0));
    } catch (...) {
      error_count = 1;
    }
    return std::nullopt;
  }
  if (line.type != "artifact") return std::nullopt;
  // target,artifact,INDEX,KEY,VALUE...
  size_t index = 0;
  try {
    index = static_cast<size_t>(std::stoul(at(0)));
  } catch (...) {
    return std::nullopt;
  }
  // Artifacts are numbered per build: one entry per (build, index).
  Artifact* a = nullptr;
  for (Artifact& x : artifacts)
    if (x.build == line.target && x.index == index) a = &x;
  if (!a) {
    artifacts.push_back({line.target, index, "", "", ""});
    a = &artifacts.back();
  }
  std::string key = at(1), value = at(2);
  if (key == "builder-id") a->builder_id = value;
  else if (key == "id") a->id = value;
  else if (key == "string") a->text = value;
  return std::nullopt;
}

std::string BuilderType(const std::string& provider_type) {
  return provider_type == "gce" ? "googlecompute" : provider_type;
}

Result<std::string> ImageIdFromArtifact(const std::string& provider_type, const std::string& artifact_id) {
  if (artifact_id.empty()) return Status::InvalidArgument("the artifact id is empty");
  if (provider_type == "digitalocean") {
    size_t colon = artifact_id.rfind(':');
    std::string id = colon == std::string::npos ? artifact_id : artifact_id.substr(colon + 1);
    bool digits = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits)
      return Status::InvalidArgument("DigitalOcean artifact id '" + artifact_id +
                                     "' is not REGION:SNAPSHOT_ID with a numeric snapshot id");
    return id;
  }
  if (provider_type == "openstack" || provider_type == "gce") return artifact_id;
  return Status::InvalidArgument("no Packer builder is known for provider type '" + provider_type + "'");
}

Result<std::vector<ManifestBuild>> LastRunBuilds(const nlohmann::json& manifest) {
  if (!manifest.is_object() || !manifest.contains("builds") || !manifest["builds"].is_array())
    return Status::InvalidArgument("not a Packer manifest: expected an object with a \"builds\" list");
  std::string last = manifest.value("last_run_uuid", "");
  std::vector<ManifestBuild> out;
  for (const auto& b : manifest["builds"]) {
    if (!b.is_object()) return Status::InvalidArgument("manifest: a build is not an object");
    ManifestBuild m;
    auto str = [&](const char* k) {
      auto it = b.find(k);
      return it != b.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    m.name = str("name");
    m.builder_type = str("builder_type");
    m.artifact_id = str("artifact_id");
    m.run_uuid = str("packer_run_uuid");
    auto t = b.find("build_time");
    if (t != b.end() && t->is_number_integer()) m.build_time = t->get<int64_t>();
    auto cd = b.find("custom_data");
    if (cd != b.end() && cd->is_object())
      for (const auto& [k, v] : cd->items())
        if (v.is_string()) m.custom_data[k] = v.get<std::string>();
    if (!last.empty() && m.run_uuid != last) continue;
    out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ManifestBuild& a, const ManifestBuild& b) { return a.build_time > b.build_time; });
  if (out.empty()) return Status::NotFound("the manifest holds no build of its last run");
  return out;
}

Result<int> RunPacker(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
                      const std::function<void(const std::string&)>& on_line, const std::atomic<bool>* cancel) {
  if (argv.empty()) return Status::InvalidArgument("no command");
  std::vector<std::string> env_text;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    if (!extra_env.count(key)) env_text.push_back(kv);
  }
  for (const auto& [k, v] : extra_env) env_text.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_text) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Status::Internal(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Its own process group: packer runs its builds in child processes, and
    // a cancel must reach all of them (a terminal's Ctrl-C reaches only us,
    // and we forward it once).
    setpgid(0, 0);
    dup2(fds[1], STDOUT_FILENO);
    execvpe(args[0], args.data(), envp.data());
    std::fprintf(stderr, "error: cannot run '%s': %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  std::string pending;
  bool forwarded = false;
  char buf[4096];
  while (true) {
    if (cancel && cancel->load() && !forwarded) {
      kill(-pid, SIGINT);  // Packer cleans up what it created, then exits
      forwarded = true;
    }
    pollfd p{fds[0], POLLIN, 0};
    int ready = poll(&p, 1, 200);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      on_line(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty()) on_line(pending);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::Internal(std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace orch::image
