#include "http/redact.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

namespace orch::http {
namespace {

using Range = std::pair<size_t, size_t>;  // [begin, end) of text to replace

std::mutex& SecretsMu() {
  static std::mutex mu;
  return mu;
}

// Longest first, so a secret containing another is replaced whole.
struct LongerFirst {
  bool operator()(const std::string& a, const std::string& b) const {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  }
};

std::set<std::string, LongerFirst>& Secrets() {
  static std::set<std::string, LongerFirst> secrets;
  return secrets;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

const char* const kSecretHeaders[] = {"authorization", "proxy-authorization", "x-auth-token",
                                      "x-subject-token"};

// A JSON key whose string value is a credential.
bool SensitiveJsonKey(const std::string& key) {
  static const std::set<std::string> kKeys = {
      "password", "passwd", "access_token", "refresh_token", "id_token", "client_secret",
      "private_key", "secret", "api_key", "apikey", "token", "authorization",
      "proxy-authorization", "x-auth-token", "x-subject-token", "assertion"};
  if (kKeys.count(key)) return true;
  if (key.find("page") != std::string::npos) return false;  // pagination tokens are not secret
  return EndsWith(key, "_token") || EndsWith(key, "_secret") || EndsWith(key, "password");
}

// A query or form parameter whose value is a credential.
bool SensitiveParam(const std::string& name) {
  static const std::set<std::string> kNames = {"password", "passwd", "client_secret", "secret",
                                               "api_key", "apikey", "key", "signature",
                                               "assertion"};
  if (kNames.count(name)) return true;
  if (name.find("page") != std::string::npos) return false;
  return EndsWith(name, "token") || EndsWith(name, "_secret") || EndsWith(name, "password");
}

// "Authorization: value" up to the end of the line.
void HeaderRanges(const std::string& lower, std::vector<Range>* out) {
  for (const char* h : kSecretHeaders) {
    std::string_view name(h);
    for (size_t pos = lower.find(name); pos != std::string::npos; pos = lower.find(name, pos + 1)) {
      if (pos > 0) {
        char before = lower[pos - 1];
        if (std::isalnum(static_cast<unsigned char>(before)) || before == '-' || before == '_') continue;
      }
      size_t i = pos + name.size();
      while (i < lower.size() && (lower[i] == ' ' || lower[i] == '\t')) ++i;
      if (i >= lower.size() || lower[i] != ':') continue;
      ++i;
      while (i < lower.size() && (lower[i] == ' ' || lower[i] == '\t')) ++i;
      size_t end = i;
      while (end < lower.size() && lower[end] != '\r' && lower[end] != '\n') ++end;
      if (end > i) out->emplace_back(i, end);
    }
  }
}

// The credential after "Bearer " or "Basic ".
void SchemeRanges(const std::string& lower, std::vector<Range>* out) {
  for (std::string_view scheme : {std::string_view("bearer "), std::string_view("basic ")}) {
    for (size_t pos = lower.find(scheme); pos != std::string::npos;
         pos = lower.find(scheme, pos + 1)) {
      if (pos > 0 && std::isalnum(static_cast<unsigned char>(lower[pos - 1]))) continue;
      size_t i = pos + scheme.size();
      size_t end = i;
      while (end < lower.size()) {
        char c = lower[end];
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
            c == '~' || c == '+' || c == '/' || c == '=') {
          ++end;
        } else {
          break;
        }
      }
      if (end > i) out->emplace_back(i, end);
    }
  }
}

// End of the JSON string starting at the quote `open` (index of the closing
// quote), or npos.
size_t StringEnd(std::string_view text, size_t open) {
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i;
    }
  }
  return std::string_view::npos;
}

// "key": "value" pairs with a sensitive key.
void JsonRanges(std::string_view text, const std::string& lower, std::vector<Range>* out) {
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '"') {
      ++i;
      continue;
    }
    size_t key_end = StringEnd(text, i);
    if (key_end == std::string_view::npos) return;
    std::string key = lower.substr(i + 1, key_end - i - 1);
    size_t j = key_end + 1;
    while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j < text.size() && text[j] == ':') {
      ++j;
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j < text.size() && text[j] == '"') {
        size_t value_end = StringEnd(text, j);
        if (value_end == std::string_view::npos) {
          // Truncated excerpt: hide the rest if the key is sensitive.
          if (SensitiveJsonKey(key) && j + 1 < text.size()) out->emplace_back(j + 1, text.size());
          return;
        }
        if (SensitiveJsonKey(key) && value_end > j + 1) out->emplace_back(j + 1, value_end);
        i = value_end + 1;
        continue;
      }
    }
    i = key_end + 1;
  }
}

// The same pairs inside a JSON document that is itself quoted in a JSON
// string (\"password\":\"value\"), as when a request body is logged.
void EscapedJsonRanges(std::string_view text, const std::string& lower, std::vector<Range>* out) {
  constexpr std::string_view kQ = "\\\"";  // backslash quote
  size_t i = text.find(kQ);
  while (i != std::string_view::npos) {
    size_t key_begin = i + kQ.size();
    size_t key_end = text.find(kQ, key_begin);
    if (key_end == std::string_view::npos) return;
    std::string key = lower.substr(key_begin, key_end - key_begin);
    size_t j = key_end + kQ.size();
    while (j < text.size() && text[j] == ' ') ++j;
    if (j < text.size() && text[j] == ':' && key.find('"') == std::string::npos) {
      ++j;
      while (j < text.size() && text[j] == ' ') ++j;
      if (text.compare(j, kQ.size(), kQ) == 0) {
        size_t value_begin = j + kQ.size();
        size_t value_end = text.find(kQ, value_begin);
        if (value_end == std::string_view::npos) value_end = text.size();
        if (SensitiveJsonKey(key) && value_end > value_begin) out->emplace_back(value_begin, value_end);
        if (value_end == text.size()) return;
        i = text.find(kQ, value_end + kQ.size());
        continue;
      }
    }
    i = text.find(kQ, key_end + kQ.size());
  }
}

// name=value in URLs and form bodies.
void ParamRanges(const std::string& lower, std::vector<Range>* out) {
  for (size_t eq = lower.find('='); eq != std::string::npos; eq = lower.find('=', eq + 1)) {
    size_t start = eq;
    while (start > 0) {
      char c = lower[start - 1];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') {
        --start;
      } else {
        break;
      }
    }
    if (start == eq) continue;
    if (start > 0) {
      char d = lower[start - 1];
      if (!(d == '?' || d == '&' || d == ';' || d == '"' || d == '\'' ||
            std::isspace(static_cast<unsigned char>(d)))) {
        continue;
      }
    }
    if (!SensitiveParam(lower.substr(start, eq - start))) continue;
    size_t end = eq + 1;
    while (end < lower.size()) {
      char c = lower[end];
      if (c == '&' || c == '"' || c == '\'' || c == '#' || c == ',' || c == ';' ||
          std::isspace(static_cast<unsigned char>(c))) {
        break;
      }
      ++end;
    }
    if (end > eq + 1) out->emplace_back(eq + 1, end);
  }
}

}  // namespace

std::string Redact(std::string_view text) {
  std::string lower = Lower(text);
  std::vector<Range> ranges;
  HeaderRanges(lower, &ranges);
  SchemeRanges(lower, &ranges);
  JsonRanges(text, lower, &ranges);
  EscapedJsonRanges(text, lower, &ranges);
  ParamRanges(lower, &ranges);
  std::sort(ranges.begin(), ranges.end());

  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t k = 0; k < ranges.size();) {
    size_t b = ranges[k].first, e = ranges[k].second;
    for (++k; k < ranges.size() && ranges[k].first <= e; ++k) e = std::max(e, ranges[k].second);
    if (b < pos) b = pos;  // overlapped an earlier merged range
    if (e <= pos) continue;
    out.append(text.substr(pos, b - pos));
    out.append(kRedacted);
    pos = e;
  }
  out.append(text.substr(pos));

  std::lock_guard<std::mutex> l(SecretsMu());
  for (const std::string& s : Secrets()) {
    for (size_t p = out.find(s); p != std::string::npos; p = out.find(s, p + kRedacted.size())) {
      out.replace(p, s.size(), kRedacted);
    }
  }
  return out;
}

void RegisterSecret(std::string_view secret) {
  if (secret.size() < 4) return;
  std::lock_guard<std::mutex> l(SecretsMu());
  Secrets().insert(std::string(secret));
}

void TEST_ClearSecrets() {
  std::lock_guard<std::mutex> l(SecretsMu());
  Secrets().clear();
}

}  // namespace orch::http
