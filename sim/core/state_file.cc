// Persistence of every Api's model (--state FILE) and the env file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/dispatcher.h"

namespace cloudsim {
namespace {

constexpr int kStateVersion = 1;

bool IsShellName(const std::string& key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

bool WriteFileAtomically(const std::string& path, const std::string& contents, std::string* error) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "creating " + tmp + ": " + std::strerror(errno);
    return false;
  }
  size_t off = 0;
  while (off < contents.size()) {
    ssize_t n = write(fd, contents.data() + off, contents.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = "writing " + tmp + ": " + std::strerror(errno);
      close(fd);
      unlink(tmp.c_str());
      return false;
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    *error = "syncing " + tmp + ": " + std::strerror(errno);
    unlink(tmp.c_str());
    return false;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "renaming " + tmp + " to " + path + ": " + std::strerror(errno);
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

std::string EnvFileText(const nlohmann::json& env) {
  std::string out;
  if (!env.is_object()) return out;
  for (const auto& [key, value] : env.items()) {
    if (!IsShellName(key)) continue;
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    std::string quoted = "'";
    for (char c : text) {
      if (c == '\'') {
        quoted += "'\\''";
      } else {
        quoted += c;
      }
    }
    quoted += "'";
    out += "export " + key + "=" + quoted + "\n";
  }
  return out;
}

bool Dispatcher::SaveState(const std::string& path, std::string* error) {
  std::lock_guard<std::mutex> lock(save_mu_);
  nlohmann::json apis = nlohmann::json::object();
  try {
    for (const auto& api : apis_) apis[api->Name()] = api->Save();
  } catch (const std::exception& e) {
    *error = std::string("serializing state: ") + e.what();
    return false;
  }
  nlohmann::json doc = {{"cloudsim_state", kStateVersion}, {"saved_at", ctx_->Now()}, {"apis", apis}};
  return WriteFileAtomically(path, doc.dump() + "\n", error);
}

bool Dispatcher::LoadState(const std::string& path, bool* loaded, std::string* error) {
  *loaded = false;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (access(path.c_str(), F_OK) != 0) return true;  // first run
    *error = "cannot read " + path;
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("apis") || !doc["apis"].is_object()) {
    *error = path + " is not a cloudsim state file";
    return false;
  }
  if (doc.value("cloudsim_state", 0) != kStateVersion) {
    *error = path + ": unsupported state version";
    return false;
  }
  try {
    for (const auto& api : apis_) {
      auto it = doc["apis"].find(api->Name());
      if (it != doc["apis"].end()) api->Load(*it);
    }
  } catch (const std::exception& e) {
    *error = path + ": " + e.what();
    return false;
  }
  *loaded = true;
  return true;
}

}  // namespace cloudsim
