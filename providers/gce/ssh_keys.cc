// SSH keys. GCE has no key object: a key is a line "USERNAME:KEY" of the
// `ssh-keys` metadata item of each instance and instance template that uses
// it. An ssh_key resource makes no API call; its id is that line, which the
// instances' `ssh_keys` attribute receives through ${ref:ssh_key.K@P.id}.
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "providers/gce/gce_provider.h"
#include "util/strings.h"

namespace orch::providers::gce {

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

Result<ObservedResource> GceProvider::CreateSshKey(const model::Resource& r) {
  Result<SshKeyLine> key = ParseSshKey(KeyUser(r), Str(r.attributes, "public_key"));
  if (!key.ok()) return key.status();
  ObservedResource o;
  o.id = key->line;
  o.outputs = {{"fingerprint", key->fingerprint}, {"user", KeyUser(r)}};
  return o;
}

void GceProvider::ValidateSshKey(const model::Resource& r, const SourceRange& where, Diagnostics* diags) const {
  Result<SshKeyLine> key = ParseSshKey(KeyUser(r), Str(r.attributes, "public_key"));
  if (!key.ok()) diags->Error(where, r.address.ToString() + ": " + key.status().message());
}

std::vector<ObservedResource> GceProvider::RecordedSshKeys(const std::vector<state::ResourceState>& missing) const {
  // Nothing in the cloud to list: a recorded key still exists as long as
  // the state says so (it lives in the instances' metadata).
  std::vector<ObservedResource> out;
  for (const state::ResourceState& rs : missing) {
    if (rs.kind != model::KindName(model::Kind::kSshKey) || rs.id.empty()) continue;
    out.push_back(StillThere(rs));
  }
  return out;
}

Result<ObservedResource> GceProvider::UpdateInstanceKeys(const model::Resource& r, const state::ResourceState& prior,
                                                         engine::ApplyContext& ctx) {
  const std::string path =
      "/" + (prior.id.empty() ? "zones/" + Zone(r.attributes) + "/instances/" + r.cloud_name : prior.id);
  const std::string want = SshKeysValue(r.attributes);
  // The fingerprint guards against a concurrent change: on 412 read again.
  // The last round only reads back what the previous one set.
  constexpr int kRounds = 4;
  for (int round = 1; round <= kRounds; ++round) {
    Result<json> inst = client_->Get(path);
    if (!inst.ok()) return inst.status();
    json md = inst->value("metadata", json::object());
    json items = json::array();
    std::string have;
    for (const json& item : md.value("items", json::array())) {
      if (Str(item, "key") == "ssh-keys") {
        have = Str(item, "value");
        continue;
      }
      items.push_back(item);
    }
    if (have == want) return ObserveInstance(*inst);
    if (round == kRounds) break;
    if (!want.empty()) items.push_back({{"key", "ssh-keys"}, {"value", want}});
    json body = {{"fingerprint", Str(md, "fingerprint")}, {"items", items}};
    Status st = client_->MutateAndWait("POST", path + "/setMetadata", body,
                                       RequestId(request_scope_, r.address.ToString(), "ssh-keys", ctx.attempt, body),
                                       ctx, "setting ssh-keys metadata on instance " + LastSegment(path));
    if (!st.ok() && st.message().find("conditionNotMet") == std::string::npos) return st;
  }
  return Status::Conflict("the ssh-keys metadata of instance " + LastSegment(path) +
                          " kept changing under setMetadata; run deploy again");
}

}  // namespace orch::providers::gce
