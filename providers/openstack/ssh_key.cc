// The ssh_key kind: a Nova keypair (import of the public key).
#include "providers/common/observed.h"
#include "providers/openstack/os_provider.h"
#include "util/strings.h"

namespace orch::providers::openstack {

using common::Observed;
using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

class SshKeyHandler final : public common::ResourceHandler {
 public:
  explicit SshKeyHandler(OpenStackProvider* p) : p_(p) {}
  model::Kind kind() const override { return model::Kind::kSshKey; }
  std::vector<common::AttributeSpec> Attributes() const override {
    return {
        {"public_key", false, common::OnChange::kReplace, "Nova keypairs cannot be changed"},
    };
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override {
    return p_->compute()->Delete("/os-keypairs/" + UrlEncode(prior.id));
  }

 private:
  OpenStackProvider* p_;
};

Result<ObservedResource> SshKeyHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  const std::string raw_key = Str(r.attributes, "public_key");
  const std::string public_key(Trim(raw_key));
  auto lookup = [&]() -> Result<std::optional<json>> {
    Result<json> k = p_->compute_->Get("/os-keypairs/" + UrlEncode(r.cloud_name));
    if (!k.ok()) {
      if (k.status().IsNotFound()) return std::optional<json>();
      return k.status();
    }
    return std::optional<json>((*k)["keypair"]);
  };
  json body = {{"keypair", {{"name", r.cloud_name}, {"public_key", public_key}, {"type", "ssh"}}}};
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = p_->compute_->Post("/os-keypairs", body, o);
    if (!res.ok()) {
      if (res.status().IsConflict()) {  // it exists: ours from a lost answer, or someone else's
        Result<std::optional<json>> f = lookup();
        if (f.ok() && f->has_value()) return **f;
      }
      return res.status();
    }
    return (*res)["keypair"];
  };
  Result<json> k = p_->CreateOnce("keypair " + r.cloud_name, lookup, post, true, ctx);
  if (!k.ok()) return k.status();
  const std::string raw_have = Str(*k, "public_key");
  const std::string have(Trim(raw_have));
  auto words = [](const std::string& s) {
    std::vector<std::string> w = Split(s, ' ');
    return w.size() >= 2 ? w[0] + " " + w[1] : s;
  };
  if (!have.empty() && words(have) != words(public_key))
    return Status::Conflict("keypair " + r.cloud_name +
                            " exists with a different public key; delete it or rename the key");
  return Observed(r.cloud_name, r.cloud_name, {{"fingerprint", Str(*k, "fingerprint")}});
}

std::unique_ptr<common::ResourceHandler> NewSshKeyHandler(OpenStackProvider* p) {
  return std::make_unique<SshKeyHandler>(p);
}

}  // namespace orch::providers::openstack
