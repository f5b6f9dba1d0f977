// Helpers over yaml-cpp used by the spec loader: positions, a structural
// pre-check (duplicate keys, size and depth limits), map entries with YAML
// merge keys (`<<: *anchor`) applied, and UTF-8 validation. Internal to
// src/spec/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "util/diagnostic.h"

namespace orch::spec::internal {

// Turns yaml-cpp marks (0-based line, 0-based byte column) into 1-based
// line:column with the column counted in characters (UTF-8 code points).
class Locator {
 public:
  Locator(std::string filename, std::string_view text);
  SourceRange At(const YAML::Mark& mark) const;
  SourceRange At(const YAML::Node& node) const { return At(node.Mark()); }
  SourceRange At(int line, int column) const;  // 1-based, as given
  SourceRange File() const;                    // the file, no position
  const std::string& filename() const { return filename_; }

 private:
  std::string filename_;
  std::string_view text_;
  std::vector<size_t> line_starts_;
};

// Finds the first invalid UTF-8 sequence or control character (other than
// tab, LF, CR); reports it and returns false.
bool CheckUtf8(std::string_view text, const Locator& loc, Diagnostics* diags);

// Walks the document once with aliases expanded: reports duplicate keys
// (at the second occurrence), non-string keys and malformed merge keys.
// Returns false (after reporting) when the expanded tree has more than
// kMaxNodes nodes or is nested deeper than kMaxDepth; the tree must then
// not be walked again.
bool CheckTree(const YAML::Node& root, const Locator& loc, Diagnostics* diags);

// " (line N is indented with a tab; ...)" when a line up to `line` (1-based)
// starts its indentation with a tab, else "". Explains yaml-cpp's terse
// syntax errors.
std::string TabIndentHint(std::string_view text, int line);
// " (inside { } a value with [ ] must be quoted: 'a.b[0]')" when line
// `line` (1-based) of `text` has a flow map holding an unquoted value such
// as an address with an index, which YAML reads as a flow sequence; else "".
std::string FlowBracketHint(std::string_view text, int line);

// One key/value pair of a map (or one list item: key_node == value, key "").
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  // Where a problem with the value is reported: the value, or the key when
  // the value is missing (null).
  const YAML::Node& Anchor() const;
};

// The entries of a map in file order, first occurrence of a key only, with
// the entries of `<<` merge sources appended when not set explicitly.
std::vector<Entry> MapEntries(const YAML::Node& map);

// The items of a sequence as entries.
std::vector<Entry> SeqEntries(const YAML::Node& seq);

// "a map", "a list", "nothing", or "'text'" for scalars (shortened).
std::string DescribeNode(const YAML::Node& node);

// Text shortened for messages: at most 40 characters, first line only.
std::string Shorten(std::string_view text);

}  // namespace orch::spec::internal
