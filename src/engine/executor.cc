#include "engine/executor.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "graph/graph.h"

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
    // The planner's dependency graph over the changes to make; a
    // dependency without a change (a no-op, or outside the plan) is met.
    for (const Node& n : nodes_) graph_.AddNode(n.change->address);
    for (const Node& n : nodes_) {
      for (const std::string& d : n.change->depends_on) {
        if (d != n.change->address && index.count(d)) graph_.AddEdge(n.change->address, d);
      }
    }
    for (Node& n : nodes_) {
      n.pending = static_cast<int>(graph_.DependenciesOf(n.change->address).size());
      for (const std::string& d : graph_.DependentsOf(n.change->address)) n.dependents.push_back(index.at(d));
      // Plan order: readiness and skip reports follow the plan, not addresses.
      std::sort(n.dependents.begin(), n.dependents.end());
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

  // A change on a cycle, or depending on one, would never become ready: it
  // is failed up front. Every member of a cycle's component depends on the
  // cycle's first node, so that node and its dependents are all of them.
  void RejectCycles() {
    std::set<std::string> blocked;
    for (const std::vector<std::string>& cycle : graph_.FindCycles()) {
      blocked.insert(cycle.front());
      for (const std::string& a : graph_.Dependents(cycle.front())) blocked.insert(a);
    }
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!blocked.count(nodes_[i].change->address)) continue;
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

  graph::Graph graph_;       // over nodes_' addresses; fixed after construction
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
