#include "state/file_state_store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "state/lock_message.h"
#include "testing/fake_clock.h"

namespace orch::state {
namespace {

namespace fs = std::filesystem;

class FileStateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/orch_state_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/state";
  }
  void TearDown() override { fs::remove_all(root_); }

  static int Mode(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return -1;
    return st.st_mode & 0777;
  }

  std::vector<std::string> Files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string root_;
  std::string dir_;
};

State WithResource(const std::string& addr, const std::string& id) {
  State s;
  ResourceState r;
  r.address = addr;
  r.kind = "instance";
  r.id = id;
  s.resources[addr] = r;
  return s;
}

TEST_F(FileStateStoreTest, ReadOfMissingStateIsEmpty) {
  FileStateStore store(dir_, "demo", env::Clock::Real());
  Result<State> s = store.Read();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->serial, 0u);
  EXPECT_EQ(s->deployment, "demo");
  EXPECT_TRUE(s->resources.empty());
  EXPECT_FALSE(fs::exists(dir_));  // reading creates nothing
}

TEST_F(FileStateStoreTest, WriteThenReadRoundTripsAndBumpsSerial) {
  FileStateStore store(dir_, "demo", env::Clock::Real());
  ASSERT_TRUE(store.Write(WithResource("a.instance[0]", "1"), 0).ok());
  Result<State> s1 = store.Read();
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_EQ(s1->serial, 1u);
  EXPECT_EQ(s1->deployment, "demo");
  EXPECT_EQ(s1->resources.at("a.instance[0]").id, "1");
  EXPECT_EQ(s1->lineage.size(), 32u);

  State next = *s1;
  next.resources["a.instance[1]"] = WithResource("a.instance[1]", "2").resources.begin()->second;
  ASSERT_TRUE(store.Write(next, 1).ok());
  Result<State> s2 = store.Read();
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(s2->serial, 2u);
  EXPECT_EQ(s2->lineage, s1->lineage);
  EXPECT_EQ(s2->resources.size(), 2u);

  // The backup holds the previous version.
  std::ifstream in(store.backup_path());
  Result<State> prev = State::FromJson(nlohmann::json::parse(in));
  ASSERT_TRUE(prev.ok());
  EXPECT_EQ(prev->serial, 1u);
  EXPECT_EQ(prev->resources.size(), 1u);
}

TEST_F(FileStateStoreTest, SerialCompareAndSwapConflicts) {
  FileStateStore a(dir_, "demo", env::Clock::Real());
  FileStateStore b(dir_, "demo", env::Clock::Real());
  ASSERT_TRUE(a.Write(WithResource("a.instance[0]", "from-a"), 0).ok());
  Status st = b.Write(WithResource("a.instance[0]", "from-b"), 0);
  EXPECT_EQ(st.code(), StatusCode::kConflict);
  EXPECT_EQ(st.message(),
            "state for deployment 'demo' changed underneath: expected serial 0, found 1 (another "
            "run wrote it); re-read the state and retry");
  Result<State> s = b.Read();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->resources.at("a.instance[0]").id, "from-a");
  // With the right serial b succeeds.
  State next = *s;
  next.resources["a.instance[0]"].id = "from-b";
  ASSERT_TRUE(b.Write(next, 1).ok());
  EXPECT_EQ(a.Read()->resources.at("a.instance[0]").id, "from-b");
  // A stale writer (expected 1, stored 2) is refused.
  EXPECT_TRUE(a.Write(next, 1).IsConflict());
}

TEST_F(FileStateStoreTest, DifferentLineageIsRefused) {
  FileStateStore store(dir_, "demo", env::Clock::Real());
  ASSERT_TRUE(store.Write(State(), 0).ok());
  State other = *store.Read();
  other.lineage = "someone-else";
  Status st = store.Write(other, 1);
  EXPECT_TRUE(st.IsConflict());
  EXPECT_NE(st.message().find("lineage"), std::string::npos);
}

TEST_F(FileStateStoreTest, FilesAreOwnerOnly) {
  std::string nested = root_ + "/a/b/state";
  FileStateStore store(nested, "demo", env::Clock::Real());
  ASSERT_TRUE(store.Write(State(), 0).ok());
  ASSERT_TRUE(store.Write(*store.Read(), 1).ok());
  Result<LockInfo> lock = store.Lock("deploy", 0);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_EQ(Mode(nested), 0700);
  EXPECT_EQ(Mode(root_ + "/a"), 0700);
  EXPECT_EQ(Mode(store.path()), 0600);
  EXPECT_EQ(Mode(store.backup_path()), 0600);
  EXPECT_EQ(Mode(store.path() + ".wlock"), 0600);
  EXPECT_EQ(Mode(store.lock_path()), 0600);
  ASSERT_TRUE(store.Unlock(lock->id).ok());
}

TEST_F(FileStateStoreTest, CorruptFileIsReportedNotOverwritten) {
  FileStateStore store(dir_, "demo", env::Clock::Real());
  ASSERT_TRUE(store.Write(State(), 0).ok());
  { std::ofstream(store.path()) << "{\"version\": 1, \"serial\": tru"; }
  Result<State> s = store.Read();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("state file " + store.path() + " is not valid JSON"),
            std::string::npos);
  EXPECT_NE(s.status().message().find(store.backup_path()), std::string::npos);
  EXPECT_FALSE(store.Write(State(), 1).ok());

  { std::ofstream(store.path()) << R"({"version":1,"deployment":"demo","serial":"x","resources":{}})"; }
  s = store.Read();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "state file " + store.path() +
                                      " is corrupt: state.serial: expected an integer, found "
                                      "string; the previous version is in " +
                                      store.backup_path());
}

TEST_F(FileStateStoreTest, StateOfAnotherDeploymentIsRejected) {
  FileStateStore store(dir_, "demo", env::Clock::Real());
  ASSERT_TRUE(store.Write(State(), 0).ok());
  fs::rename(store.path(), dir_ + "/prod.state.json");
  FileStateStore prod(dir_, "prod", env::Clock::Real());
  Result<State> s = prod.Read();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("belongs to deployment 'demo', not 'prod'"), std::string::npos);
}

TEST_F(FileStateStoreTest, InvalidDeploymentNames) {
  for (const char* name : {"", "..", "a/b"}) {
    FileStateStore store(dir_, name, env::Clock::Real());
    EXPECT_EQ(store.Read().status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(store.Write(State(), 0).code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(store.Lock("deploy", 0).status().code(), StatusCode::kInvalidArgument) << name;
  }
}

TEST_F(FileStateStoreTest, ListDeploymentsIgnoresTempAndSidecarFiles) {
  Result<std::vector<std::string>> none = ListDeployments(dir_);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  FileStateStore b(dir_, "beta", env::Clock::Real());
  FileStateStore a(dir_, "alpha", env::Clock::Real());
  ASSERT_TRUE(b.Write(State(), 0).ok());
  ASSERT_TRUE(b.Write(*b.Read(), 1).ok());
  ASSERT_TRUE(a.Write(State(), 0).ok());
  Result<LockInfo> lock = a.Lock("deploy", 0);
  ASSERT_TRUE(lock.ok());
  // A temp file left by a writer that died.
  { std::ofstream(dir_ + "/gamma.state.json.tmp.999.abc") << "{}"; }
  { std::ofstream(dir_ + "/alpha.state.json.tmp.999.def") << "garbage"; }
  Result<std::vector<std::string>> all = ListDeployments(dir_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::string>{"alpha", "beta"}));
  // The next write of alpha sweeps its leftover temp file.
  ASSERT_TRUE(a.Write(*a.Read(), 1).ok());
  EXPECT_FALSE(fs::exists(dir_ + "/alpha.state.json.tmp.999.def"));
  ASSERT_TRUE(a.Unlock(lock->id).ok());
}

TEST_F(FileStateStoreTest, DeleteKeepsBackupAndAllowsFreshStart) {
  FileStateStore store(dir_, "demo", env::Clock::Real());
  ASSERT_TRUE(store.Write(WithResource("a.instance[0]", "1"), 0).ok());
  ASSERT_TRUE(store.Delete().ok());
  EXPECT_FALSE(fs::exists(store.path()));
  EXPECT_TRUE(fs::exists(store.backup_path()));
  EXPECT_EQ(store.Read()->serial, 0u);
  EXPECT_TRUE(ListDeployments(dir_)->empty());
  EXPECT_TRUE(store.Write(State(), 0).ok());
  EXPECT_TRUE(store.Delete().ok());
  EXPECT_TRUE(store.Delete().ok());  // nothing left: still fine
}

// ---- Locks within one process ----

TEST_F(FileStateStoreTest, LockIsExclusiveAndNamesHolder) {
  testing::FakeClock clock;
  FileStateStore a(dir_, "demo", &clock);
  FileStateStore b(dir_, "demo", &clock);
  Result<LockInfo> la = a.Lock("deploy", 0);
  ASSERT_TRUE(la.ok()) << la.status().ToString();
  EXPECT_EQ(la->pid, getpid());
  EXPECT_EQ(la->operation, "deploy");
  EXPECT_EQ(la->created_micros, testing::FakeClock::kDefaultStartMicros);
  EXPECT_EQ(la->host, CurrentHost());

  Result<LockInfo> lb = b.Lock("teardown", 0);
  ASSERT_FALSE(lb.ok());
  EXPECT_EQ(lb.status().code(), StatusCode::kConflict);
  EXPECT_EQ(lb.status().message(), LockHeldMessage("demo", *la));
  EXPECT_TRUE(clock.Sleeps().empty());  // timeout 0: no waiting

  // With a timeout b polls (on the fake clock) until it gives up.
  lb = b.Lock("teardown", 1500);
  EXPECT_TRUE(lb.status().IsConflict());
  EXPECT_EQ(clock.TotalSleptMicros(), 1500 * 1000);
  // ... and says once, at the start, for whom it waits.
  ASSERT_EQ(b.Warnings().size(), 1u);
  EXPECT_EQ(b.Warnings()[0], "waiting up to 2 s (--lock-timeout) for state for deployment 'demo' is locked by pid " +
                                 std::to_string(getpid()) + " on host " + CurrentHost() + " (" + la->who +
                                 ") running deploy since " + FormatUtcMicros(la->created_micros));

  // The recorded holder is readable, e.g. for `state unlock`.
  Result<LockInfo> rec = b.RecordedHolder();
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->id, la->id);

  EXPECT_EQ(b.Unlock(la->id).code(), StatusCode::kNotFound);  // not b's lock
  ASSERT_TRUE(a.Unlock(la->id).ok());
  EXPECT_FALSE(fs::exists(a.lock_path()));
  EXPECT_EQ(a.Unlock(la->id).code(), StatusCode::kNotFound);  // already released
  lb = b.Lock("teardown", 0);
  ASSERT_TRUE(lb.ok()) << lb.status().ToString();
  EXPECT_EQ(b.Warnings().size(), 1u);  // the wait's; no takeover
  EXPECT_TRUE(b.Unlock(lb->id).ok());
  EXPECT_TRUE(b.RecordedHolder().status().IsNotFound());
}

// Two runs started together: the loser may find the flock taken before the
// winner wrote its details. It waits for them instead of naming nobody.
TEST_F(FileStateStoreTest, LockHolderWritingItsDetailsLateIsStillNamed) {
  FileStateStore store(dir_, "demo", env::Clock::Real());
  fs::create_directories(dir_);
  int fd = open(store.lock_path().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);  // held, details not written yet
  LockInfo winner;
  winner.id = "w";
  winner.operation = "deploy";
  winner.host = CurrentHost();
  winner.who = CurrentWho();
  winner.pid = 4242;
  winner.created_micros = 1;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    std::string data = winner.ToJson().dump() + "\n";
    ASSERT_EQ(pwrite(fd, data.data(), data.size(), 0), static_cast<ssize_t>(data.size()));
  });
  Result<LockInfo> l = store.Lock("deploy", 0);
  writer.join();
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().message(), LockHeldMessage("demo", winner));
  close(fd);
}

TEST_F(FileStateStoreTest, LockLeftByAnotherHostIsReportedStaleUntilForceUnlocked) {
  FileStateStore store(dir_, "demo", env::Clock::Real());
  ASSERT_TRUE(store.Write(State(), 0).ok());  // creates the directory
  LockInfo other;
  other.id = "x";
  other.operation = "deploy";
  other.host = "ci-3-not-this-host";
  other.who = "root@ci-3-not-this-host";
  other.pid = 4242;
  other.created_micros = 1795677371000000;
  { std::ofstream(store.lock_path()) << other.ToJson().dump(); }
  Result<LockInfo> l = store.Lock("deploy", 0);
  ASSERT_FALSE(l.ok());
  EXPECT_TRUE(l.status().IsConflict());
  EXPECT_EQ(l.status().message().rfind(LockHeldMessage("demo", other), 0), 0u) << l.status().message();
  EXPECT_NE(l.status().message().find("may be stale"), std::string::npos);
  ASSERT_TRUE(store.ForceUnlock().ok());
  l = store.Lock("deploy", 0);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_TRUE(store.Unlock(l->id).ok());
}

// ---- Locks across processes ----

// Blocks until one byte arrives on fd; false on EOF.
bool ReadByte(int fd, char* c) {
  for (;;) {
    ssize_t n = read(fd, c, 1);
    if (n < 0 && errno == EINTR) continue;
    return n == 1;
  }
}

TEST_F(FileStateStoreTest, LockContentionBetweenProcesses) {
  int to_child[2], to_parent[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(to_parent), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FileStateStore store(dir_, "demo", env::Clock::Real());
    Result<LockInfo> l = store.Lock("deploy", 0);
    char c = l.ok() ? 'L' : 'F';
    if (write(to_parent[1], &c, 1) != 1) _exit(2);
    if (!ReadByte(to_child[0], &c)) _exit(3);
    usleep(300 * 1000);  // still holding while the parent waits
    _exit(l.ok() && store.Unlock(l->id).ok() ? 0 : 1);
  }
  char c = 0;
  ASSERT_TRUE(ReadByte(to_parent[0], &c));
  ASSERT_EQ(c, 'L');

  FileStateStore store(dir_, "demo", env::Clock::Real());
  auto t0 = std::chrono::steady_clock::now();
  Result<LockInfo> l = store.Lock("teardown", 0);
  auto fail_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(l.ok());
  EXPECT_TRUE(l.status().IsConflict());
  EXPECT_NE(l.status().message().find("is locked by pid " + std::to_string(child) + " on host " +
                                      CurrentHost()),
            std::string::npos)
      << l.status().message();
  EXPECT_NE(l.status().message().find(" running deploy since "), std::string::npos);
  EXPECT_LT(fail_ms, 200);  // fails fast

  // Now wait: the child releases ~300 ms after we ask it to.
  c = 'R';
  ASSERT_EQ(write(to_child[1], &c, 1), 1);
  t0 = std::chrono::steady_clock::now();
  l = store.Lock("teardown", 10000);
  auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_GE(wait_ms, 200);
  // Released properly: no takeover, only the note that it waited for the child.
  ASSERT_EQ(store.Warnings().size(), 1u);
  EXPECT_EQ(store.Warnings()[0].rfind("waiting up to 10 s (--lock-timeout) for state for deployment 'demo' is locked by pid " +
                                          std::to_string(child),
                                      0),
            0u)
      << store.Warnings()[0];
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  EXPECT_TRUE(store.Unlock(l->id).ok());
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) close(fd);
}

TEST_F(FileStateStoreTest, LockOfKilledHolderIsTakenOverWithWarning) {
  int to_parent[2];
  ASSERT_EQ(pipe(to_parent), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FileStateStore store(dir_, "demo", env::Clock::Real());
    Result<LockInfo> l = store.Lock("deploy", 0);
    char c = l.ok() ? 'L' : 'F';
    if (write(to_parent[1], &c, 1) != 1) _exit(2);
    for (;;) pause();
  }
  char c = 0;
  ASSERT_TRUE(ReadByte(to_parent[0], &c));
  ASSERT_EQ(c, 'L');
  FileStateStore store(dir_, "demo", env::Clock::Real());
  EXPECT_TRUE(store.Lock("deploy", 0).status().IsConflict());
  ASSERT_EQ(kill(child, SIGKILL), 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);

  std::vector<std::string> seen;
  store.SetWarningHandler([&](const std::string& w) { seen.push_back(w); });
  Result<LockInfo> l = store.Lock("deploy", 0);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->pid, getpid());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0].find("taking over the lock on deployment 'demo' left by pid " +
                         std::to_string(child)),
            std::string::npos)
      << seen[0];
  EXPECT_NE(seen[0].find("process is gone"), std::string::npos);
  EXPECT_EQ(store.Warnings(), seen);
  EXPECT_TRUE(store.Unlock(l->id).ok());
  close(to_parent[0]);
  close(to_parent[1]);
}

// ---- Atomic writes under SIGKILL ----

// Version n of a ~150 KB state whose every field is derived from n.
State BigVersion(uint64_t n) {
  State s;
  for (int i = 0; i < 150; ++i) {
    ResourceState r;
    r.address = "tier.instance[" + std::to_string(i) + "]";
    r.kind = "instance";
    r.id = std::to_string(n * 1000 + i);
    r.attributes = {{"version", n}, {"blob", std::string(800, static_cast<char>('a' + (n + i) % 26))}};
    s.resources[r.address] = r;
  }
  return s;
}

TEST_F(FileStateStoreTest, WriteIsAtomicWhenWriterIsKilled) {
  std::mt19937 rng(12345);
  uint64_t last_serial = 0;
  int rounds = 20;
  int killed_mid_write = 0;  // rounds that left a temp file behind
  for (int round = 0; round < rounds; ++round) {
    int to_parent[2];
    ASSERT_EQ(pipe(to_parent), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(to_parent[0]);
      FileStateStore store(dir_, "demo", env::Clock::Real());
      for (;;) {
        Result<State> cur = store.Read();
        if (!cur.ok()) _exit(1);
        State next = BigVersion(cur->serial + 1);
        next.lineage = cur->lineage;
        if (!store.Write(next, cur->serial).ok()) _exit(1);
        char c = 'w';
        if (write(to_parent[1], &c, 1) != 1) _exit(1);
      }
    }
    close(to_parent[1]);
    char c;
    ASSERT_TRUE(ReadByte(to_parent[0], &c)) << "writer failed before its first write";
    usleep(std::uniform_int_distribution<int>(0, 30000)(rng));  // somewhere in a later write
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(child, &wstatus, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "writer exited on its own: it failed";
    close(to_parent[0]);

    FileStateStore reader(dir_, "demo", env::Clock::Real());
    Result<State> s = reader.Read();
    ASSERT_TRUE(s.ok()) << "round " << round << ": " << s.status().ToString();
    ASSERT_GT(s->serial, last_serial);
    last_serial = s->serial;
    State expect = BigVersion(s->serial);
    ASSERT_EQ(nlohmann::json(s->ToJson()["resources"]), expect.ToJson()["resources"])
        << "round " << round << ": state is not exactly version " << s->serial;
    // The backup is a complete earlier (or, if killed in between, the same) version.
    std::ifstream in(reader.backup_path());
    if (s->serial > 1) {
      Result<State> b = State::FromJson(nlohmann::json::parse(in));
      ASSERT_TRUE(b.ok());
      EXPECT_TRUE(b->serial == s->serial - 1 || b->serial == s->serial) << b->serial;
      EXPECT_EQ(b->ToJson()["resources"], BigVersion(b->serial).ToJson()["resources"]);
    }
    for (const std::string& f : Files()) {
      if (f.find(".tmp.") != std::string::npos) {
        ++killed_mid_write;
        break;
      }
    }
    Result<std::vector<std::string>> names = ListDeployments(dir_);
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, std::vector<std::string>{"demo"});
  }
  std::printf("%d of %d kills landed while a temp file existed; last serial %llu\n",
              killed_mid_write, rounds, static_cast<unsigned long long>(last_serial));
  // A normal write afterwards cleans every leftover temp file.
  FileStateStore store(dir_, "demo", env::Clock::Real());
  State s = *store.Read();
  ASSERT_TRUE(store.Write(s, s.serial).ok());
  for (const std::string& f : Files()) EXPECT_EQ(f.find(".tmp."), std::string::npos) << f;
}

}  // namespace
}  // namespace orch::state
