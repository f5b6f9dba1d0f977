#include "providers/common/resource_handler.h"

#include <set>
#include <sstream>

#include "providers/common/outcome.h"
#include "providers/common/timeouts.h"

namespace orch::providers::common {

using nlohmann::json;
using plan::DiffDecision;

Result<engine::ObservedResource> ResourceHandler::Update(const model::Resource& resource,
                                                         const state::ResourceState& prior,
                                                         engine::ApplyContext& ctx) {
  return Status::NotSupported(std::string(model::KindName(kind())) + " cannot be updated in place; it is replaced");
}

DiffDecision ResourceHandler::DiffByAttributes(const model::Resource& desired,
                                               const state::ResourceState& prior) const {
  const json empty = json::object();
  json d = Canonical(desired.attributes.is_object() ? desired.attributes : empty);
  json p = Canonical(prior.attributes.is_object() ? prior.attributes : empty);
  if (d == p) return DiffDecision::kNoop;
  std::map<std::string, OnChange> declared;
  for (const AttributeSpec& a : Attributes()) declared[a.name] = a.on_change;
  std::set<std::string> keys;
  for (auto it = d.begin(); it != d.end(); ++it) keys.insert(it.key());
  for (auto it = p.begin(); it != p.end(); ++it) keys.insert(it.key());
  bool update = false;
  for (const std::string& k : keys) {
    json dv = d.contains(k) ? d[k] : json(), pv = p.contains(k) ? p[k] : json();
    if (dv == pv) continue;
    auto it = declared.find(k);
    if (it == declared.end() || it->second == OnChange::kReplace) return DiffDecision::kReplace;
    if (it->second == OnChange::kInPlace) update = true;
  }
  if (!update) return DiffDecision::kNoop;
  return prior.id.empty() ? DiffDecision::kReplace : DiffDecision::kUpdate;
}

void HandlerTable::Add(std::unique_ptr<ResourceHandler> handler) {
  model::Kind k = handler->kind();
  handlers_[k] = std::move(handler);
}

ResourceHandler* HandlerTable::Find(model::Kind kind) const {
  auto it = handlers_.find(kind);
  return it == handlers_.end() ? nullptr : it->second.get();
}

Result<ResourceHandler*> HandlerTable::For(model::Kind kind, const std::string& address) const {
  if (ResourceHandler* h = Find(kind)) return h;
  return Status::NotSupported(address + ": " + cloud_ + " has no " + std::string(model::KindName(kind)));
}

Result<ResourceHandler*> HandlerTable::For(const state::ResourceState& prior) const {
  std::optional<model::Kind> kind = model::KindFromName(prior.kind);
  if (!kind) return Status::InvalidArgument(prior.address + ": unknown kind '" + prior.kind + "'");
  return For(*kind, prior.address);
}

std::vector<model::Kind> HandlerTable::kinds() const {
  std::vector<model::Kind> out;
  for (const auto& [k, h] : handlers_) out.push_back(k);
  return out;
}

std::vector<const ResourceHandler*> HandlerTable::handlers() const {
  std::vector<const ResourceHandler*> out;
  for (const auto& [k, h] : handlers_) out.push_back(h.get());
  return out;
}

void HandlerTable::Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const {
  if (ResourceHandler* h = Find(resource.address.kind)) h->Validate(resource, where, diags);
}

DiffDecision HandlerTable::Diff(const model::Resource& desired, const state::ResourceState& prior) const {
  // The tier's timeouts change no cloud object: no kind's diff sees them.
  model::Resource d = desired;
  d.attributes = WithoutTimeouts(desired.attributes);
  state::ResourceState p = prior;
  p.attributes = WithoutTimeouts(prior.attributes);
  ResourceHandler* h = Find(d.address.kind);
  if (!h) return d.attributes == p.attributes ? DiffDecision::kNoop : DiffDecision::kReplace;
  return h->Diff(d, p);
}

Result<engine::ObservedResource> HandlerTable::Create(const model::Resource& resource,
                                                      engine::ApplyContext& ctx) const {
  Result<ResourceHandler*> h = For(resource.address.kind, resource.address.ToString());
  if (!h.ok()) return h.status();
  return FinishCreate((*h)->Create(resource, ctx), resource);
}

Result<engine::ObservedResource> HandlerTable::Update(const model::Resource& resource,
                                                      const state::ResourceState& prior,
                                                      engine::ApplyContext& ctx) const {
  const std::string address = resource.address.ToString();
  Result<ResourceHandler*> h = For(resource.address.kind, address);
  if (!h.ok()) return h.status();
  if (prior.id.empty()) return Status::InvalidArgument(address + ": no recorded id to update");
  Result<engine::ObservedResource> res = (*h)->Update(resource, prior, ctx);
  if (!res.ok()) return res.status().WithPrefix(address + ": updating in place");
  res->address = address;
  res->kind = std::string(model::KindName(resource.address.kind));
  if (res->id.empty()) res->id = prior.id;
  if (res->tags.empty()) res->tags = prior.tags.empty() ? resource.tags : prior.tags;
  if (res->cloud_name.empty()) res->cloud_name = prior.cloud_name;
  res->outputs["id"] = res->id;
  return res;
}

Status HandlerTable::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) const {
  Result<ResourceHandler*> h = For(prior);
  if (!h.ok()) return h.status();
  return FinishDelete((*h)->Delete(prior, ctx), prior.address);
}

engine::Capabilities HandlerProvider::GetCapabilities() const {
  engine::Capabilities c;
  for (model::Kind k : handlers_.kinds()) c.kinds.insert(k);
  c.native_instance_groups = native_groups_;
  c.batch_create = batch_create_;
  return c;
}

void HandlerProvider::Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const {
  ValidateAny(resource, where, diags);
  handlers_.Validate(resource, where, diags);
}

DiffDecision HandlerProvider::Diff(const model::Resource& desired, const state::ResourceState& prior) const {
  return handlers_.Diff(desired, prior);
}

Result<engine::ObservedResource> HandlerProvider::Create(const model::Resource& resource,
                                                         engine::ApplyContext& ctx) {
  ORCH_RETURN_IF_ERROR(Ready());
  return handlers_.Create(resource, ctx);
}

Result<engine::ObservedResource> HandlerProvider::Update(const model::Resource& resource,
                                                         const state::ResourceState& prior,
                                                         engine::ApplyContext& ctx) {
  ORCH_RETURN_IF_ERROR(Ready());
  return handlers_.Update(resource, prior, ctx);
}

Status HandlerProvider::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  ORCH_RETURN_IF_ERROR(handlers_.For(prior).status());
  if (prior.id.empty()) return Status::OK();  // never created
  ORCH_RETURN_IF_ERROR(Ready());
  return handlers_.Delete(prior, ctx);
}

namespace {

const char* OnChangeName(OnChange c) {
  switch (c) {
    case OnChange::kInPlace: return "in place";
    case OnChange::kReplace: return "replace";
    case OnChange::kIgnored: return "ignored";
  }
  return "";
}

std::string Trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::string AttributeTable(const HandlerTable& table) {
  std::ostringstream out;
  out << "| Kind | Attribute | Drift checked | On change | How |\n";
  out << "|---|---|---|---|---|\n";
  for (const ResourceHandler* h : table.handlers()) {
    for (const AttributeSpec& a : h->Attributes()) {
      out << "| " << model::KindName(h->kind()) << " | `" << a.name << "` | " << (a.reported ? "yes" : "no") << " | "
          << OnChangeName(a.on_change) << " | " << a.how << " |\n";
    }
  }
  return Trimmed(out.str());
}

std::string DocumentedAttributeTable(const std::string& markdown) {
  const std::string begin = "<!-- BEGIN attributes -->", end = "<!-- END attributes -->";
  size_t b = markdown.find(begin);
  if (b == std::string::npos) return "";
  b += begin.size();
  size_t e = markdown.find(end, b);
  if (e == std::string::npos) return "";
  return Trimmed(markdown.substr(b, e - b));
}

}  // namespace orch::providers::common
