#include "spec/yaml_util.h"

#include <map>
#include <regex>
#include <set>
#include <utility>

#include "spec/loader.h"

namespace orch::spec::internal {

Locator::Locator(std::string filename, std::string_view text) : filename_(std::move(filename)), text_(text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourceRange Locator::At(const YAML::Mark& mark) const {
  SourceRange r;
  r.filename = filename_;
  if (mark.line < 0 || mark.column < 0) return r;
  int column = mark.column + 1;
  if (static_cast<size_t>(mark.line) < line_starts_.size()) {
    size_t begin = line_starts_[mark.line];
    size_t end = std::min(text_.size(), begin + static_cast<size_t>(mark.column));
    column = 1;
    for (size_t i = begin; i < end; ++i) {
      // Count every byte that does not continue a UTF-8 sequence.
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
    }
  }
  r.start = {mark.line + 1, column};
  r.end = r.start;
  return r;
}

SourceRange Locator::At(int line, int column) const {
  SourceRange r;
  r.filename = filename_;
  r.start = {line, column};
  r.end = r.start;
  return r;
}

SourceRange Locator::File() const {
  SourceRange r;
  r.filename = filename_;
  return r;
}

bool CheckUtf8(std::string_view text, const Locator& loc, Diagnostics* diags) {
  int line = 1, column = 1;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len > 0 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
               (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)) {
      ok = false;
    }
    if (!ok) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      diags->Error(loc.At(line, column),
                   std::string("invalid UTF-8 (byte ") + hex + "); the spec must be UTF-8 text");
      return false;
    }
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      diags->Error(loc.At(line, column), std::string("control character ") + hex + " is not allowed in YAML");
      return false;
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += len;
  }
  return true;
}

std::string TabIndentHint(std::string_view text, int line) {
  int n = 1;
  size_t begin = 0;
  while (begin <= text.size() && n <= line) {
    size_t end = text.find('\n', begin);
    std::string_view l = text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
    size_t indent = l.find_first_not_of(" \t");
    if (l.substr(0, indent).find('\t') != std::string_view::npos && indent != std::string_view::npos &&
        l[indent] != '#') {
      return " (line " + std::to_string(n) + " is indented with a tab; YAML indentation must use spaces)";
    }
    if (end == std::string_view::npos) break;
    begin = end + 1;
    ++n;
  }
  return "";
}

std::string FlowBracketHint(std::string_view text, int line) {
  size_t begin = 0;
  for (int n = 1; n < line; ++n) {
    begin = text.find('\n', begin);
    if (begin == std::string_view::npos) return "";
    ++begin;
  }
  std::string l(text.substr(begin, text.find('\n', begin) - begin));
  static const std::regex kUnquoted(R"([{,]\s*[A-Za-z_][A-Za-z0-9_-]*:\s*([A-Za-z0-9_.@-]+\[[0-9]+\]))");
  std::smatch m;
  if (!std::regex_search(l, m, kUnquoted)) return "";
  return " (inside { } a value with [ ] must be quoted: '" + m[1].str() + "')";
}

namespace {

class TreeChecker {
 public:
  TreeChecker(const Locator& loc, Diagnostics* diags) : loc_(loc), diags_(diags) {}

  bool Walk(const YAML::Node& node, int depth) {
    if (++nodes_ > kMaxNodes) {
      diags_->Error(loc_.At(node), "the spec expands to more than " + std::to_string(kMaxNodes) +
                                       " YAML nodes (aliases are expanded); simplify it");
      return false;
    }
    if (depth > kMaxDepth) {
      diags_->Error(loc_.At(node), "the spec is nested more than " + std::to_string(kMaxDepth) +
                                       " levels deep (a recursive alias?)");
      return false;
    }
    if (node.IsSequence()) {
      for (const auto& item : node) {
        if (!Walk(item, depth + 1)) return false;
      }
    } else if (node.IsMap()) {
      std::map<std::string, YAML::Mark> seen;
      for (auto it = node.begin(); it != node.end(); ++it) {
        // Copies: it-> returns a proxy that dies with the full expression, so a
        // reference to its members would dangle (yaml-cpp nodes are handles).
        const YAML::Node key = it->first;
        const YAML::Node value = it->second;
        if (!key.IsScalar()) {
          ReportOnce(key.Mark(), "map keys must be plain strings");
          if (!Walk(key, depth + 1)) return false;
        } else {
          const std::string& name = key.Scalar();
          auto [pos, inserted] = seen.emplace(name, key.Mark());
          if (!inserted) {
            ReportOnce(key.Mark(), "duplicate key '" + Shorten(name) + "' (first defined on line " +
                                       std::to_string(pos->second.line + 1) + ")");
          }
          if (name == "<<" && key.Tag() != "!") CheckMerge(value);
        }
        if (!Walk(value, depth + 1)) return false;
      }
    }
    return true;
  }

 private:
  void CheckMerge(const YAML::Node& value) {
    bool ok = value.IsMap();
    if (value.IsSequence()) {
      ok = true;
      for (const auto& item : value) ok = ok && item.IsMap();
    }
    if (!ok) ReportOnce(value.Mark(), "merge key '<<' expects a map or a list of maps (e.g. '<<: *defaults')");
  }

  void ReportOnce(const YAML::Mark& mark, const std::string& message) {
    if (reported_.insert({mark.line, mark.column}).second) diags_->Error(loc_.At(mark), message);
  }

  const Locator& loc_;
  Diagnostics* diags_;
  int nodes_ = 0;
  std::set<std::pair<int, int>> reported_;
};

void AppendMerged(const YAML::Node& source, std::set<std::string>* have, std::vector<Entry>* out) {
  if (source.IsSequence()) {
    for (const auto& item : source) AppendMerged(item, have, out);
    return;
  }
  if (!source.IsMap()) return;
  for (auto& e : MapEntries(source)) {
    if (have->insert(e.key).second) out->push_back(std::move(e));
  }
}

}  // namespace

bool CheckTree(const YAML::Node& root, const Locator& loc, Diagnostics* diags) {
  TreeChecker checker(loc, diags);
  return checker.Walk(root, 0);
}

const YAML::Node& Entry::Anchor() const {
  return (value.IsNull() || !value.IsDefined()) ? key_node : value;
}

std::vector<Entry> MapEntries(const YAML::Node& map) {
  std::vector<Entry> out;
  if (!map.IsMap()) return out;
  std::set<std::string> have;
  std::vector<YAML::Node> merges;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const std::string& key = it->first.Scalar();
    if (key == "<<" && it->first.Tag() != "!") {
      merges.push_back(it->second);
      continue;
    }
    if (!have.insert(key).second) continue;
    out.push_back({key, it->first, it->second});
  }
  for (const auto& m : merges) AppendMerged(m, &have, &out);
  return out;
}

std::vector<Entry> SeqEntries(const YAML::Node& seq) {
  std::vector<Entry> out;
  if (!seq.IsSequence()) return out;
  for (const auto& item : seq) out.push_back({"", item, item});
  return out;
}

std::string Shorten(std::string_view text) {
  size_t nl = text.find('\n');
  bool cut = nl != std::string_view::npos;
  std::string_view first = text.substr(0, nl);
  if (first.size() > 40) {
    size_t n = 37;
    while (n > 0 && (static_cast<unsigned char>(first[n]) & 0xC0) == 0x80) --n;  // keep UTF-8 whole
    first = first.substr(0, n);
    cut = true;
  }
  std::string out(first);
  if (cut) out += "...";
  return out;
}

std::string DescribeNode(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "'" + Shorten(node.Scalar()) + "'";
}

}  // namespace orch::spec::internal
