#include "providers/common/create.h"

#include <algorithm>
#include <utility>

namespace orch::providers::common {

bool Uncertain(const Status& st) {
  return http::MaybeApplied(st) || st.IsTimeout() || st.IsTransient() || st.IsRateLimited();
}

Status SleepUnlessCancelled(env::Clock* clock, int64_t ms, const engine::ApplyContext& ctx) {
  if (ctx.IsCancelled()) return Status::Cancelled("cancelled");
  clock->SleepForMicros(ms * 1000);
  return Status::OK();
}

Result<nlohmann::json> CreateAdopting(const std::string& what, const Lookup& lookup, const Post& post,
                                      bool lookup_first, engine::ApplyContext& ctx, env::Clock* clock,
                                      const CreateRetry& retry) {
  bool look = lookup_first;
  Status last;
  int64_t backoff = retry.initial_ms;
  for (int attempt = 0; attempt < retry.attempts; ++attempt) {
    if (look) {
      Result<std::optional<nlohmann::json>> found = lookup();
      if (!found.ok()) return found.status().WithPrefix("looking for " + what + " after an uncertain create");
      if (found->has_value()) {
        if (ctx.progress) ctx.progress("adopting " + what + " created by an earlier request");
        return std::move(**found);
      }
    }
    http::SendOutcome outcome;
    Result<nlohmann::json> r = post(&outcome);
    if (r.ok()) return r;
    last = r.status();
    if (!Uncertain(last)) return last;
    look = true;
    ORCH_RETURN_IF_ERROR(SleepUnlessCancelled(clock, backoff, ctx));
    backoff = std::min(backoff * 2, retry.max_ms);
  }
  return last;
}

Status RetryWhileBusy(const std::function<Status()>& op, const std::function<bool(const Status&)>& busy,
                      env::Clock* clock, const BusyRetry& retry, engine::ApplyContext& ctx, const std::string& what) {
  int64_t backoff = retry.initial_ms;
  const int64_t start = clock->MonotonicMicros();
  for (;;) {
    Status st = op();
    if (!busy(st)) return st;
    if ((clock->MonotonicMicros() - start) / 1000 > retry.timeout_ms) return st;
    if (ctx.progress) ctx.progress("waiting for " + what + " to be free");
    ORCH_RETURN_IF_ERROR(SleepUnlessCancelled(clock, backoff, ctx));
    backoff = std::min(backoff * 2, retry.max_ms);
  }
}

}  // namespace orch::providers::common
