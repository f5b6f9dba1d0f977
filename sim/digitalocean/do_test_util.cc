#include "digitalocean/do_test_util.h"

#include <cctype>

namespace cloudsim::digitalocean {

namespace {

std::string Decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

}  // namespace

std::string Reply::Header(const std::string& name) const {
  for (const auto& [k, v] : raw.headers) {
    std::string a = k, b = name;
    for (auto& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (a == b) return v;
  }
  return "";
}

DigitalOceanOptions DoApiTest::Permissive() {
  DigitalOceanOptions o;
  o.requests_per_hour = 1000000;
  o.requests_per_minute = 1000000;
  return o;
}

DoApiTest::DoApiTest(DigitalOceanOptions options) : ctx_(1.0, 42, &clock_) {
  ctx_.base_url = "http://127.0.0.1:8080";
  api_ = MakeDigitalOceanApi(&ctx_, options);
  api_->RegisterRoutes(router_);
  nlohmann::json top = nlohmann::json::object(), env = nlohmann::json::object();
  api_->Describe(&top, &env);
  token_ = env["DIGITALOCEAN_TOKEN"];
}

Reply DoApiTest::Call(const std::string& method, const std::string& target, const nlohmann::json& body,
                      const std::string& token) {
  HttpRequest req;
  req.method = method;
  req.target = target;
  auto q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string qs = target.substr(q + 1);
    size_t pos = 0;
    while (pos <= qs.size()) {
      size_t amp = qs.find('&', pos);
      std::string kv = qs.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      auto eq = kv.find('=');
      if (!kv.empty()) {
        req.query.emplace(Decode(kv.substr(0, eq)), eq == std::string::npos ? "" : Decode(kv.substr(eq + 1)));
      }
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
  }
  req.headers["authorization"] = "Bearer " + (token.empty() ? token_ : token);
  if (!body.is_null()) {
    req.body = body.is_string() ? body.get<std::string>() : body.dump();
    req.headers["content-type"] = "application/json";
  }
  Router::Match m = router_.Find(method, req.path);
  Reply r;
  if (!m.handler) {
    r.status = m.method_mismatch ? 405 : 404;
    return r;
  }
  r.raw = (*m.handler)(req, m.params);
  r.status = r.raw.status;
  if (!r.raw.body.empty()) r.body = nlohmann::json::parse(r.raw.body, nullptr, false);
  return r;
}

int64_t DoApiTest::CreateDroplet(const std::string& name, const std::string& region, const nlohmann::json& extra) {
  nlohmann::json body = {{"name", name}, {"region", region}, {"size", "s-1vcpu-1gb"}, {"image", "ubuntu-22-04-x64"}};
  body.update(extra);
  Reply r = Post("/v2/droplets", body);
  EXPECT_EQ(r.status, 202) << r.raw.body;
  if (r.status != 202) return 0;
  return r.body["droplet"]["id"].get<int64_t>();
}

}  // namespace cloudsim::digitalocean
