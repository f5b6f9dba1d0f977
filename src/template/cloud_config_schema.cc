#include "template/cloud_config_schema.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <yaml-cpp/yaml.h>

namespace orch::tmpl {

// Generated from cloud-init's schema file (src/template/CMakeLists.txt).
extern const char kCloudConfigSchemaSource[];
extern const char kCloudConfigSchemaJson[];

namespace {

using nlohmann::json;

constexpr std::string_view kHeader = "#cloud-config";

// The schema, parsed once. Its top level is an allOf of one schema per
// cloud-init module; valijson stops an allOf at the first branch that
// fails, so each branch is kept as a schema of its own (sharing $defs) to
// report every module's problems. An embedded schema that does not parse is
// a build problem: reported as a problem of every document.
struct ParsedSchema {
  json doc;  // the schema itself (AllowedTypes)
  std::vector<std::unique_ptr<valijson::Schema>> modules;
  std::string error;
};

const ParsedSchema& Schema() {
  static const ParsedSchema* parsed = [] {
    auto* p = new ParsedSchema;
    try {
      json doc = json::parse(kCloudConfigSchemaJson);
      json branches = doc.contains("allOf") ? doc["allOf"] : json::array();
      if (!branches.is_array() || branches.empty()) branches = json::array({json::object()});
      p->doc = doc;
      doc.erase("allOf");
      for (const json& branch : branches) {
        json one = doc;
        one["allOf"] = json::array({branch});
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft4);
        valijson::adapters::NlohmannJsonAdapter adapter(one);
        p->modules.push_back(std::make_unique<valijson::Schema>());
        parser.populateSchema(adapter, *p->modules.back());
      }
    } catch (const std::exception& e) {
      p->error = std::string("the embedded cloud-init schema (") + kCloudConfigSchemaSource +
                 ") cannot be used: " + e.what() + "; rebuild against a working cloud-init schema";
    }
    return p;
  }();
  return *parsed;
}

// A plain (unquoted, untagged) scalar typed as YAML 1.1, like PyYAML's
// SafeLoader (the resolver cloud-init reads user data with).
json PlainScalar(const std::string& s) {
  static const std::regex kNull("~|null|Null|NULL|");
  static const std::regex kTrue("yes|Yes|YES|true|True|TRUE|on|On|ON");
  static const std::regex kFalse("no|No|NO|false|False|FALSE|off|Off|OFF");
  static const std::regex kInt(
      "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+");
  static const std::regex kFloat(
      "[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|"
      "[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  if (std::regex_match(s, kNull)) return nullptr;
  if (std::regex_match(s, kTrue)) return true;
  if (std::regex_match(s, kFalse)) return false;
  if (std::regex_match(s, kInt)) {
    std::string digits;
    for (char c : s)
      if (c != '_') digits += c;
    try {
      return static_cast<int64_t>(std::stoll(digits, nullptr, 0));
    } catch (const std::exception&) {
      return 0;  // the type is what the schema checks; the value is only shown
    }
  }
  if (s != "." && std::regex_match(s, kFloat)) {
    try {
      return std::stod(s);
    } catch (const std::exception&) {
      return 0.0;
    }
  }
  return s;
}

json ToJson(const YAML::Node& node, int depth = 0) {
  if (depth > 200) throw YAML::Exception(node.Mark(), "nested too deeply");
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.Scalar()] = ToJson(kv.second, depth + 1);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(ToJson(item, depth + 1));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      if (tag == "?") return PlainScalar(node.Scalar());
      if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" || tag == "tag:yaml.org,2002:bool" ||
          tag == "tag:yaml.org,2002:null") {
        json typed = PlainScalar(node.Scalar());
        if (!typed.is_string()) return typed;
      }
      return node.Scalar();  // quoted, !!str, !!binary and other tags
    }
    default:
      return nullptr;
  }
}

// The YAML node at a valijson context path ("<root>", "[packages]", "[0]");
// the deepest one that exists. Nodes are rebound with reset(): yaml-cpp's
// operator= would overwrite the node inside the tree.
YAML::Node NodeAt(const YAML::Node& root, const std::vector<std::string>& path) {
  YAML::Node node;
  node.reset(root);
  for (const std::string& part : path) {
    if (part.size() < 2 || part.front() != '[' || part.back() != ']') continue;
    std::string key = part.substr(1, part.size() - 2);
    const YAML::Node& here = node;
    YAML::Node next;
    bool found = false;
    if (here.IsMap()) {
      for (const auto& kv : here) {
        if (!found && kv.first.Scalar() == key) {
          next.reset(kv.second);
          found = true;
        }
      }
    } else if (here.IsSequence()) {
      char* end = nullptr;
      unsigned long i = std::strtoul(key.c_str(), &end, 10);
      if (end && *end == '\0' && !key.empty() && i < here.size()) {
        next.reset(here[i]);
        found = true;
      }
    }
    if (!found) break;
    node.reset(next);
  }
  return node;
}

std::string DottedPath(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& part : path) {
    if (part.size() < 2 || part.front() != '[') continue;
    out += (out.empty() ? "" : ".") + part.substr(1, part.size() - 2);
  }
  return out;
}

std::string Describe(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return std::string("the boolean ") + (v.get<bool>() ? "true" : "false");
  if (v.is_number_integer()) return "the integer " + v.dump();
  if (v.is_number()) return "the number " + v.dump();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return "the string " + json(s).dump();
  }
  return v.is_array() ? "a list" : "a map";
}

const json* ValueAt(const json& doc, const std::vector<std::string>& path) {
  const json* v = &doc;
  for (const std::string& part : path) {
    if (part.size() < 2 || part.front() != '[') continue;
    std::string key = part.substr(1, part.size() - 2);
    if (v->is_object() && v->contains(key)) {
      v = &(*v)[key];
    } else if (v->is_array()) {
      size_t i = std::strtoul(key.c_str(), nullptr, 10);
      if (i >= v->size()) return nullptr;
      v = &(*v)[i];
    } else {
      return nullptr;
    }
  }
  return v;
}

// The JSON types `schema` allows at path[i...] (valijson context parts),
// following $ref (into the same document), allOf/oneOf/anyOf, properties,
// patternProperties, additionalProperties and items.
void AllowedTypes(const json& doc, const json& schema, const std::vector<std::string>& path, size_t i,
                  std::set<std::string>* out, int depth = 0) {
  if (!schema.is_object() || depth > 64) return;
  if (auto ref = schema.find("$ref"); ref != schema.end() && ref->is_string()) {
    const std::string& r = ref->get_ref<const std::string&>();
    if (r.rfind("#/", 0) == 0) {
      try {
        AllowedTypes(doc, doc.at(json::json_pointer(r.substr(1))), path, i, out, depth + 1);
      } catch (const json::exception&) {
      }
    }
  }
  for (const char* any : {"allOf", "oneOf", "anyOf"})
    if (auto list = schema.find(any); list != schema.end() && list->is_array())
      for (const json& sub : *list) AllowedTypes(doc, sub, path, i, out, depth + 1);
  while (i < path.size() && (path[i].size() < 2 || path[i].front() != '[')) ++i;
  if (i == path.size()) {
    if (auto type = schema.find("type"); type != schema.end()) {
      if (type->is_string()) out->insert(type->get<std::string>());
      if (type->is_array())
        for (const json& t : *type)
          if (t.is_string()) out->insert(t.get<std::string>());
    }
    return;
  }
  std::string key = path[i].substr(1, path[i].size() - 2);
  bool matched = false;
  if (auto props = schema.find("properties"); props != schema.end() && props->is_object() && props->contains(key)) {
    AllowedTypes(doc, (*props)[key], path, i + 1, out, depth + 1);
    matched = true;
  }
  if (auto pats = schema.find("patternProperties"); pats != schema.end() && pats->is_object()) {
    for (auto it = pats->begin(); it != pats->end(); ++it) {
      try {
        if (std::regex_search(key, std::regex(it.key()))) {
          AllowedTypes(doc, it.value(), path, i + 1, out, depth + 1);
          matched = true;
        }
      } catch (const std::regex_error&) {
      }
    }
  }
  if (auto extra = schema.find("additionalProperties"); !matched && extra != schema.end() && extra->is_object())
    AllowedTypes(doc, *extra, path, i + 1, out, depth + 1);
  if (auto items = schema.find("items"); items != schema.end()) {
    if (items->is_object()) AllowedTypes(doc, *items, path, i + 1, out, depth + 1);
    size_t n = std::strtoul(key.c_str(), nullptr, 10);
    if (items->is_array() && n < items->size()) AllowedTypes(doc, (*items)[n], path, i + 1, out, depth + 1);
  }
}

// "a list or a string" for {"array", "string"}.
std::string TypeWords(const std::set<std::string>& types) {
  static const std::map<std::string, std::string> kWords = {
      {"array", "a list"},       {"object", "a map"},        {"string", "a string"}, {"integer", "an integer"},
      {"number", "a number"},    {"boolean", "a boolean"},   {"null", "null"}};
  std::vector<std::string> words;
  for (const std::string& t : types) {
    auto w = kWords.find(t);
    words.push_back(w == kWords.end() ? t : w->second);
  }
  std::string out;
  for (size_t k = 0; k < words.size(); ++k)
    out += (k == 0 ? "" : k + 1 == words.size() ? " or " : ", ") + words[k];
  return out;
}

bool IsPrefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a.size() < b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

bool IsCloudConfig(std::string_view text) {
  if (text.substr(0, kHeader.size()) != kHeader) return false;
  // "#cloud-config-archive" and the like are other part types.
  return text.size() == kHeader.size() || std::isspace(static_cast<unsigned char>(text[kHeader.size()]));
}

const char* CloudConfigSchemaSource() { return kCloudConfigSchemaSource; }

std::vector<SchemaProblem> CheckCloudConfig(const std::string& text) {
  if (!IsCloudConfig(text)) return {};
  const ParsedSchema& schema = Schema();
  if (!schema.error.empty()) return {SchemaProblem{0, 0, "", schema.error}};
  YAML::Node root;
  json doc;
  try {
    root = YAML::Load(text);
    doc = ToJson(root);
  } catch (const YAML::Exception& e) {
    return {SchemaProblem{e.mark.line + 1, e.mark.column + 1, "", "not valid YAML: " + e.msg}};
  }
  if (doc.is_null()) return {};  // an empty cloud-config
  if (!doc.is_object()) {
    return {SchemaProblem{1, 1, "", "a cloud-config document must be a map of modules (packages:, runcmd:, ...), got " +
                                        Describe(doc)}};
  }
  valijson::Validator validator;
  valijson::adapters::NlohmannJsonAdapter adapter(doc);
  std::vector<valijson::ValidationResults::Error> errors;
  for (const auto& module : schema.modules) {
    valijson::ValidationResults results;
    if (validator.validate(*module, adapter, &results)) continue;
    valijson::ValidationResults::Error e;
    while (results.popError(e)) errors.push_back(e);
  }
  if (errors.empty()) return {};

  // valijson reports each failure and then every enclosing schema that
  // failed because of it: keep the innermost, one problem per value, and
  // its concrete messages over "failed to validate against child schema".
  std::map<std::vector<std::string>, std::vector<std::string>> innermost;
  for (const auto& err : errors) {
    bool enclosing = std::any_of(errors.begin(), errors.end(),
                                 [&](const auto& other) { return IsPrefix(err.context, other.context); });
    if (enclosing) continue;
    auto& messages = innermost[err.context];
    if (std::find(messages.begin(), messages.end(), err.description) == messages.end())
      messages.push_back(err.description);
  }
  std::vector<SchemaProblem> out;
  for (const auto& [context, messages] : innermost) {
    SchemaProblem p;
    YAML::Node at = NodeAt(root, context);
    p.line = at.Mark().line + 1;
    p.column = at.Mark().column + 1;
    p.path = DottedPath(context);
    const json* value = ValueAt(doc, context);
    std::string joined;
    bool alternatives = false;
    for (const std::string& m : messages) {
      if (m.rfind("Failed to validate against", 0) == 0) {
        alternatives = alternatives || m.find("oneOf") != std::string::npos || m.find("anyOf") != std::string::npos;
        continue;
      }
      if (m.rfind("Value type not permitted", 0) == 0) {
        std::set<std::string> types;
        AllowedTypes(schema.doc, schema.doc, context, 0, &types);
        if (!types.empty()) {
          joined += (joined.empty() ? "" : " ") + std::string("expected ") + TypeWords(types) +
                    (value ? ", got " + Describe(*value) : "") + ".";
          value = nullptr;  // said
          alternatives = false;
          continue;
        }
      }
      joined += (joined.empty() ? "" : " ") + m;
    }
    if (alternatives && joined.rfind("expected ", 0) != 0)
      joined += (joined.empty() ? "" : " ") + std::string("None of the forms it allows matches.");
    if (joined.empty()) joined = messages.front();
    p.message = (p.path.empty() ? std::string("the document") : "'" + p.path + "'") +
                " does not match cloud-init's schema: " + joined + (value ? " (got " + Describe(*value) + ")" : "");
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(),
            [](const SchemaProblem& a, const SchemaProblem& b) { return std::tie(a.line, a.column) < std::tie(b.line, b.column); });
  return out;
}

}  // namespace orch::tmpl
