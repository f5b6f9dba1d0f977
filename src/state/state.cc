#include "state/state.h"

#include <string_view>

#include "state/lock_message.h"
#include "state/state_store.h"

namespace orch::state {
namespace {

using nlohmann::json;

constexpr int kCurrentVersion = 1;

// Shape checks that turn a corrupt or hand-edited file into a clear message
// naming the offending field instead of an exception.
class Reader {
 public:
  explicit Reader(std::string where) : where_(std::move(where)) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  void Fail(const std::string& field, const std::string& what) {
    if (error_.empty()) error_ = where_ + (field.empty() ? "" : "." + field) + ": " + what;
  }

  std::string String(const json& obj, const char* field, bool required = false) {
    auto it = obj.find(field);
    if (it == obj.end() || it->is_null()) {
      if (required) Fail(field, "missing");
      return {};
    }
    if (!it->is_string()) {
      Fail(field, std::string("expected a string, found ") + it->type_name());
      return {};
    }
    return it->get<std::string>();
  }

  int64_t Int(const json& obj, const char* field, bool required = false) {
    auto it = obj.find(field);
    if (it == obj.end() || it->is_null()) {
      if (required) Fail(field, "missing");
      return 0;
    }
    if (!it->is_number_integer()) {
      Fail(field, std::string("expected an integer, found ") + it->type_name());
      return 0;
    }
    return it->get<int64_t>();
  }

  std::map<std::string, std::string> StringMap(const json& obj, const char* field) {
    std::map<std::string, std::string> out;
    auto it = obj.find(field);
    if (it == obj.end() || it->is_null()) return out;
    if (!it->is_object()) {
      Fail(field, std::string("expected an object, found ") + it->type_name());
      return out;
    }
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) {
        Fail(std::string(field) + "." + k, "expected a string");
        return out;
      }
      out[k] = v.get<std::string>();
    }
    return out;
  }

  json Object(const json& obj, const char* field) {
    auto it = obj.find(field);
    if (it == obj.end() || it->is_null()) return json::object();
    if (!it->is_object()) {
      Fail(field, std::string("expected an object, found ") + it->type_name());
      return json::object();
    }
    return *it;
  }

  std::vector<std::string> StringList(const json& obj, const char* field) {
    std::vector<std::string> out;
    auto it = obj.find(field);
    if (it == obj.end() || it->is_null()) return out;
    if (!it->is_array()) {
      Fail(field, std::string("expected an array, found ") + it->type_name());
      return out;
    }
    for (const auto& v : *it) {
      if (!v.is_string()) {
        Fail(field, "expected an array of strings");
        return out;
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }

 private:
  std::string where_;
  std::string error_;
};

json ResourceToJson(const ResourceState& r) {
  return json{{"address", r.address},   {"kind", r.kind},
              {"provider", r.provider}, {"provider_type", r.provider_type},
              {"id", r.id},             {"cloud_name", r.cloud_name},
              {"tags", r.tags},         {"attributes", r.attributes},
              {"outputs", r.outputs},   {"depends_on", r.depends_on}};
}

json IntentToJson(const Intent& i) {
  return json{{"address", i.address},   {"action", i.action},
              {"provider", i.provider}, {"cloud_name", i.cloud_name},
              {"tags", i.tags},         {"operation", i.operation},
              {"attempt", i.attempt},   {"started_micros", i.started_micros}};
}

json ImageToJson(const ImageRecord& i) {
  return json{{"provider", i.provider}, {"provider_type", i.provider_type}, {"id", i.id},
              {"artifact", i.artifact}, {"tier", i.tier},                   {"template", i.template_path},
              {"template_digest", i.template_digest}, {"base", i.base},     {"built_micros", i.built_micros}};
}

}  // namespace

json State::ToJson() const {
  json res = json::object();
  for (const auto& [addr, r] : resources) res[addr] = ResourceToJson(r);
  json ints = json::object();
  for (const auto& [addr, i] : intents) ints[addr] = IntentToJson(i);
  json out{{"version", version}, {"deployment", deployment}, {"lineage", lineage},
           {"serial", serial},   {"resources", res},         {"intents", ints},
           {"providers", providers}};
  if (!images.empty()) {
    json imgs = json::object();
    for (const auto& [name, i] : images) imgs[name] = ImageToJson(i);
    out["images"] = std::move(imgs);
  }
  return out;
}

Result<State> State::FromJson(const json& j) {
  if (!j.is_object()) {
    return Status::InvalidArgument(std::string("state: expected a JSON object, found ") +
                                   j.type_name());
  }
  Reader rd("state");
  State s;
  int64_t version = rd.Int(j, "version", true);
  if (rd.failed()) return Status::InvalidArgument(rd.error());
  if (version < 1) return Status::InvalidArgument("state.version: invalid value " + std::to_string(version));
  if (version > kCurrentVersion) {
    return Status::InvalidArgument("state.version: format version " + std::to_string(version) +
                                   " is newer than this orchestrator supports (" +
                                   std::to_string(kCurrentVersion) + "); upgrade orchestrator");
  }
  s.version = static_cast<int>(version);
  s.deployment = rd.String(j, "deployment", true);
  s.lineage = rd.String(j, "lineage");
  auto serial = j.find("serial");
  if (serial == j.end()) {
    rd.Fail("serial", "missing");
  } else if (!serial->is_number_integer()) {
    rd.Fail("serial", std::string("expected an integer, found ") + serial->type_name());
  } else if (!serial->is_number_unsigned() && serial->get<int64_t>() < 0) {
    rd.Fail("serial", "must not be negative");
  } else {
    s.serial = serial->get<uint64_t>();
  }
  if (rd.failed()) return Status::InvalidArgument(rd.error());

  auto res = j.find("resources");
  if (res == j.end()) return Status::InvalidArgument("state.resources: missing");
  if (!res->is_object()) {
    return Status::InvalidArgument(std::string("state.resources: expected an object, found ") +
                                   res->type_name());
  }
  for (const auto& [addr, rj] : res->items()) {
    Reader r("state.resources[\"" + addr + "\"]");
    if (!rj.is_object()) {
      return Status::InvalidArgument("state.resources[\"" + addr + "\"]: expected an object");
    }
    ResourceState rs;
    rs.address = r.String(rj, "address");
    if (rs.address.empty()) rs.address = addr;
    if (rs.address != addr) r.Fail("address", "\"" + rs.address + "\" does not match its key");
    rs.kind = r.String(rj, "kind", true);
    rs.provider = r.String(rj, "provider");
    rs.provider_type = r.String(rj, "provider_type");
    rs.id = r.String(rj, "id");
    rs.cloud_name = r.String(rj, "cloud_name");
    rs.tags = r.StringMap(rj, "tags");
    rs.attributes = r.Object(rj, "attributes");
    rs.outputs = r.Object(rj, "outputs");
    rs.depends_on = r.StringList(rj, "depends_on");
    if (r.failed()) return Status::InvalidArgument(r.error());
    s.resources.emplace(addr, std::move(rs));
  }

  auto ints = j.find("intents");
  if (ints != j.end() && !ints->is_null()) {
    if (!ints->is_object()) {
      return Status::InvalidArgument(std::string("state.intents: expected an object, found ") +
                                     ints->type_name());
    }
    for (const auto& [addr, ij] : ints->items()) {
      Reader r("state.intents[\"" + addr + "\"]");
      if (!ij.is_object()) {
        return Status::InvalidArgument("state.intents[\"" + addr + "\"]: expected an object");
      }
      Intent in;
      in.address = r.String(ij, "address");
      if (in.address.empty()) in.address = addr;
      if (in.address != addr) r.Fail("address", "\"" + in.address + "\" does not match its key");
      in.action = r.String(ij, "action", true);
      if (!r.failed() && in.action != "create" && in.action != "delete") {
        r.Fail("action", "expected \"create\" or \"delete\", found \"" + in.action + "\"");
      }
      in.provider = r.String(ij, "provider");
      in.cloud_name = r.String(ij, "cloud_name");
      in.tags = r.StringMap(ij, "tags");
      in.operation = r.String(ij, "operation");
      in.attempt = static_cast<int>(r.Int(ij, "attempt"));
      in.started_micros = r.Int(ij, "started_micros");
      if (r.failed()) return Status::InvalidArgument(r.error());
      s.intents.emplace(addr, std::move(in));
    }
  }
  auto provs = j.find("providers");
  if (provs != j.end() && !provs->is_null()) {
    if (!provs->is_object()) {
      return Status::InvalidArgument(std::string("state.providers: expected an object, found ") +
                                     provs->type_name());
    }
    s.providers = *provs;
  }
  auto imgs = j.find("images");
  if (imgs != j.end() && !imgs->is_null()) {
    if (!imgs->is_object()) {
      return Status::InvalidArgument(std::string("state.images: expected an object, found ") +
                                     imgs->type_name());
    }
    for (const auto& [name, ij] : imgs->items()) {
      Reader r("state.images[\"" + name + "\"]");
      if (!ij.is_object()) return Status::InvalidArgument("state.images[\"" + name + "\"]: expected an object");
      ImageRecord im;
      im.provider = r.String(ij, "provider", true);
      im.provider_type = r.String(ij, "provider_type");
      im.id = r.String(ij, "id", true);
      im.artifact = r.String(ij, "artifact");
      im.tier = r.String(ij, "tier");
      im.template_path = r.String(ij, "template");
      im.template_digest = r.String(ij, "template_digest");
      im.base = r.String(ij, "base");
      im.built_micros = r.Int(ij, "built_micros");
      if (r.failed()) return Status::InvalidArgument(r.error());
      s.images.emplace(name, std::move(im));
    }
  }
  return s;
}

json LockInfo::ToJson() const {
  return json{{"id", id},   {"operation", operation}, {"who", who},
              {"host", host}, {"pid", pid},           {"created_micros", created_micros}};
}

LockInfo LockInfo::FromJson(const json& j) {
  LockInfo li;
  if (!j.is_object()) return li;
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto num = [&](const char* k) -> int64_t {
    auto it = j.find(k);
    return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
  };
  li.id = str("id");
  li.operation = str("operation");
  li.who = str("who");
  li.host = str("host");
  li.pid = num("pid");
  li.created_micros = num("created_micros");
  return li;
}

std::string LockInfo::Describe() const {
  std::string out = "pid " + std::to_string(pid) + " on " + (host.empty() ? "unknown host" : host);
  if (!who.empty()) out += " (" + who + ")";
  out += ", " + (operation.empty() ? std::string("unknown operation") : operation);
  out += " since " + FormatUtcMicros(created_micros);
  return out;
}

}  // namespace orch::state
