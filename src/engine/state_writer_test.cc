#include "engine/state_writer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "engine/test_support.h"

namespace orch::engine {
namespace {

// A store whose writes take a while, like an fsync-bound file.
class SlowStore : public test::RecordingStore {
 public:
  Status Write(const state::State& s, uint64_t expected_serial) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return RecordingStore::Write(s, expected_serial);
  }
};

void AddResource(StateWriter* w, const std::string& address, Status* out) {
  *out = w->Update([&](state::State& s) { s.resources[address].address = address; });
}

TEST(StateWriterTest, SequentialUpdatesAreWrittenOneByOne) {
  test::RecordingStore store;
  StateWriter w(&store, state::State{});
  for (int i = 0; i < 3; ++i) {
    Status st;
    AddResource(&w, "web.instance[" + std::to_string(i) + "]", &st);
    ASSERT_TRUE(st.ok());
  }
  ASSERT_EQ(store.writes().size(), 3u);
  EXPECT_EQ(store.writes()[0].resources.size(), 1u);
  EXPECT_EQ(store.writes()[2].resources.size(), 3u);
  EXPECT_EQ(w.serial(), 3u);
  EXPECT_EQ(w.writes(), 3);
  EXPECT_FALSE(store.current().lineage.empty());
}

TEST(StateWriterTest, ConcurrentUpdatesShareWritesAndAllAreDurableOnReturn) {
  SlowStore store;
  StateWriter w(&store, state::State{});
  const int n = 8;
  std::vector<Status> results(n);
  std::vector<int> durable(n, 0);  // not vector<bool>: written from several threads
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      const std::string address = "web.instance[" + std::to_string(i) + "]";
      AddResource(&w, address, &results[i]);
      durable[i] = store.current().resources.count(address) == 1;
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < n; ++i) {
    EXPECT_TRUE(results[i].ok()) << i;
    EXPECT_TRUE(durable[i]) << i;
  }
  EXPECT_EQ(store.current().resources.size(), static_cast<size_t>(n));
  EXPECT_LT(store.writes().size(), static_cast<size_t>(n));  // group commit merged some
  EXPECT_GE(store.writes().size(), 2u);
  EXPECT_EQ(w.serial(), store.current().serial);
}

TEST(StateWriterTest, FailedWriteIsReportedToEveryoneItCovered) {
  test::RecordingStore store;
  store.FailWritesFrom(1);
  StateWriter w(&store, state::State{});
  Status first, second;
  AddResource(&w, "a.instance[0]", &first);
  AddResource(&w, "b.instance[0]", &second);
  EXPECT_TRUE(first.ok());
  EXPECT_EQ(second.ToString(), "Internal: writing state (serial 1): disk full");
  EXPECT_EQ(w.failure().ToString(), second.ToString());
  EXPECT_EQ(w.serial(), 1u);
  // The mutation stays in memory: it describes the cloud.
  EXPECT_EQ(w.Snapshot().resources.count("b.instance[0]"), 1u);
  EXPECT_EQ(store.current().resources.count("b.instance[0]"), 0u);
}

TEST(StateWriterTest, ConflictWhenSomeoneElseWrote) {
  test::RecordingStore store;
  StateWriter w(&store, state::State{});
  store.ExternalWrite(state::State{});
  Status st;
  AddResource(&w, "a.instance[0]", &st);
  EXPECT_TRUE(st.IsConflict());
}

}  // namespace
}  // namespace orch::engine
