#include "core/dispatcher.h"

namespace cloudsim {

Dispatcher::Dispatcher(SimContext* ctx, Options options)
    : ctx_(ctx), options_(std::move(options)), faults_(options_.seed, options_.time_scale),
      started_at_(ctx->Now()) {}

Dispatcher::~Dispatcher() = default;

void Dispatcher::AddApi(std::unique_ptr<Api> api) {
  api->RegisterRoutes(router_);
  apis_.push_back(std::move(api));
}

Api* Dispatcher::FindApi(const std::string& name) const {
  for (const auto& api : apis_) {
    if (api->Name() == name) return api.get();
  }
  return nullptr;
}

nlohmann::json Dispatcher::Describe() const {
  nlohmann::json top = nlohmann::json::object();
  nlohmann::json env = nlohmann::json::object();
  for (const auto& api : apis_) api->Describe(&top, &env);
  top["base"] = ctx_->base_url;
  top["admin"] = ctx_->base_url + "/_sim";
  top["env"] = env;
  return top;
}

HttpResponse Dispatcher::Handle(const HttpRequest& req) {
  if (!ready_.load()) {
    return HttpResponse::Json(503, {{"error", "service_unavailable"}, {"message", "cloudsim is starting"}});
  }
  if (req.path == "/_sim" || req.path.rfind("/_sim/", 0) == 0) return HandleAdmin(req);

  Router::Match match = router_.Find(req.method, req.path);
  if (!match.handler && req.method == "HEAD") {
    Router::Match get = router_.Find("GET", req.path);
    if (get.handler) match = std::move(get);
  }
  if (!match.handler) {
    bool not_allowed = match.method_mismatch;
    int status = not_allowed ? 405 : 404;
    stats_.Record("", req.method, "(unmatched)", std::to_string(status));
    if (not_allowed) {
      return HttpResponse::Json(405, {{"error", "method_not_allowed"},
                                      {"message", "method " + req.method + " not allowed on " + req.path}});
    }
    return HttpResponse::Json(404, {{"error", "not_found"}, {"message", "no route for " + req.method + " " + req.path}});
  }

  holds_.Gate(HoldStage::kBefore, match.api, req.method, req.path);
  Api* api = FindApi(match.api);
  FaultDecision fault;
  if (api) fault = faults_.Decide({match.api, req.method, req.path, match.pattern});

  HttpResponse resp;
  switch (fault.kind) {
    case FaultKind::kRateLimit:
      resp = api->RateLimitError(req);
      break;
    case FaultKind::kServerError:
      resp = api->ServerError(req, fault.status);
      break;
    case FaultKind::kQuota:
      resp = api->QuotaError(req);
      break;
    case FaultKind::kReset:
      resp.drop_connection = true;
      break;
    case FaultKind::kNone:
    case FaultKind::kSlow:
    case FaultKind::kLost:
      try {
        resp = (*match.handler)(req, match.params);
      } catch (const std::exception& e) {
        resp = HttpResponse::Json(500, {{"error", "internal"}, {"message", std::string("handler failed: ") + e.what()}});
      }
      if (fault.kind == FaultKind::kSlow) resp.delay_ms += fault.delay_ms;
      if (fault.kind == FaultKind::kLost) resp.drop_connection = true;
      break;
  }
  if (fault.kind != FaultKind::kNone) stats_.CountFault();
  if (resp.drop_connection) {
    stats_.Record(match.api, req.method, match.pattern, "dropped");
  } else {
    stats_.Record(match.api, req.method, match.pattern, std::to_string(resp.status));
    if (resp.status == 429) stats_.CountRateLimited();
  }
  holds_.Gate(HoldStage::kAfter, match.api, req.method, req.path);
  return resp;
}

}  // namespace cloudsim
