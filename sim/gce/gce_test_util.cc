#include "gce/gce_test_util.h"

#include <cstdlib>
#include <filesystem>

namespace cloudsim::gce::testing {

namespace {

std::string Decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string PathOf(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t slash = url.find('/', scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

Harness::Harness(Options options, double time_scale, bool real_clock) {
  static SimClock real;
  ctx = std::make_unique<SimContext>(time_scale, 42, real_clock ? &real : static_cast<SimClock*>(&clock));
  ctx->base_url = "http://127.0.0.1:8555";
  data_dir = (std::filesystem::temp_directory_path() / ("gce-test-" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(data_dir);
  ctx->data_dir = data_dir;
  api = std::make_unique<GceApi>(ctx.get(), std::move(options));
  api->RegisterRoutes(router);
  token = api->TEST_IssueToken();
}

Reply Harness::Raw(const std::string& method, const std::string& target, const std::string& body,
                   const std::map<std::string, std::string>& headers) {
  HttpRequest req;
  req.method = method;
  req.target = target;
  size_t q = target.find('?');
  req.path = Decode(target.substr(0, q));
  if (q != std::string::npos) {
    std::string qs = target.substr(q + 1);
    size_t start = 0;
    while (start <= qs.size()) {
      size_t amp = qs.find('&', start);
      std::string pair = qs.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      size_t eq = pair.find('=');
      if (!pair.empty()) req.query.emplace(Decode(pair.substr(0, eq)), eq == std::string::npos ? "" : Decode(pair.substr(eq + 1)));
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }
  req.headers = headers;
  req.body = body;
  Reply out;
  Router::Match m = router.Find(method, req.path);
  if (!m.handler) {
    out.status = m.method_mismatch ? 405 : 404;
    return out;
  }
  HttpResponse resp = (*m.handler)(req, m.params);
  out.status = resp.status;
  out.text = resp.body;
  out.headers = resp.headers;
  out.body = nlohmann::json::parse(resp.body, nullptr, false);
  return out;
}

Reply Harness::Call(const std::string& method, const std::string& target, const nlohmann::json& body) {
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["authorization"] = "Bearer " + token;
  std::string text = body.is_null() ? "" : body.dump();
  if (!text.empty()) headers["content-type"] = "application/json";
  return Raw(method, target, text, headers);
}

std::string Harness::P(const std::string& rel) const { return "/compute/v1/projects/" + api->project() + "/" + rel; }

nlohmann::json Harness::Finish(const nlohmann::json& op) {
  nlohmann::json cur = op;
  for (int i = 0; i < 100 && cur.value("status", "") != "DONE"; ++i) {
    clock.Advance(5);
    cur = Call("GET", PathOf(op["selfLink"].get<std::string>())).body;
  }
  return cur;
}

}  // namespace cloudsim::gce::testing
