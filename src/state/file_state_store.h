// FileStateStore: State kept as a JSON file in a local (or shared) directory.
//
// Files, all mode 0600, in `dir` (created 0700 if missing):
//   <deployment>.state.json         the current State
//   <deployment>.state.json.backup  the version before the last write
//   <deployment>.state.json.wlock   flock()ed around each write (compare-and-swap)
//   <deployment>.lock               the deployment lock (flock) + holder LockInfo
//
// Writes are atomic: the new State goes to <file>.tmp.<pid>.<random>
// (O_EXCL), is fsynced and renamed over the file, then the directory is
// fsynced. A crash at any instant leaves the old or the new file; a leftover
// temp file is never read as state and is removed by the next Write.
// Write(state, expected_serial) holds an in-process mutex and the .wlock
// flock while it re-reads the stored serial, so writers in different
// processes cannot interleave; if the serial moved it returns kConflict.
//
// Locking scheme. The lock is an flock() on <deployment>.lock; the holder
// also writes its LockInfo into the file so others can name it. Because the
// kernel drops an flock when its process dies (even by SIGKILL), a crashed
// holder never blocks anyone on the same host. Unlock() empties and removes
// the file. What "stale" means here:
//   * Lock free but LockInfo left behind by a process on THIS host: that
//     process died without unlocking. The lock is taken over, and a warning
//     naming the dead holder is emitted (the interrupted run may have left
//     intents for the engine to resolve). Never silent.
//   * Lock free but LockInfo left by a process on ANOTHER host (a directory
//     shared over NFS, where flock may not reach across machines): this host
//     cannot tell whether that holder is alive, so Lock() fails with
//     kConflict naming it as possibly stale and giving the command that
//     clears it ('orchestrator state unlock --deployment NAME', which calls
//     ForceUnlock()).
//   * Lock held (flock busy): kConflict naming the holder after the timeout.
// ForceUnlock() removes the lock file whoever holds it; a live holder keeps
// running unaware, so it is for holders known to be gone.
//
// Thread-safety: all methods may be called from several threads. One store
// object holds at most one lock at a time; a second Lock() through the same
// object waits like any other contender.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "env/clock.h"
#include "state/state_store.h"

namespace orch::state {

class FileStateStore final : public StateStore {
 public:
  // `clock` is not owned; it times lock waits and stamps LockInfo.
  FileStateStore(std::string dir, std::string deployment, env::Clock* clock);
  ~FileStateStore() override;  // releases a lock still held

  Result<LockInfo> Lock(const std::string& operation, int64_t timeout_ms) override;
  Status Unlock(const std::string& lock_id) override;
  Status ForceUnlock() override;
  Result<State> Read() override;
  Status Write(const State& state, uint64_t expected_serial) override;
  // Removes the state file; its last content stays in the .backup file.
  Status Delete() override;

  // The LockInfo recorded in the lock file, or kNotFound when unlocked.
  // Does not tell whether the recorded holder is still alive.
  Result<LockInfo> RecordedHolder();

  // Receives warnings such as a takeover of a lock left by a dead process.
  // Set before use. Warnings are also kept, see Warnings().
  void SetWarningHandler(std::function<void(const std::string&)> handler);
  std::vector<std::string> Warnings() const;

  const std::string& path() const { return path_; }
  std::string backup_path() const { return path_ + ".backup"; }
  std::string lock_path() const { return lock_path_; }

  // How often Lock() re-tries while waiting.
  static constexpr int64_t kLockPollMicros = 100 * 1000;

 private:
  Status CheckName() const;
  Status EnsureDir() const;
  Result<LockInfo> TryLockOnce(const std::string& operation);
  void Warn(const std::string& message);
  void ReleaseLocked();  // requires mu_

  const std::string dir_;
  const std::string deployment_;
  env::Clock* const clock_;
  const std::string path_;
  const std::string lock_path_;

  mutable std::mutex mu_;  // guards everything below and serializes writes
  int lock_fd_ = -1;
  LockInfo held_;
  std::function<void(const std::string&)> warning_handler_;
  std::vector<std::string> warnings_;
};

// Names of the deployments with a state file in `dir`, sorted. A missing
// directory yields an empty list.
Result<std::vector<std::string>> ListDeployments(const std::string& dir);

}  // namespace orch::state
