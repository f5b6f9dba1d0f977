// Diagnostics: problems found in user input (specs, templates, CLI flags),
// each with a location, collected so that every problem is reported at once.
//
// Printed like a compiler:
//   deploy.yaml:12:5: error: unknown key 'cont'; did you mean 'count'?
//     cont: 3
//     ^ near here
#pragma once

#include <string>
#include <vector>

namespace orch {

struct SourcePos {
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
};

struct SourceRange {
  std::string filename;  // as the user named it (relative paths kept relative)
  SourcePos start;
  SourcePos end;
  bool known() const { return start.line > 0; }
};

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceRange range;
  std::string message;  // what is wrong, and what to do about it
  // Optional resource address ("api.instance[2]") for apply-time problems.
  std::string address;
};

class Diagnostics {
 public:
  void Error(SourceRange range, std::string message);
  void Warning(SourceRange range, std::string message);
  void Append(Diagnostic d) { items_.push_back(std::move(d)); }
  void Append(const Diagnostics& other);

  bool HasErrors() const;
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }

  // Sorts by file, line, column (stable for equal positions).
  void Sort();

 private:
  std::vector<Diagnostic> items_;
};

// One line: "file:line:col: error: message" (or "address: error: message").
std::string FormatDiagnosticLine(const Diagnostic& d);
// "FILE:LINE:COLUMN" (the line and column left out when unknown).
std::string FormatPosition(const SourceRange& r);

// The line, then the offending source line and a caret when `source` (the
// whole text of d.range.filename) is given.
std::string FormatDiagnostic(const Diagnostic& d, const std::string* source);

}  // namespace orch
