#include "state/memory_state_store.h"

#include <thread>

#include <gtest/gtest.h>

#include "state/lock_message.h"
#include "testing/fake_clock.h"

namespace orch::state {
namespace {

TEST(MemoryStateStoreTest, CompareAndSwapOnSerial) {
  MemoryStateStore store("demo");
  EXPECT_EQ(store.Read()->serial, 0u);
  State s;
  s.resources["network.main"].kind = "network";
  ASSERT_TRUE(store.Write(s, 0).ok());
  Result<State> r = store.Read();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->serial, 1u);
  EXPECT_EQ(r->deployment, "demo");
  EXPECT_FALSE(r->lineage.empty());
  Status st = store.Write(s, 0);
  EXPECT_TRUE(st.IsConflict());
  EXPECT_EQ(st.message(), "state for deployment 'demo' changed underneath: expected serial 0, "
                          "found 1 (another run wrote it); re-read the state and retry");
  ASSERT_TRUE(store.Write(*r, 1).ok());
  EXPECT_EQ(store.Read()->lineage, r->lineage);
  EXPECT_EQ(store.WriteCount(), 2);
  ASSERT_TRUE(store.Delete().ok());
  EXPECT_EQ(store.Read()->serial, 0u);
  EXPECT_TRUE(store.Read()->resources.empty());
}

TEST(MemoryStateStoreTest, InjectedWriteFailuresChangeNothing) {
  MemoryStateStore store;
  store.TEST_FailWrites(Status::Internal("disk full"), 2);
  EXPECT_EQ(store.Write(State(), 0).message(), "disk full");
  EXPECT_EQ(store.Write(State(), 0).message(), "disk full");
  EXPECT_EQ(store.Read()->serial, 0u);
  EXPECT_TRUE(store.Write(State(), 0).ok());
  EXPECT_EQ(store.WriteCount(), 1);
}

TEST(MemoryStateStoreTest, LockWaitsOnClockThenNamesHolder) {
  testing::FakeClock clock;
  MemoryStateStore store("demo", &clock);
  LockInfo other;
  other.id = "theirs";
  other.operation = "deploy";
  other.host = "ci-3";
  other.who = "root@ci-3";
  other.pid = 4242;
  other.created_micros = 1795677371000000;
  store.TEST_SetHolder(other);
  Result<LockInfo> l = store.Lock("teardown", 250);
  ASSERT_FALSE(l.ok());
  EXPECT_TRUE(l.status().IsConflict());
  EXPECT_EQ(l.status().message(), LockHeldMessage("demo", other));
  EXPECT_EQ(clock.TotalSleptMicros(), 250 * 1000);
  EXPECT_EQ(store.Unlock("mine").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store.ForceUnlock().ok());
  l = store.Lock("teardown", 0);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->operation, "teardown");
  EXPECT_EQ(store.Holder()->id, l->id);
  EXPECT_TRUE(store.Unlock(l->id).ok());
  EXPECT_FALSE(store.Holder().has_value());
}

TEST(MemoryStateStoreTest, WaiterGetsLockWhenHolderThreadReleases) {
  MemoryStateStore store("demo");  // real clock
  Result<LockInfo> first = store.Lock("deploy", 0);
  ASSERT_TRUE(first.ok());
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(store.Unlock(first->id).ok());
  });
  Result<LockInfo> second = store.Lock("deploy", 5000);
  releaser.join();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_NE(second->id, first->id);
}

}  // namespace
}  // namespace orch::state
