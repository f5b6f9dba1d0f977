// SSH keys. GCE has no key object: a key is a line "USERNAME:KEY" of the
// `ssh-keys` metadata item of each instance and instance template that uses
// it. An ssh_key resource makes no API call; its id is that line, which the
// instances' `ssh_keys` attribute receives through ${ref:ssh_key.K@P.id}.
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "providers/gce/api.h"
#include "util/strings.h"

namespace orch::providers::gce {

using common::AttributeSpec;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

namespace {

// The whitespace-separated fields of an OpenSSH public key line.
std::vector<std::string> KeyFields(const std::string& public_key) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : public_key) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// Standard base64 (padded) -> bytes; nullopt when it is not base64.
std::optional<std::string> DecodeBase64(const std::string& b64) {
  if (b64.empty() || b64.size() % 4 != 0) return std::nullopt;
  std::string out(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (b64[b64.size() - 1] == '=') ++pad;
  if (b64[b64.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// The user a key is installed for: the key's name in the spec (the address
// name "ops@gcp" -> "ops").
std::string KeyUser(const model::Resource& r) {
  const std::string& name = r.address.name;
  return name.substr(0, name.find('@'));
}

}  // namespace

Result<SshKeyLine> ParseSshKey(const std::string& user, const std::string& public_key) {
  std::vector<std::string> f = KeyFields(public_key);
  if (f.size() < 2) return Status::InvalidArgument("public_key is not an OpenSSH public key line (TYPE BASE64 [comment])");
  std::optional<std::string> blob = DecodeBase64(f[1]);
  if (!blob || blob->empty()) return Status::InvalidArgument("public_key's key data is not base64");
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(blob->data()), blob->size(), md);
  unsigned char b64[64];
  int n = EVP_EncodeBlock(b64, md, SHA256_DIGEST_LENGTH);
  std::string fp(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
  while (!fp.empty() && fp.back() == '=') fp.pop_back();
  return SshKeyLine{user + ":" + f[0] + " " + f[1], "SHA256:" + fp};
}

std::string SshKeysValue(const json& attributes) {
  std::string out;
  if (!attributes.is_object() || !attributes.contains("ssh_keys") || !attributes["ssh_keys"].is_array()) return out;
  for (const json& k : attributes["ssh_keys"]) {
    if (!k.is_string() || k.get_ref<const std::string&>().find(':') == std::string::npos) continue;
    if (!out.empty()) out += "\n";
    out += k.get<std::string>();
  }
  return out;
}

namespace {

class SshKeyHandler final : public GceHandler {
 public:
  using GceHandler::GceHandler;
  model::Kind kind() const override { return model::Kind::kSshKey; }
  std::vector<AttributeSpec> Attributes() const override {
    return {
      {"public_key", false, OnChange::kReplace, "no call: a new metadata line, set on the instances that use it"},
    };
  }
  void Validate(const model::Resource& r, const SourceRange& where, Diagnostics* diags) const override;
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  // No key object: nothing to delete.
  Status Delete(const state::ResourceState&, engine::ApplyContext&) override { return Status::OK(); }
};

}  // namespace

Result<ObservedResource> SshKeyHandler::Create(const model::Resource& r, engine::ApplyContext&) {
  Result<SshKeyLine> key = ParseSshKey(KeyUser(r), Str(r.attributes, "public_key"));
  if (!key.ok()) return key.status();
  ObservedResource o;
  o.id = key->line;
  o.outputs = {{"fingerprint", key->fingerprint}, {"user", KeyUser(r)}};
  return o;
}

void SshKeyHandler::Validate(const model::Resource& r, const SourceRange& where, Diagnostics* diags) const {
  Result<SshKeyLine> key = ParseSshKey(KeyUser(r), Str(r.attributes, "public_key"));
  if (!key.ok()) diags->Error(where, r.address.ToString() + ": " + key.status().message());
}

std::vector<ObservedResource> RecordedSshKeys(const std::vector<state::ResourceState>& missing) {
  // Nothing in the cloud to list: a recorded key still exists as long as
  // the state says so (it lives in the instances' metadata).
  std::vector<ObservedResource> out;
  for (const state::ResourceState& rs : missing) {
    if (rs.kind != model::KindName(model::Kind::kSshKey) || rs.id.empty()) continue;
    out.push_back(engine::Provider::StillThere(rs));
  }
  return out;
}

std::unique_ptr<common::ResourceHandler> NewSshKeyHandler(Api* api) { return std::make_unique<SshKeyHandler>(api); }

}  // namespace orch::providers::gce
