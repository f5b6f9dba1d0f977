// GCE list `filter` expressions: a conjunction of comparisons, written
// `name = "x"`, `labels.env=prod`, `status != RUNNING`, `name eq 'web-.*'`,
// `(a = 1) (b = 2)` or `a = 1 AND b = 2`. `=`/`!=` compare text (`*` is a
// wildcard); `eq`/`ne` match a regular expression against the whole value.
#pragma once

#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cloudsim::gce {

class Filter {
 public:
  // False if `text` is not a filter expression this model understands.
  bool Parse(const std::string& text);
  bool Matches(const nlohmann::json& item) const;
  bool empty() const { return terms_.empty(); }
  // True if some term's first path segment is in `fields`.
  bool TouchesAny(const std::set<std::string>& fields) const {
    for (const Term& t : terms_) {
      if (fields.count(t.path.front())) return true;
    }
    return false;
  }

 private:
  struct Term {
    std::vector<std::string> path;
    std::string op;  // = != eq ne
    std::string value;
    std::regex re;
  };
  std::vector<Term> terms_;
};

}  // namespace cloudsim::gce
