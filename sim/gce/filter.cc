#include "gce/filter.h"

#include <cctype>

namespace cloudsim::gce {

using nlohmann::json;

namespace {

bool Glob(const std::string& pat, const std::string& s) {
  size_t p = 0, i = 0, star = std::string::npos, mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && pat[p] == s[i]) {
      ++p;
      ++i;
    } else if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = i;
    } else if (star != std::string::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

std::string Text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  return v.dump();
}

}  // namespace

bool Filter::Parse(const std::string& text) {
  terms_.clear();
  size_t i = 0, n = text.size();
  auto skip = [&] {
    while (i < n && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == '(' || text[i] == ')')) ++i;
  };
  while (true) {
    skip();
    if (i >= n) break;
    if (text.compare(i, 4, "AND ") == 0) {
      i += 4;
      continue;
    }
    Term t;
    std::string field;
    while (i < n && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '.' || text[i] == '_' ||
                     text[i] == '-')) {
      field += text[i++];
    }
    if (field.empty()) return false;
    size_t start = 0;
    for (size_t k = 0; k <= field.size(); ++k) {
      if (k == field.size() || field[k] == '.') {
        if (k == start) return false;
        t.path.push_back(field.substr(start, k - start));
        start = k + 1;
      }
    }
    while (i < n && text[i] == ' ') ++i;
    if (text.compare(i, 2, "!=") == 0) {
      t.op = "!=";
      i += 2;
    } else if (i < n && text[i] == '=') {
      t.op = "=";
      i += 1;
    } else if (text.compare(i, 3, "eq ") == 0 || text.compare(i, 3, "ne ") == 0) {
      t.op = text.substr(i, 2);
      i += 3;
    } else {
      return false;
    }
    while (i < n && text[i] == ' ') ++i;
    if (i < n && (text[i] == '"' || text[i] == '\'')) {
      char q = text[i++];
      while (i < n && text[i] != q) {
        if (text[i] == '\\' && i + 1 < n) ++i;
        t.value += text[i++];
      }
      if (i >= n) return false;
      ++i;
    } else {
      while (i < n && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != ')') t.value += text[i++];
      if (t.value.empty()) return false;
    }
    if (t.op == "eq" || t.op == "ne") {
      try {
        t.re = std::regex(t.value, std::regex::ECMAScript);
      } catch (const std::regex_error&) {
        return false;
      }
    }
    terms_.push_back(std::move(t));
  }
  return !terms_.empty();
}

bool Filter::Matches(const json& item) const {
  for (const Term& t : terms_) {
    const json* v = &item;
    for (const std::string& seg : t.path) {
      if (!v->is_object()) {
        v = nullptr;
        break;
      }
      auto it = v->find(seg);
      if (it == v->end()) {
        v = nullptr;
        break;
      }
      v = &*it;
    }
    bool present = v != nullptr && !v->is_null();
    std::string text = present ? Text(*v) : "";
    bool eq;
    if (t.op == "=" || t.op == "!=") {
      eq = present && Glob(t.value, text);
      if (t.op == "!=") eq = !eq;
    } else {
      eq = present && std::regex_match(text, t.re);
      if (t.op == "ne") eq = !eq;
    }
    if (!eq) return false;
  }
  return true;
}

}  // namespace cloudsim::gce
