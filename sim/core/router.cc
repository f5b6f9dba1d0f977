#include <sstream>

#include "core/api.h"

namespace cloudsim {
namespace {

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool IsParam(const std::string& s) { return s.size() > 2 && s.front() == '{' && s.back() == '}'; }

}  // namespace

void Router::Add(const std::string& api, const std::string& method, const std::string& pattern,
                 RouteHandler handler) {
  routes_.push_back({api, method, pattern, Segments(pattern), std::move(handler)});
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  Match result;
  std::vector<std::string> segs = Segments(path);
  for (const Route& r : routes_) {
    PathParams params;
    bool ok = true;
    size_t i = 0;
    for (; i < r.segments.size(); ++i) {
      const std::string& p = r.segments[i];
      if (IsParam(p) && p[p.size() - 2] == '*') {
        std::string rest;
        for (size_t j = i; j < segs.size(); ++j) rest += (j > i ? "/" : "") + segs[j];
        params[p.substr(1, p.size() - 3)] = rest;
        i = segs.size();
        break;
      }
      if (i >= segs.size()) {
        ok = false;
        break;
      }
      if (IsParam(p)) {
        params[p.substr(1, p.size() - 2)] = segs[i];
      } else if (p != segs[i]) {
        ok = false;
        break;
      }
    }
    if (!ok || i != segs.size()) continue;
    if (r.method != method) {
      result.method_mismatch = true;
      continue;
    }
    result.handler = &r.handler;
    result.api = r.api;
    result.pattern = r.pattern;
    result.params = std::move(params);
    result.method_mismatch = false;
    return result;
  }
  return result;
}

}  // namespace cloudsim
