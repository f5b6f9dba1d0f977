#include "util/sensitive.h"

#include "util/sha256.h"

namespace orch {

namespace {

constexpr const char* kKey = "sensitive";

// Applies `f` to every marker in `v`; stops at the first error.
template <typename F>
Status Replace(nlohmann::json* v, const F& f) {
  if (IsSensitiveMarker(*v)) return f(v);
  if (!v->is_object() && !v->is_array()) return Status::OK();
  for (auto& item : *v) {
    if (Status st = Replace(&item, f); !st.ok()) return st;
  }
  return Status::OK();
}

}  // namespace

nlohmann::json SensitiveMarker(const std::string& value, SensitiveValues* values) {
  std::string digest = "sha256:" + Sha256Hex(value);
  if (values) (*values)[digest] = value;
  return nlohmann::json{{kKey, digest}};
}

bool IsSensitiveMarker(const nlohmann::json& v) {
  if (!v.is_object() || v.size() != 1) return false;
  auto it = v.find(kKey);
  return it != v.end() && it->is_string() && it->get_ref<const std::string&>().rfind("sha256:", 0) == 0;
}

bool HasSensitive(const nlohmann::json& v) {
  if (IsSensitiveMarker(v)) return true;
  if (!v.is_object() && !v.is_array()) return false;
  for (const auto& item : v)
    if (HasSensitive(item)) return true;
  return false;
}

Result<nlohmann::json> RevealSensitive(const nlohmann::json& v, const SensitiveValues& values) {
  nlohmann::json out = v;
  Status st = Replace(&out, [&](nlohmann::json* m) {
    auto it = values.find((*m)[kKey].get<std::string>());
    if (it == values.end()) {
      return Status::InvalidArgument(
          "a sensitive user_data value recorded for this resource is no longer given by the spec "
          "(its ${env:} or ${file:} changed or is unset)");
    }
    *m = it->second;
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

nlohmann::json MaskSensitive(const nlohmann::json& v, std::string_view mask) {
  nlohmann::json out = v;
  (void)Replace(&out, [&](nlohmann::json* m) {
    *m = std::string(mask);
    return Status::OK();
  });
  return out;
}

}  // namespace orch
