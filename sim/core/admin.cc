// The admin API under /_sim (shapes documented in docs/cloudsim.md).
#include <cstdlib>
#include <string>

#include "core/dispatcher.h"

namespace cloudsim {
namespace {

HttpResponse Error(int status, const std::string& code, const std::string& message) {
  return HttpResponse::Json(status, {{"error", code}, {"message", message}});
}

nlohmann::json ResourceJson(const SimResource& r) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : r.labels) labels[k] = v;
  return {{"api", r.api}, {"kind", r.kind}, {"id", r.id}, {"name", r.name},
          {"tags", r.tags}, {"labels", labels}, {"status", r.status}};
}

// A SPEC is sent as the raw body, or as JSON {"spec": "..."}.
bool SpecFromBody(const std::string& body, std::string* spec, std::string* error) {
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && body[first] == '{') {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("spec") || !j["spec"].is_string()) {
      *error = "body must be a SPEC string or {\"spec\": \"...\"}";
      return false;
    }
    *spec = j["spec"].get<std::string>();
    return true;
  }
  *spec = body;
  return true;
}

}  // namespace

// /_sim/holds: POST a rule, GET the list, DELETE to release all;
// /_sim/holds/ID: GET (optionally waiting: ?held=N&matched=M&timeout_s=T),
// DELETE to release and remove.
HttpResponse Dispatcher::HandleHolds(const HttpRequest& req) {
  const std::string& p = req.path;
  if (p == "/_sim/holds") {
    if (req.method == "GET" || req.method == "HEAD") return HttpResponse::Json(200, holds_.ToJson());
    if (req.method == "DELETE") {
      holds_.ReleaseAll();
      return HttpResponse::Json(200, {{"released", true}});
    }
    if (req.method != "POST") return Error(405, "method_not_allowed", "method " + req.method + " not allowed on " + p);
    nlohmann::json body = nlohmann::json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    HoldRule rule;
    std::string error;
    if (body.is_discarded()) return Error(400, "invalid_hold", "body is not JSON");
    if (!ParseHoldRule(body, &rule, &error)) return Error(400, "invalid_hold", error);
    std::string id = holds_.Add(rule);
    nlohmann::json out;
    holds_.Wait(id, 0, 0, 0, &out);
    out.erase("met");
    return HttpResponse::Json(201, out);
  }
  std::string id = p.substr(std::string("/_sim/holds/").size());
  if (req.method == "DELETE") {
    if (!holds_.Remove(id)) return Error(404, "not_found", "no hold " + id);
    return HttpResponse::Json(200, {{"released", id}});
  }
  if (req.method != "GET" && req.method != "HEAD") {
    return Error(405, "method_not_allowed", "method " + req.method + " not allowed on " + p);
  }
  auto number = [&](const char* name, double fallback, double max, double* out) {
    std::string text = req.Query(name);
    if (text.empty()) {
      *out = fallback;
      return true;
    }
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !(v >= 0 && v <= max)) return false;
    *out = v;
    return true;
  };
  double held = 0, matched = 0, timeout_s = 0;
  if (!number("held", 0, 1e6, &held) || !number("matched", 0, 1e6, &matched) ||
      !number("timeout_s", 0, 600, &timeout_s)) {
    return Error(400, "invalid_query", "held and matched must be counts, timeout_s seconds from 0 to 600");
  }
  nlohmann::json out;
  if (!holds_.Wait(id, static_cast<int>(held), static_cast<int>(matched), timeout_s, &out)) {
    return Error(404, "not_found", "no hold " + id);
  }
  return HttpResponse::Json(200, out);
}

HttpResponse Dispatcher::HandleAdmin(const HttpRequest& req) {
  const std::string& p = req.path;
  auto only = [&](const char* method) { return req.method == method || (std::string(method) == "GET" && req.method == "HEAD"); };
  auto wrong_method = [&]() {
    return Error(405, "method_not_allowed", "method " + req.method + " not allowed on " + p);
  };

  if (p == "/_sim/health") {
    if (!only("GET")) return wrong_method();
    nlohmann::json names = nlohmann::json::array();
    for (const auto& api : apis_) names.push_back(api->Name());
    return HttpResponse::Json(200, {{"status", "ok"},
                                    {"apis", names},
                                    {"time_scale", options_.time_scale},
                                    {"seed", options_.seed},
                                    {"uptime_seconds", ctx_->Now() - started_at_}});
  }
  if (p == "/_sim/resources") {
    if (!only("GET")) return wrong_method();
    std::string filter = req.Query("api");
    std::string kind = req.Query("kind");
    if (!filter.empty() && !FindApi(filter)) return Error(404, "not_found", "no API named '" + filter + "'");
    nlohmann::json list = nlohmann::json::array();
    for (const auto& api : apis_) {
      if (!filter.empty() && api->Name() != filter) continue;
      std::vector<SimResource> out;
      api->ListResources(&out);
      for (const SimResource& r : out) {
        if (!kind.empty() && r.kind != kind) continue;
        list.push_back(ResourceJson(r));
      }
    }
    return HttpResponse::Json(200, {{"resources", list}});
  }
  if (p == "/_sim/stats") {
    if (!only("GET")) return wrong_method();
    return HttpResponse::Json(200, stats_.ToJson());
  }
  if (p == "/_sim/reset") {
    if (!only("POST")) return wrong_method();
    for (const auto& api : apis_) api->Reset();
    stats_.Clear();
    return HttpResponse::Json(200, {{"reset", true}});
  }
  if (p == "/_sim/faults") {
    if (req.method == "GET" || req.method == "HEAD") return HttpResponse::Json(200, faults_.ToJson());
    if (req.method != "POST" && req.method != "PUT") return wrong_method();
    std::string spec, error;
    if (!SpecFromBody(req.body, &spec, &error) || !faults_.SetSpec(spec, &error)) {
      return Error(400, "invalid_faults", error);
    }
    return HttpResponse::Json(200, faults_.ToJson());
  }
  if (p == "/_sim/holds" || p.rfind("/_sim/holds/", 0) == 0) return HandleHolds(req);
  if (p == "/_sim/save") {
    if (!only("POST")) return wrong_method();
    if (options_.state_file.empty()) return Error(409, "no_state_file", "cloudsim was started without --state FILE");
    std::string error;
    if (!SaveState(options_.state_file, &error)) return Error(500, "save_failed", error);
    return HttpResponse::Json(200, {{"saved", options_.state_file}});
  }
  return Error(404, "not_found", "no admin route " + p);
}

}  // namespace cloudsim
