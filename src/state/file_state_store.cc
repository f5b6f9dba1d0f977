#include "state/file_state_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "state/lock_message.h"

namespace orch::state {
namespace {

constexpr const char* kStateSuffix = ".state.json";

std::string Errno(const std::string& what) { return what + ": " + strerror(errno); }

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

// Reads the whole file at `path`. kNotFound when it does not exist.
Result<std::string> ReadAll(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::Internal(Errno("cannot open " + path));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Internal(Errno("cannot read " + path));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// How long a run that finds the lock taken waits for the holder's details
// (written right after the holder's flock) before reporting it unnamed: up to
// 2 s, as a loaded machine (two CI jobs at once) can hold the holder back
// that long between its flock and its write.
constexpr int kHolderDetailsTries = 200;
constexpr int64_t kHolderDetailsPollMicros = 10 * 1000;

Result<std::string> ReadFd(int fd, const std::string& path) {
  std::string out;
  char buf[4096];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof(buf), off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Internal(Errno("cannot read " + path));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return out;
}

Status WriteFully(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Internal(Errno("cannot write " + path));
    off += static_cast<size_t>(n);
  }
  return Status::OK();
}

Status FsyncDir(const std::string& dir) {
  Fd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Status::Internal(Errno("cannot open directory " + dir));
  if (fsync(fd.get()) != 0 && errno != EINVAL) return Status::Internal(Errno("cannot fsync " + dir));
  return Status::OK();
}

// Replaces `target` with `data` atomically: temp file, fsync, rename, fsync dir.
Status WriteAtomic(const std::string& dir, const std::string& target, const std::string& data) {
  std::string tmp = target + ".tmp." + std::to_string(getpid()) + "." + RandomHex();
  Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) return Status::Internal(Errno("cannot create " + tmp));
  Status st = WriteFully(fd.get(), data, tmp);
  if (st.ok() && fsync(fd.get()) != 0) st = Status::Internal(Errno("cannot fsync " + tmp));
  if (st.ok() && close(fd.release()) != 0) st = Status::Internal(Errno("cannot close " + tmp));
  if (st.ok() && rename(tmp.c_str(), target.c_str()) != 0) {
    st = Status::Internal(Errno("cannot rename " + tmp + " to " + target));
  }
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  return FsyncDir(dir);
}

Result<State> ParseState(const std::string& path, const std::string& bytes) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument("state file " + path + " is not valid JSON (" + e.what() +
                                   "); the previous version is in " + path + ".backup");
  }
  Result<State> s = State::FromJson(j);
  if (!s.ok()) {
    return Status::InvalidArgument("state file " + path + " is corrupt: " + s.status().message() +
                                   "; the previous version is in " + path + ".backup");
  }
  return s;
}

bool SameFile(int fd, const std::string& path) {
  struct stat a {}, b {};
  if (fstat(fd, &a) != 0 || stat(path.c_str(), &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

FileStateStore::FileStateStore(std::string dir, std::string deployment, env::Clock* clock)
    : dir_(dir.empty() ? "." : std::move(dir)),
      deployment_(std::move(deployment)),
      clock_(clock ? clock : env::Clock::Real()),
      path_(dir_ + "/" + deployment_ + kStateSuffix),
      lock_path_(dir_ + "/" + deployment_ + ".lock") {}

FileStateStore::~FileStateStore() {
  std::lock_guard<std::mutex> l(mu_);
  if (lock_fd_ >= 0) ReleaseLocked();
}

Status FileStateStore::CheckName() const {
  if (deployment_.empty() || deployment_ == "." || deployment_ == ".." ||
      deployment_.find('/') != std::string::npos || deployment_.find('\0') != std::string::npos) {
    return Status::InvalidArgument("invalid deployment name '" + deployment_ + "'");
  }
  return Status::OK();
}

Status FileStateStore::EnsureDir() const {
  ORCH_RETURN_IF_ERROR(CheckName());
  struct stat st {};
  if (stat(dir_.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument("state path " + dir_ + " is not a directory");
    return Status::OK();
  }
  // Create missing parents too (like mkdir -p), each 0700.
  std::string partial;
  for (const std::string& part : [&] {
         std::vector<std::string> parts;
         size_t start = 0;
         while (start <= dir_.size()) {
           size_t e = dir_.find('/', start);
           if (e == std::string::npos) e = dir_.size();
           parts.push_back(dir_.substr(start, e - start));
           start = e + 1;
         }
         return parts;
       }()) {
    partial += part;
    if (!partial.empty() && mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::Internal(Errno("cannot create state directory " + partial));
    }
    partial += "/";
  }
  return Status::OK();
}

void FileStateStore::SetWarningHandler(std::function<void(const std::string&)> handler) {
  std::lock_guard<std::mutex> l(mu_);
  warning_handler_ = std::move(handler);
}

std::vector<std::string> FileStateStore::Warnings() const {
  std::lock_guard<std::mutex> l(mu_);
  return warnings_;
}

void FileStateStore::Warn(const std::string& message) {
  warnings_.push_back(message);
  if (warning_handler_) warning_handler_(message);
}

Result<LockInfo> FileStateStore::Lock(const std::string& operation, int64_t timeout_ms) {
  ORCH_RETURN_IF_ERROR(EnsureDir());
  const int64_t deadline = clock_->MonotonicMicros() + std::max<int64_t>(0, timeout_ms) * 1000;
  bool said_waiting = false;
  for (;;) {
    Result<LockInfo> r = TryLockOnce(operation);
    if (r.ok() || !r.status().IsConflict()) return r;
    int64_t now = clock_->MonotonicMicros();
    if (now >= deadline) return r;
    if (!said_waiting) {
      // Once, so a waiting run says why it is silent and for whom it waits.
      said_waiting = true;
      const std::string& held = r.status().message();
      std::lock_guard<std::mutex> l(mu_);
      Warn("waiting up to " + std::to_string((deadline - now + 999999) / 1000000) + " s (--lock-timeout) for " +
           held.substr(0, held.find("; wait for it")));
    }
    clock_->SleepForMicros(std::min(kLockPollMicros, deadline - now));
  }
}

Result<LockInfo> FileStateStore::TryLockOnce(const std::string& operation) {
  std::lock_guard<std::mutex> l(mu_);
  if (lock_fd_ >= 0) return Status::Conflict(LockHeldMessage(deployment_, held_));
  for (int tries = 0; tries < 10; ++tries) {
    Fd fd(open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (fd.get() < 0) return Status::Internal(Errno("cannot open lock file " + lock_path_));
    if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        return Status::Internal(Errno("cannot lock " + lock_path_));
      }
      // The holder writes its details just after taking the flock; a run
      // started at the same instant may look in between, so give it a
      // moment rather than report a nameless holder. The details are read
      // through the path each time: the file we opened may be one the holder
      // has since released and removed (deploy locks for the plan, then again
      // for the apply), which stays empty for good.
      LockInfo holder;
      for (int i = 0; i < kHolderDetailsTries && holder.pid == 0; ++i) {
        if (i > 0) clock_->SleepForMicros(kHolderDetailsPollMicros);
        Fd current(open(lock_path_.c_str(), O_RDONLY | O_CLOEXEC));
        if (current.get() < 0) continue;
        Result<std::string> content = ReadFd(current.get(), lock_path_);
        if (!content.ok() || content->empty()) continue;
        try {
          holder = LockInfo::FromJson(nlohmann::json::parse(*content));
        } catch (const nlohmann::json::exception&) {
        }
      }
      if (holder.pid == 0) {
        return Status::Conflict("state for deployment '" + deployment_ +
                                "' is locked by another process (holder details not yet "
                                "written); wait for it to finish, rerun with --lock-timeout 5m to "
                                "wait, or run 'orchestrator state unlock --deployment " +
                                deployment_ + "' if that process is gone");
      }
      return Status::Conflict(LockHeldMessage(deployment_, holder));
    }
    // We hold the flock. If the file was unlinked (Unlock/ForceUnlock by
    // someone else) after we opened it, our lock guards nothing: start over.
    if (!SameFile(fd.get(), lock_path_)) continue;

    Result<std::string> content = ReadFd(fd.get(), lock_path_);
    if (!content.ok()) return content.status();
    if (!content->empty()) {
      LockInfo prev;
      bool parsed = true;
      try {
        prev = LockInfo::FromJson(nlohmann::json::parse(*content));
      } catch (const nlohmann::json::exception&) {
        parsed = false;
      }
      const std::string host = CurrentHost();
      if (parsed && prev.pid != 0 && prev.host != host) {
        return Status::Conflict(
            LockHeldMessage(deployment_, prev) +
            " (the lock is not held by any process visible from host " + host +
            ", so it may be stale, but a process on " + prev.host + " cannot be checked from here)");
      }
      Warn("taking over the lock on deployment '" + deployment_ + "' left by " +
           (parsed && prev.pid != 0 ? prev.Describe() : std::string("an unknown holder")) +
           ": that process is gone without unlocking (its run was interrupted; unfinished "
           "operations are recorded as intents in the state)");
    }
    LockInfo info;
    info.id = RandomHex() + RandomHex();
    info.operation = operation;
    info.host = CurrentHost();
    info.who = CurrentWho();
    info.pid = getpid();
    info.created_micros = clock_->NowMicros();
    std::string data = info.ToJson().dump() + "\n";
    if (ftruncate(fd.get(), 0) != 0) return Status::Internal(Errno("cannot truncate " + lock_path_));
    if (pwrite(fd.get(), data.data(), data.size(), 0) != static_cast<ssize_t>(data.size())) {
      return Status::Internal(Errno("cannot write " + lock_path_));
    }
    fsync(fd.get());
    lock_fd_ = fd.release();
    held_ = info;
    return info;
  }
  return Status::Conflict("state for deployment '" + deployment_ +
                          "': the lock file keeps being replaced by other processes; retry");
}

void FileStateStore::ReleaseLocked() {
  if (ftruncate(lock_fd_, 0) != 0) {
    // Ignored: the file is about to be removed anyway.
  }
  if (SameFile(lock_fd_, lock_path_)) unlink(lock_path_.c_str());
  flock(lock_fd_, LOCK_UN);
  close(lock_fd_);
  lock_fd_ = -1;
  held_ = LockInfo();
}

Status FileStateStore::Unlock(const std::string& lock_id) {
  std::lock_guard<std::mutex> l(mu_);
  if (lock_fd_ < 0 || lock_id != held_.id) {
    return Status::NotFound("lock '" + lock_id + "' on deployment '" + deployment_ +
                            "' is not held by this process");
  }
  ReleaseLocked();
  return Status::OK();
}

Status FileStateStore::ForceUnlock() {
  ORCH_RETURN_IF_ERROR(CheckName());
  std::lock_guard<std::mutex> l(mu_);
  if (lock_fd_ >= 0) {
    ReleaseLocked();
    return Status::OK();
  }
  if (unlink(lock_path_.c_str()) != 0 && errno != ENOENT) {
    return Status::Internal(Errno("cannot remove " + lock_path_));
  }
  return Status::OK();
}

Result<LockInfo> FileStateStore::RecordedHolder() {
  ORCH_RETURN_IF_ERROR(CheckName());
  Result<std::string> content = ReadAll(lock_path_);
  if (!content.ok()) {
    if (content.status().IsNotFound()) {
      return Status::NotFound("deployment '" + deployment_ + "' is not locked");
    }
    return content.status();
  }
  if (content->empty()) return Status::NotFound("deployment '" + deployment_ + "' is not locked");
  try {
    return LockInfo::FromJson(nlohmann::json::parse(*content));
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument("lock file " + lock_path_ + " is not valid JSON: " + e.what());
  }
}

Result<State> FileStateStore::Read() {
  ORCH_RETURN_IF_ERROR(CheckName());
  Result<std::string> bytes = ReadAll(path_);
  if (!bytes.ok()) {
    if (!bytes.status().IsNotFound()) return bytes.status();
    State empty;
    empty.deployment = deployment_;
    return empty;
  }
  Result<State> s = ParseState(path_, *bytes);
  if (!s.ok()) return s;
  if (s->deployment != deployment_) {
    return Status::InvalidArgument("state file " + path_ + " belongs to deployment '" +
                                   s->deployment + "', not '" + deployment_ + "'");
  }
  return s;
}

Status FileStateStore::Write(const State& state, uint64_t expected_serial) {
  ORCH_RETURN_IF_ERROR(EnsureDir());
  std::lock_guard<std::mutex> l(mu_);
  const std::string wlock = path_ + ".wlock";
  Fd wfd(open(wlock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (wfd.get() < 0) return Status::Internal(Errno("cannot open " + wlock));
  while (flock(wfd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return Status::Internal(Errno("cannot lock " + wlock));
  }
  // Closing wfd (scope exit) releases the flock.

  // Every writer holds the .wlock, so any temp file present now was left by
  // a writer that died: remove it.
  if (DIR* d = opendir(dir_.c_str())) {
    const std::string prefix = deployment_ + kStateSuffix;
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.compare(0, prefix.size(), prefix) == 0 &&
          name.find(".tmp.", prefix.size()) != std::string::npos) {
        unlink((dir_ + "/" + name).c_str());
      }
    }
    closedir(d);
  }

  Result<std::string> current = ReadAll(path_);
  State stored;
  bool exists = current.ok();
  if (exists) {
    Result<State> parsed = ParseState(path_, *current);
    if (!parsed.ok()) return parsed.status();
    stored = std::move(parsed).value();
  } else if (!current.status().IsNotFound()) {
    return current.status();
  }
  if (stored.serial != expected_serial) {
    return Status::Conflict("state for deployment '" + deployment_ + "' changed underneath: expected serial " +
                            std::to_string(expected_serial) + ", found " +
                            std::to_string(stored.serial) +
                            " (another run wrote it); re-read the state and retry");
  }
  if (exists && !stored.lineage.empty() && !state.lineage.empty() &&
      stored.lineage != state.lineage) {
    return Status::Conflict("state for deployment '" + deployment_ + "' has lineage " +
                            stored.lineage + " but the write carries lineage " + state.lineage +
                            "; refusing to overwrite a different deployment's history");
  }
  State out = state;
  out.deployment = deployment_;
  out.serial = expected_serial + 1;
  if (out.lineage.empty()) out.lineage = stored.lineage.empty() ? RandomHex() + RandomHex() : stored.lineage;
  std::string data = out.ToJson().dump(2) + "\n";
  if (exists) ORCH_RETURN_IF_ERROR(WriteAtomic(dir_, backup_path(), *current));
  return WriteAtomic(dir_, path_, data);
}

Status FileStateStore::Delete() {
  ORCH_RETURN_IF_ERROR(CheckName());
  std::lock_guard<std::mutex> l(mu_);
  const std::string wlock = path_ + ".wlock";
  Fd wfd(open(wlock.c_str(), O_RDWR | O_CLOEXEC));
  if (wfd.get() >= 0) flock(wfd.get(), LOCK_EX);
  if (rename(path_.c_str(), backup_path().c_str()) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Status::Internal(Errno("cannot remove " + path_));
  }
  return FsyncDir(dir_);
}

Result<std::vector<std::string>> ListDeployments(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.empty() ? "." : dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return Status::Internal(Errno("cannot list " + dir));
  }
  const std::string suffix = kStateSuffix;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(name.substr(0, name.size() - suffix.size()));
    }
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace orch::state
