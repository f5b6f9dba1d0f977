// A minimal Api for dispatcher and process tests: items under /<name>/items,
// a create, a delete, an action, a token endpoint and a route that always
// answers 429. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "core/api.h"

namespace cloudsim::testing {

class ToyApi : public Api {
 public:
  explicit ToyApi(std::string name = "toy") : name_(std::move(name)) {}

  std::string Name() const override { return name_; }

  void RegisterRoutes(Router& router) override {
    std::string base = "/" + name_;
    router.Add(name_, "GET", base + "/items", [this](const HttpRequest&, const PathParams&) {
      std::lock_guard<std::mutex> lock(mu_);
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [id, n] : items_) list.push_back({{"id", id}, {"name", n}});
      return HttpResponse::Json(200, {{"items", list}});
    });
    router.Add(name_, "POST", base + "/items", [this](const HttpRequest& req, const PathParams&) {
      std::lock_guard<std::mutex> lock(mu_);
      std::string id = std::to_string(++next_id_);
      items_[id] = req.body.empty() ? "item" + id : req.body;
      return HttpResponse::Json(201, {{"id", id}});
    });
    router.Add(name_, "GET", base + "/items/{id}", [this](const HttpRequest&, const PathParams& p) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = items_.find(p.at("id"));
      if (it == items_.end()) return HttpResponse::Json(404, {{"id", "not_found"}});
      return HttpResponse::Json(200, {{"id", it->first}, {"name", it->second}});
    });
    router.Add(name_, "DELETE", base + "/items/{id}", [this](const HttpRequest&, const PathParams& p) {
      std::lock_guard<std::mutex> lock(mu_);
      return HttpResponse::Empty(items_.erase(p.at("id")) ? 204 : 404);
    });
    router.Add(name_, "POST", base + "/items/{id}/actions", [this](const HttpRequest&, const PathParams&) {
      return HttpResponse::Json(201, {{"action", "ok"}});
    });
    router.Add(name_, "POST", base + "/auth/tokens", [this](const HttpRequest&, const PathParams&) {
      return HttpResponse::Json(201, {{"token", "t"}});
    });
    router.Add(name_, "GET", base + "/limited", [this](const HttpRequest& req, const PathParams&) {
      return RateLimitError(req);
    });
  }

  void Describe(nlohmann::json* top, nlohmann::json* env) override {
    (*top)[name_] = "/" + name_;
    (*env)["TOY_" + name_ + "_TOKEN"] = "it's-a-token";
  }

  HttpResponse QuotaError(const HttpRequest&) override {
    return HttpResponse::Json(403, {{"id", "quota_exceeded"}, {"api", name_}});
  }
  HttpResponse RateLimitError(const HttpRequest&) override {
    HttpResponse r = HttpResponse::Json(429, {{"id", "too_many_requests"}, {"api", name_}});
    r.SetHeader("Retry-After", "1");
    return r;
  }
  HttpResponse ServerError(const HttpRequest&, int status) override {
    return HttpResponse::Json(status, {{"id", "server_error"}, {"api", name_}});
  }

  void ListResources(std::vector<SimResource>* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, n] : items_) out->push_back({name_, "item", id, n, {"t1"}, {{"k", "v"}}, "active"});
  }
  nlohmann::json Save() override {
    std::lock_guard<std::mutex> lock(mu_);
    return {{"next_id", next_id_}, {"items", items_}};
  }
  void Load(const nlohmann::json& saved) override {
    std::lock_guard<std::mutex> lock(mu_);
    next_id_ = saved.at("next_id").get<int>();
    items_ = saved.at("items").get<std::map<std::string, std::string>>();
  }
  void Reset() override {
    std::lock_guard<std::mutex> lock(mu_);
    items_.clear();
    next_id_ = 0;
  }

  size_t ItemCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }

 private:
  std::string name_;
  std::mutex mu_;
  int next_id_ = 0;
  std::map<std::string, std::string> items_;
};

}  // namespace cloudsim::testing
