// ssh_key -> account SSH key, reused when the account already holds one
// with the same fingerprint (DigitalOcean refuses a second); a reused key
// is not ours and is never deleted.
#include "providers/common/observed.h"
#include "providers/digitalocean/handlers.h"

namespace orch::providers::digitalocean {
namespace {

using common::AttributeSpec;
using common::Observed;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

class SshKeyHandler final : public common::ResourceHandler {
 public:
  explicit SshKeyHandler(Api* api) : api_(api) {}
  model::Kind kind() const override { return model::Kind::kSshKey; }
  std::vector<AttributeSpec> Attributes() const override {
    return {{"public_key", false, OnChange::kReplace, "a key is uploaded once; another key is another upload"}};
  }

  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override {
    std::string public_key = Str(r.attributes, "public_key");
    std::string fp = SshFingerprint(public_key);
    if (fp.empty()) return Status::InvalidArgument("public_key is not an OpenSSH public key line");
    auto lookup = [&]() -> Result<std::optional<json>> {
      Result<json> k = api_->rest->Get("/account/keys/" + fp);
      if (!k.ok()) {
        if (k.status().IsNotFound()) return std::optional<json>();
        return k.status();
      }
      return std::optional<json>((*k)["ssh_key"]);
    };
    Result<std::optional<json>> existing = lookup();
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      const json& k = **existing;
      bool reused = Str(k, "name") != r.cloud_name;
      return Observed(IdText(k["id"]), Str(k, "name"), {{"fingerprint", fp}, {"reused", reused}});
    }
    json body = {{"name", r.cloud_name}, {"public_key", public_key}};
    auto post = [&](http::SendOutcome* o) -> Result<json> {
      Result<json> res = api_->rest->Post("/account/keys", body, o);
      if (!res.ok()) return res.status();
      return (*res)["ssh_key"];
    };
    Result<json> k = api_->CreateOnce("SSH key " + r.cloud_name, lookup, post, false, ctx);
    if (!k.ok()) return k.status();
    return Observed(IdText((*k)["id"]), r.cloud_name, {{"fingerprint", fp}});
  }

  Status Delete(const state::ResourceState& prior, engine::ApplyContext&) override {
    if (prior.id.empty() || prior.outputs.value("reused", false)) return Status::OK();  // not ours
    return api_->rest->Delete("/account/keys/" + prior.id);
  }

 private:
  Api* api_;
};

}  // namespace

std::unique_ptr<common::ResourceHandler> NewSshKeyHandler(Api* api) { return std::make_unique<SshKeyHandler>(api); }

}  // namespace orch::providers::digitalocean
