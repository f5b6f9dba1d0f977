#include "util/diagnostic.h"

#include <algorithm>
#include <sstream>

namespace orch {

namespace {
constexpr size_t kMaxEchoedColumns = 160;
}  // namespace

void Diagnostics::Error(SourceRange range, std::string message) {
  items_.push_back({Severity::kError, std::move(range), std::move(message), {}});
}

void Diagnostics::Warning(SourceRange range, std::string message) {
  items_.push_back({Severity::kWarning, std::move(range), std::move(message), {}});
}

void Diagnostics::Append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::HasErrors() const {
  return std::any_of(items_.begin(), items_.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

void Diagnostics::Sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.range.filename != b.range.filename) return a.range.filename < b.range.filename;
    if (a.range.start.line != b.range.start.line) return a.range.start.line < b.range.start.line;
    return a.range.start.column < b.range.start.column;
  });
}

std::string FormatPosition(const SourceRange& r) {
  std::string out = r.filename;
  if (r.start.line > 0) {
    out += ':' + std::to_string(r.start.line);
    if (r.start.column > 0) out += ':' + std::to_string(r.start.column);
  }
  return out;
}

std::string FormatDiagnosticLine(const Diagnostic& d) {
  std::ostringstream os;
  if (!d.range.filename.empty()) {
    os << FormatPosition(d.range) << ": ";
  } else if (!d.address.empty()) {
    os << d.address << ": ";
  }
  os << (d.severity == Severity::kError ? "error: " : "warning: ") << d.message;
  return os.str();
}

std::string FormatDiagnostic(const Diagnostic& d, const std::string* source) {
  std::string out = FormatDiagnosticLine(d);
  if (!source || d.range.start.line <= 0) return out;
  int line = 1;
  size_t begin = 0;
  while (line < d.range.start.line) {
    size_t nl = source->find('\n', begin);
    if (nl == std::string::npos) return out;
    begin = nl + 1;
    ++line;
  }
  size_t end = source->find('\n', begin);
  std::string text = source->substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  if (!text.empty() && text.back() == '\r') text.pop_back();
  // A hostile or minified line is shown as a window around the column, and
  // control bytes never reach the terminal.
  int col = std::max(1, d.range.start.column);
  size_t from = 0;
  if (text.size() > kMaxEchoedColumns) {
    from = std::min(static_cast<size_t>(col - 1) > kMaxEchoedColumns / 2 ? col - 1 - kMaxEchoedColumns / 2 : 0,
                    text.size() - kMaxEchoedColumns);
    bool cut_end = from + kMaxEchoedColumns < text.size();
    text = (from > 0 ? "..." : "") + text.substr(from, kMaxEchoedColumns) + (cut_end ? "..." : "");
    col = col - static_cast<int>(from) + (from > 0 ? 3 : 0);
  }
  for (char& c : text) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) c = '?';
  }
  out += "\n  " + text + "\n  ";
  for (int i = 1; i < col && i <= static_cast<int>(text.size()); ++i) out += (text[i - 1] == '\t' ? '\t' : ' ');
  out += "^ near here";
  return out;
}

}  // namespace orch
