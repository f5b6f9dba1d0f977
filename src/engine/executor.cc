#include "engine/executor.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace orch::engine {
namespace {

enum class NodeState { kWaiting, kReady, kRunning, kDone, kFailed, kSkipped };

struct Node {
  const plan::Change* change = nullptr;
  int pending = 0;               // unfinished dependencies
  std::vector<int> dependents;   // nodes waiting for this one
  NodeState state = NodeState::kWaiting;
};

struct SkipEvent {
  std::string address;
  std::string reason;
};

// One Apply call: the graph, the scheduler state and the result, guarded by mu.
class Run {
 public:
  Run(const plan::Plan& plan, const ApplyOptions& options, const ProviderSet& providers,
      StateWriter* writer)
      : options_(options), providers_(providers), writer_(writer) {
    observer_ = options.observer ? options.observer : NullObserver::Get();
    clock_ = options.clock ? options.clock : env::Clock::Real();
    std::unordered_map<std::string, int> index;
    for (const plan::Change& c : plan.changes) {
      if (c.action == plan::Action::kNoop) continue;
      if (index.count(c.address)) continue;  // a plan never repeats an address
      index[c.address] = static_cast<int>(nodes_.size());
      Node node;
      node.change = &c;
      nodes_.push_back(std::move(node));
    }
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
      std::set<int> deps;
      for (const std::string& d : nodes_[i].change->depends_on) {
        auto it = index.find(d);
        if (it != index.end() && it->second != i) deps.insert(it->second);
      }
      nodes_[i].pending = static_cast<int>(deps.size());
      for (int d : deps) nodes_[d].dependents.push_back(i);
    }
  }

  ApplyResult Execute() {
    RejectCycles();
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
      if (nodes_[i].state == NodeState::kWaiting && nodes_[i].pending == 0) MakeReady(i);
    }
    const int workers = std::min<int>(std::max(1, options_.parallelism), static_cast<int>(nodes_.size()));
    std::vector<std::thread> threads;
    threads.reserve(workers);
    for (int w = 0; w < workers; ++w) threads.emplace_back([this] { Worker(); });
    for (std::thread& t : threads) t.join();
    FinishUnstarted();
    return std::move(result_);
  }

 private:
  void MakeReady(int i) {
    nodes_[i].state = NodeState::kReady;
    ready_.insert(i);
  }

  // Kahn's algorithm over the dependency counts; whatever never becomes
  // ready sits on or behind a cycle and is failed up front.
  void RejectCycles() {
    std::vector<int> pending(nodes_.size());
    std::deque<int> queue;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      pending[i] = nodes_[i].pending;
      if (pending[i] == 0) queue.push_back(static_cast<int>(i));
    }
    std::vector<bool> reached(nodes_.size(), false);
    while (!queue.empty()) {
      int n = queue.front();
      queue.pop_front();
      reached[n] = true;
      for (int d : nodes_[n].dependents) {
        if (--pending[d] == 0) queue.push_back(d);
      }
    }
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (reached[i]) continue;
      nodes_[i].state = NodeState::kFailed;
      ++result_.failed;
      Diagnostic d;
      d.address = nodes_[i].change->address;
      d.message = "not applied: it is part of, or depends on, a dependency cycle";
      result_.diags.Append(std::move(d));
    }
  }

  bool HasCapacity(const std::string& provider) const {
    auto lim = options_.provider_limits.find(provider);
    if (lim == options_.provider_limits.end() || lim->second <= 0) return true;
    auto run = provider_running_.find(provider);
    return run == provider_running_.end() || run->second < lim->second;
  }

  void Worker() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (!stopping_ && options_.cancelled && options_.cancelled->load()) {
        stopping_ = true;
        result_.cancelled = true;
      }
      if (stopping_) return;
      int pick = -1;
      for (int i : ready_) {
        if (HasCapacity(nodes_[i].change->provider)) {
          pick = i;
          break;
        }
      }
      if (pick >= 0) {
        ready_.erase(pick);
        nodes_[pick].state = NodeState::kRunning;
        ++provider_running_[nodes_[pick].change->provider];
        ++running_;
        lock.unlock();
        RunOne(pick);
        lock.lock();
        continue;
      }
      if (running_ == 0) return;  // nothing ready, nothing that could make anything ready
      cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
  }

  // Called without mu_ held.
  void RunOne(int i) {
    const plan::Change& change = *nodes_[i].change;
    ChangeEnv env;
    auto p = providers_.find(change.provider);
    env.provider = p != providers_.end() ? p->second : nullptr;
    env.writer = writer_;
    env.observer = observer_;
    env.clock = clock_;
    env.cancelled = options_.cancelled;
    env.render_user_data = options_.render_user_data;

    observer_->ChangeStarted(change);
    const int64_t start = clock_->MonotonicMicros();
    Status st = ApplyChange(change, env);
    const int64_t duration = clock_->MonotonicMicros() - start;
    observer_->ChangeFinished(change, st, duration);
    Status persist = writer_->failure();

    std::vector<SkipEvent> skipped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      --provider_running_[change.provider];
      if (!persist.ok() && !persist_reported_) {
        persist_reported_ = true;
        stopping_ = true;
        Diagnostic d;
        d.address = change.address;
        d.message = "state could not be saved, stopping the apply: " + persist.ToString();
        result_.diags.Append(std::move(d));
      }
      if (st.ok()) {
        nodes_[i].state = NodeState::kDone;
        ++result_.succeeded;
        for (int d : nodes_[i].dependents) {
          if (--nodes_[d].pending == 0 && nodes_[d].state == NodeState::kWaiting) MakeReady(d);
        }
      } else {
        nodes_[i].state = NodeState::kFailed;
        ++result_.failed;
        Diagnostic d;
        d.address = change.address;
        d.message = std::string(ActionWord(change.action)) + " failed: " + st.ToString();
        result_.diags.Append(std::move(d));
        SkipDependents(i, change.address, &skipped);
      }
    }
    cv_.notify_all();
    for (const SkipEvent& e : skipped) observer_->ChangeSkipped(e.address, e.reason);
  }

  // With mu_ held: every change depending (transitively) on node `i`.
  void SkipDependents(int i, const std::string& root, std::vector<SkipEvent>* events) {
    std::vector<int> stack(nodes_[i].dependents.begin(), nodes_[i].dependents.end());
    while (!stack.empty()) {
      int n = stack.back();
      stack.pop_back();
      Node& node = nodes_[n];
      if (node.state != NodeState::kWaiting && node.state != NodeState::kReady) continue;
      if (node.state == NodeState::kReady) ready_.erase(n);
      node.state = NodeState::kSkipped;
      ++result_.skipped;
      std::string reason = "skipped because " + root + " failed";
      Diagnostic d;
      d.severity = Severity::kWarning;
      d.address = node.change->address;
      d.message = reason;
      result_.diags.Append(std::move(d));
      events->push_back({node.change->address, reason});
      stack.insert(stack.end(), node.dependents.begin(), node.dependents.end());
    }
  }

  // After the workers are gone: whatever never started was stopped.
  void FinishUnstarted() {
    if (!result_.cancelled && options_.cancelled && options_.cancelled->load()) {
      for (const Node& n : nodes_) {
        if (n.state == NodeState::kWaiting || n.state == NodeState::kReady) result_.cancelled = true;
      }
    }
    const std::string reason = result_.cancelled ? "not started: the apply was cancelled"
                                                 : "not started: the apply stopped after an error";
    int unstarted = 0;
    for (Node& n : nodes_) {
      if (n.state != NodeState::kWaiting && n.state != NodeState::kReady) continue;
      n.state = NodeState::kSkipped;
      ++result_.skipped;
      ++unstarted;
      observer_->ChangeSkipped(n.change->address, reason);
    }
    if (unstarted > 0) {
      Diagnostic d;
      d.severity = result_.cancelled ? Severity::kError : Severity::kWarning;
      d.message = (result_.cancelled ? "apply cancelled: " : "apply stopped: ") +
                  std::to_string(unstarted) + " change(s) not started; run the command again to finish";
      result_.diags.Append(std::move(d));
    }
  }

  const ApplyOptions& options_;
  const ProviderSet& providers_;
  StateWriter* const writer_;
  Observer* observer_ = nullptr;
  env::Clock* clock_ = nullptr;

  std::vector<Node> nodes_;  // fixed after construction; states change under mu_

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<int> ready_;  // node indexes, i.e. plan order
  std::map<std::string, int> provider_running_;
  int running_ = 0;
  bool stopping_ = false;
  bool persist_reported_ = false;
  ApplyResult result_;
};

}  // namespace

Executor::Executor(const ProviderSet& providers, StateWriter* writer)
    : providers_(providers), writer_(writer) {}

ApplyResult Executor::Apply(const plan::Plan& plan, const ApplyOptions& options) {
  Run run(plan, options, providers_, writer_);
  return run.Execute();
}

}  // namespace orch::engine
