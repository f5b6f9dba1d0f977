// ResourceHandler: everything a provider knows about one kind of cloud
// object, in one file named after the kind (providers/<cloud>/<kind>.cc).
// The provider keeps Configure, Discover (one list call per kind) and a
// HandlerTable that routes Diff/Create/Update/Delete to the kind's handler;
// no switch over kinds is written in a provider.
//
// Each handler declares its attributes (AttributeSpec): which the cloud
// reports (compared with the desired value, so a change made outside shows
// as drift), which change in place and how, which force a replacement.
// docs/providers/<cloud>.md carries the table AttributeTable() renders, and
// each provider's unit test checks the two agree.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/provider.h"
#include "model/resource.h"
#include "plan/diff_decision.h"
#include "state/state.h"
#include "util/diagnostic.h"
#include "util/status.h"

namespace orch::providers::common {

// What a change of one attribute costs.
enum class OnChange {
  kInPlace,  // an API call changes it on the live object
  kReplace,  // the object is deleted and created again
  kIgnored,  // bookkeeping only: never changes the cloud object
};

struct AttributeSpec {
  std::string name;       // neutral attribute key (model::Resource::attributes)
  bool reported = false;  // the cloud reports it: compared with desired for drift
  OnChange on_change = OnChange::kReplace;
  std::string how;        // in place: the call ("PUT /v2/firewalls/{id}"); else a short why
};

class ResourceHandler {
 public:
  virtual ~ResourceHandler() = default;

  virtual model::Kind kind() const = 0;
  virtual std::vector<AttributeSpec> Attributes() const = 0;

  // Offline checks of one desired resource.
  virtual void Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const {}

  // The attributes in the form they are compared in (sorted rule lists,
  // defaults filled in...). Applied to desired and prior alike. Default: as is.
  virtual nlohmann::json Canonical(const nlohmann::json& attributes) const { return attributes; }

  // Default: equal (after Canonical) is kNoop; a recorded object whose
  // differing attributes are all kInPlace or kIgnored is kUpdate (kNoop when
  // only kIgnored ones differ); anything else, an undeclared key or no
  // recorded id is kReplace. Handlers with value-dependent rules (a volume
  // only grows) override and call DiffByAttributes first.
  virtual plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const {
    return DiffByAttributes(desired, prior);
  }

  virtual Result<engine::ObservedResource> Create(const model::Resource& resource, engine::ApplyContext& ctx) = 0;
  // Only called after Diff said kUpdate. Default: not supported.
  virtual Result<engine::ObservedResource> Update(const model::Resource& resource, const state::ResourceState& prior,
                                                  engine::ApplyContext& ctx);
  // Already gone counts as success.
  virtual Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) = 0;

  plan::DiffDecision DiffByAttributes(const model::Resource& desired, const state::ResourceState& prior) const;
};

// The provider's routing: one handler per kind.
class HandlerTable {
 public:
  // `cloud` names the provider in errors ("DigitalOcean").
  explicit HandlerTable(std::string cloud) : cloud_(std::move(cloud)) {}

  void Add(std::unique_ptr<ResourceHandler> handler);
  // nullptr when the cloud has no such kind.
  ResourceHandler* Find(model::Kind kind) const;
  // The handler for `kind`, or a NotSupported status naming `address`.
  Result<ResourceHandler*> For(model::Kind kind, const std::string& address) const;
  // The handler for a recorded kind name.
  Result<ResourceHandler*> For(const state::ResourceState& prior) const;
  std::vector<model::Kind> kinds() const;
  std::vector<const ResourceHandler*> handlers() const;

  // Routed calls; an unknown kind is an error naming the address. Diff
  // compares the attributes without the tier's timeouts (timeouts.h).
  void Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const;
  plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const;
  Result<engine::ObservedResource> Create(const model::Resource& resource, engine::ApplyContext& ctx) const;
  Result<engine::ObservedResource> Update(const model::Resource& resource, const state::ResourceState& prior,
                                          engine::ApplyContext& ctx) const;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) const;

 private:
  std::string cloud_;
  std::map<model::Kind, std::unique_ptr<ResourceHandler>> handlers_;
};

// A provider whose kinds are handlers: Validate, Diff, Create, Update and
// Delete are routed through the table; the cloud's class adds Type,
// GetCapabilities, Configure, Discover (and FindRecorded) and Ready.
class HandlerProvider : public engine::Provider {
 public:
  // The handlers' kinds and what else the cloud can do.
  engine::Capabilities GetCapabilities() const override;
  void Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const override;
  // The kind's handler decides (docs/providers/<cloud>.md, the attribute table).
  plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const override;
  Result<engine::ObservedResource> Create(const model::Resource& resource, engine::ApplyContext& ctx) override;
  Result<engine::ObservedResource> Update(const model::Resource& resource, const state::ResourceState& prior,
                                          engine::ApplyContext& ctx) override;
  // A recorded resource with no id was never created: nothing to delete.
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

  // One handler per kind; `AttributeTable(handlers())` is the docs' table.
  const HandlerTable& handlers() const { return handlers_; }

 protected:
  // `cloud` names the provider in errors ("DigitalOcean").
  HandlerProvider(std::string cloud, bool native_instance_groups, bool batch_create)
      : handlers_(std::move(cloud)), native_groups_(native_instance_groups), batch_create_(batch_create) {}
  // Whether the cloud can be called (configured, authenticated...); checked
  // before every Create, Update and Delete.
  virtual Status Ready() = 0;
  // Checks every resource gets whatever its kind (tag lengths...).
  virtual void ValidateAny(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const {}

  HandlerTable handlers_;

 private:
  bool native_groups_;
  bool batch_create_;
};

// The declaration of every kind as a Markdown table (kind, attribute,
// reported, on change, how), in the table's kind order.
std::string AttributeTable(const HandlerTable& table);

// The text between "<!-- BEGIN attributes -->" and "<!-- END attributes -->"
// in `markdown` (trimmed), or "" when the markers are missing.
std::string DocumentedAttributeTable(const std::string& markdown);

}  // namespace orch::providers::common
