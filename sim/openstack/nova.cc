// Nova v2.1: version documents, microversion negotiation, flavors, keypairs
// and server groups. Servers are in nova_servers.cc.
#include <cstdio>
#include <cstring>
#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "openstack/model.h"

namespace cloudsim::openstack {
namespace {

json VersionDoc(Model* m, bool full) {
  json v = {{"id", "v2.1"}, {"status", "CURRENT"}, {"version", "2." + std::to_string(kNovaMaxMinor)},
            {"min_version", "2.1"}, {"updated", "2013-07-23T11:33:21Z"},
            {"links", {{{"rel", "self"}, {"href", m->Base(kComputePrefix) + "/v2.1/"}}}}};
  if (full) {
    v["links"].push_back({{"rel", "describedby"}, {"type", "text/html"}, {"href", "http://docs.openstack.org/"}});
    v["media-types"] = {{{"base", "application/json"}, {"type", "application/vnd.openstack.compute+json;version=2.1"}}};
  }
  return v;
}

// Parses "2.79" / "latest"; returns false for a malformed string.
bool ParseMicro(std::string s, int* minor) {
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s == "latest") {
    *minor = kNovaMaxMinor;
    return true;
  }
  unsigned major, mi;
  char tail;
  if (sscanf(s.c_str(), "%u.%u%c", &major, &mi, &tail) != 2) return false;
  *minor = major == 2 ? static_cast<int>(mi) : -1;
  if (major != 2) *minor = -static_cast<int>(major * 1000 + mi) - 1;
  return true;
}

// Negotiated minor version, or an error response.
bool Negotiate(const HttpRequest& req, int* minor, HttpResponse* err) {
  std::string raw;
  std::string h = req.Header("openstack-api-version");
  size_t pos = h.find("compute");
  if (pos != std::string::npos) {
    raw = h.substr(pos + 7);
    size_t comma = raw.find(',');
    if (comma != std::string::npos) raw = raw.substr(0, comma);
  } else {
    raw = req.Header("x-openstack-nova-api-version");
  }
  if (raw.empty()) {
    *minor = 1;
    return true;
  }
  int v = 0;
  if (!ParseMicro(raw, &v)) {
    *err = NovaError(400, "API Version String " + raw + " is of invalid format. Must be of format MajorNum.MinorNum.");
    return false;
  }
  if (v < 1 || v > kNovaMaxMinor) {
    *err = NovaError(406, "Version " + raw + " is not supported by the API. Minimum is 2.1 and maximum is 2." +
                              std::to_string(kNovaMaxMinor) + ".");
    return false;
  }
  *minor = v;
  return true;
}

std::string B64(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(n);
  return out;
}

bool UnB64(const std::string& in, std::string* out) {
  if (in.empty() || in.size() % 4 != 0) return false;
  std::string buf(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return false;
  size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  buf.resize(n - pad);
  *out = buf;
  return true;
}

std::string Md5Fingerprint(const std::string& blob) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(blob.data(), blob.size(), md, &len, EVP_md5(), nullptr);
  std::string out;
  char b[4];
  for (unsigned i = 0; i < len; ++i) {
    snprintf(b, sizeof(b), "%02x", md[i]);
    out += (i ? ":" : "") + std::string(b);
  }
  return out;
}

void SshString(std::string* out, const std::string& s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  out->push_back(static_cast<char>(n >> 24));
  out->push_back(static_cast<char>(n >> 16));
  out->push_back(static_cast<char>(n >> 8));
  out->push_back(static_cast<char>(n));
  *out += s;
}

std::string Mpint(const BIGNUM* bn) {
  std::string bytes(BN_num_bytes(bn), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  if (!bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0x80)) bytes.insert(bytes.begin(), '\0');
  return bytes;
}

// Generates an RSA key pair as Nova does: OpenSSH public key + PEM private key.
bool GenerateRsa(std::string* pub, std::string* priv, std::string* fingerprint) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), EVP_PKEY_free);
  if (!key) return false;
  BIGNUM *n = nullptr, *e = nullptr;
  if (!EVP_PKEY_get_bn_param(key.get(), "n", &n) || !EVP_PKEY_get_bn_param(key.get(), "e", &e)) return false;
  std::string blob;
  SshString(&blob, "ssh-rsa");
  SshString(&blob, Mpint(e));
  SshString(&blob, Mpint(n));
  BN_free(n);
  BN_free(e);
  *pub = "ssh-rsa " + B64(reinterpret_cast<const unsigned char*>(blob.data()), blob.size()) + " Generated-by-Nova";
  *fingerprint = Md5Fingerprint(blob);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!PEM_write_bio_PrivateKey_traditional(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)) return false;
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  priv->assign(data, static_cast<size_t>(len));
  return true;
}

json FlavorView(Model* m, const json& f, int mv, bool detail) {
  std::string id = f["id"];
  json links = {{{"rel", "self"}, {"href", m->Base(kComputePrefix) + "/v2.1/flavors/" + id}},
                {{"rel", "bookmark"}, {"href", m->Base(kComputePrefix) + "/flavors/" + id}}};
  json out = {{"id", id}, {"name", f["name"]}, {"links", links}};
  if (mv >= 55) out["description"] = f.value("description", json());
  if (!detail) return out;
  out["ram"] = f["ram"];
  out["disk"] = f["disk"];
  out["swap"] = mv >= 75 ? json(0) : json("");
  out["OS-FLV-EXT-DATA:ephemeral"] = 0;
  out["OS-FLV-DISABLED:disabled"] = false;
  out["vcpus"] = f["vcpus"];
  out["os-flavor-access:is_public"] = true;
  out["rxtx_factor"] = 1.0;
  if (mv >= 61) out["extra_specs"] = json::object();
  return out;
}

json GroupView(const json& g, int mv) {
  json out = {{"id", g["id"]}, {"name", g["name"]}, {"members", g["members"]}};
  if (mv >= 64) {
    out["policy"] = g["policy"];
    out["rules"] = g.value("rules", json::object());
  } else {
    out["policies"] = {g["policy"]};
    out["metadata"] = json::object();
  }
  if (mv >= 13) {
    out["project_id"] = g["project_id"];
    out["user_id"] = g["user_id"];
  }
  return out;
}

}  // namespace

void NovaRoute(Router& router, Model* m, const std::string& method, const std::string& pattern, NovaHandler h) {
  m->Route(router, Service::kCompute, method, std::string(kComputePrefix) + "/v2.1" + pattern, true,
           [h = std::move(h)](const HttpRequest& req, const PathParams& p, const Caller& c) {
             int mv = 1;
             HttpResponse r;
             if (!Negotiate(req, &mv, &r)) return r;
             r = h(req, p, c, mv);
             std::string v = "2." + std::to_string(mv);
             r.SetHeader("OpenStack-API-Version", "compute " + v);
             r.SetHeader("X-OpenStack-Nova-API-Version", v);
             r.SetHeader("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version");
             return r;
           });
}

void SeedNova(Model* m) {
  struct F {
    const char* id;
    const char* name;
    int ram, disk, vcpus;
  };
  for (const F& f : {F{"1", "m1.tiny", 512, 1, 1}, F{"2", "m1.small", 2048, 20, 1}, F{"3", "m1.medium", 4096, 40, 2},
                     F{"4", "m1.large", 8192, 80, 4}, F{"5", "m1.xlarge", 16384, 160, 8}})
    m->flavors[f.id] = {{"id", f.id}, {"name", f.name}, {"ram", f.ram}, {"disk", f.disk}, {"vcpus", f.vcpus},
                        {"description", nullptr}};
}

void RegisterNova(Router& router, Model* m) {
  const Service S = Service::kCompute;
  m->Route(router, S, "GET", kComputePrefix, false, [m](const HttpRequest&, const PathParams&, const Caller&) {
    json v20 = {{"id", "v2.0"}, {"status", "SUPPORTED"}, {"version", ""}, {"min_version", ""},
                {"updated", "2011-01-21T11:33:21Z"},
                {"links", {{{"rel", "self"}, {"href", m->Base(kComputePrefix) + "/v2/"}}}}};
    return HttpResponse::Json(200, {{"versions", {v20, VersionDoc(m, false)}}});
  });
  m->Route(router, S, "GET", std::string(kComputePrefix) + "/v2.1", false,
           [m](const HttpRequest&, const PathParams&, const Caller&) {
             HttpResponse r = HttpResponse::Json(200, {{"version", VersionDoc(m, true)}});
             r.SetHeader("OpenStack-API-Version", "compute 2.1");
             r.SetHeader("X-OpenStack-Nova-API-Version", "2.1");
             return r;
           });
  // Flavors.
  for (bool detail : {true, false}) {
    NovaRoute(router, m, "GET", detail ? "/flavors/detail" : "/flavors",
              [m, detail](const HttpRequest&, const PathParams&, const Caller&, int mv) {
                json out = json::array();
                for (const auto& [id, f] : m->flavors) out.push_back(FlavorView(m, f, mv, detail));
                return HttpResponse::Json(200, {{"flavors", out}});
              });
  }
  NovaRoute(router, m, "GET", "/flavors/{id}", [m](const HttpRequest&, const PathParams& p, const Caller&, int mv) {
    auto it = m->flavors.find(p.at("id"));
    if (it == m->flavors.end()) return NovaError(404, "Flavor " + p.at("id") + " could not be found.");
    return HttpResponse::Json(200, {{"flavor", FlavorView(m, it->second, mv, true)}});
  });
  // The deprecated floating-IP proxy: Nova lists the project's Neutron
  // floating IPs in its own shape. Gone (404) from microversion 2.36, as on
  // real Nova. Prometheus' OpenStack discovery (gophercloud's compute
  // floatingips) reads it.
  NovaRoute(router, m, "GET", "/os-floating-ips", [m](const HttpRequest&, const PathParams&, const Caller& c, int mv) {
    if (mv >= 36) return NovaError(404, "The resource could not be found.");
    json out = json::array();
    for (const auto& [id, f] : m->floatingips) {
      if (f.value("project_id", "") != c.project_id) continue;
      json instance = nullptr;
      if (f.value("port_id", json()).is_string()) {
        auto port = m->ports.find(f["port_id"].get<std::string>());
        if (port != m->ports.end() && port->second.value("device_owner", "").rfind("compute:", 0) == 0)
          instance = port->second.value("device_id", "");
      }
      auto net = m->networks.find(f.value("floating_network_id", ""));
      out.push_back({{"id", id}, {"ip", f["floating_ip_address"]}, {"fixed_ip", f.value("fixed_ip_address", json())},
                     {"instance_id", instance}, {"pool", net == m->networks.end() ? json() : net->second["name"]}});
    }
    return HttpResponse::Json(200, {{"floating_ips", out}});
  });
  // Keypairs (per user).
  NovaRoute(router, m, "GET", "/os-keypairs", [m](const HttpRequest&, const PathParams&, const Caller& c, int mv) {
    json out = json::array();
    for (const auto& [k, kp] : m->keypairs) {
      if (kp["user_id"] != c.user_id) continue;
      json v = {{"name", kp["name"]}, {"public_key", kp["public_key"]}, {"fingerprint", kp["fingerprint"]}};
      if (mv >= 2) v["type"] = kp["type"];
      out.push_back({{"keypair", v}});
    }
    return HttpResponse::Json(200, {{"keypairs", out}});
  });
  NovaRoute(router, m, "POST", "/os-keypairs", [m](const HttpRequest& req, const PathParams&, const Caller& c, int mv) {
    json body;
    if (!ParseBody(req, &body) || !body.contains("keypair") || !body["keypair"].is_object())
      return NovaError(400, "Invalid input for field/attribute keypair. Value: None. 'keypair' is a required property");
    const json& in = body["keypair"];
    if (!in.contains("name") || !in["name"].is_string() || in["name"].get<std::string>().empty() ||
        in["name"].get<std::string>().size() > 255)
      return NovaError(400, "Invalid input for field/attribute keypair. Value: " + in.dump() +
                                ". 'name' is a required property");
    std::string name = in["name"];
    if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ .@") !=
        std::string::npos)
      return NovaError(400, "Invalid input for field/attribute name. Value: " + name + ". '" + name +
                                "' does not match '^[a-zA-Z0-9 _.@-]+$'");
    std::string type = in.value("type", "ssh");
    if (type != "ssh" && type != "x509")
      return NovaError(400, "Invalid input for field/attribute type. Value: " + type + ". '" + type +
                                "' is not one of ['ssh', 'x509']");
    std::string key = c.user_id + "/" + name;
    if (m->keypairs.count(key)) return NovaError(409, "Key pair '" + name + "' already exists.");
    int count = 0;
    for (const auto& [k, kp] : m->keypairs) count += kp["user_id"] == c.user_id;
    if (count >= 100) return NovaError(403, "Quota exceeded, too many key pairs.");
    std::string pub, priv, fp;
    if (in.contains("public_key")) {
      pub = in["public_key"].get<std::string>();
      std::string b64 = pub.substr(pub.find(' ') == std::string::npos ? pub.size() : pub.find(' ') + 1);
      b64 = b64.substr(0, b64.find(' '));
      std::string blob;
      if (!UnB64(b64, &blob) || pub.rfind("ssh-", 0) != 0 && pub.rfind("ecdsa-", 0) != 0)
        return NovaError(400, "Keypair data is invalid: failed to generate fingerprint");
      fp = Md5Fingerprint(blob);
    } else {
      if (mv >= 92)
        return NovaError(400, "Invalid input for field/attribute keypair. Value: " + in.dump() +
                                  ". 'public_key' is a required property");
      if (!GenerateRsa(&pub, &priv, &fp)) return NovaError(500, "Key generation failed.");
    }
    json kp = {{"name", name}, {"public_key", pub}, {"fingerprint", fp}, {"type", type}, {"user_id", c.user_id},
               {"created_at", IsoMicro(m->Now())}, {"id", static_cast<int>(m->keypairs.size()) + 1}};
    m->keypairs[key] = kp;
    json out = {{"name", name}, {"public_key", pub}, {"fingerprint", fp}, {"user_id", c.user_id}};
    if (mv >= 2) out["type"] = type;
    if (!priv.empty()) out["private_key"] = priv;
    return HttpResponse::Json(mv >= 2 ? 201 : 200, {{"keypair", out}});
  });
  NovaRoute(router, m, "GET", "/os-keypairs/{name}", [m](const HttpRequest&, const PathParams& p, const Caller& c, int mv) {
    auto it = m->keypairs.find(c.user_id + "/" + p.at("name"));
    if (it == m->keypairs.end()) return NovaError(404, "Keypair " + p.at("name") + " not found for user " + c.user_id);
    const json& kp = it->second;
    json out = {{"name", kp["name"]}, {"public_key", kp["public_key"]}, {"fingerprint", kp["fingerprint"]},
                {"user_id", kp["user_id"]}, {"created_at", kp["created_at"]}, {"deleted", false},
                {"deleted_at", nullptr}, {"updated_at", nullptr}, {"id", kp["id"]}};
    if (mv >= 2) out["type"] = kp["type"];
    return HttpResponse::Json(200, {{"keypair", out}});
  });
  NovaRoute(router, m, "DELETE", "/os-keypairs/{name}", [m](const HttpRequest&, const PathParams& p, const Caller& c, int mv) {
    auto it = m->keypairs.find(c.user_id + "/" + p.at("name"));
    if (it == m->keypairs.end()) return NovaError(404, "Keypair " + p.at("name") + " not found for user " + c.user_id);
    m->keypairs.erase(it);
    return HttpResponse::Empty(mv >= 2 ? 204 : 202);
  });
  // Server groups.
  NovaRoute(router, m, "GET", "/os-server-groups", [m](const HttpRequest&, const PathParams&, const Caller& c, int mv) {
    json out = json::array();
    for (const auto& [id, g] : m->server_groups)
      if (g["project_id"] == c.project_id) out.push_back(GroupView(g, mv));
    return HttpResponse::Json(200, {{"server_groups", out}});
  });
  NovaRoute(router, m, "POST", "/os-server-groups", [m](const HttpRequest& req, const PathParams&, const Caller& c, int mv) {
    json body;
    if (!ParseBody(req, &body) || !body.contains("server_group") || !body["server_group"].is_object())
      return NovaError(400, "Invalid input for field/attribute server_group. Value: None. 'server_group' is a required property");
    const json& in = body["server_group"];
    if (!in.contains("name") || !in["name"].is_string())
      return NovaError(400, "Invalid input for field/attribute server_group. Value: " + in.dump() +
                                ". 'name' is a required property");
    std::string policy;
    if (mv >= 64) {
      if (in.contains("policies"))
        return NovaError(400, "Invalid input for field/attribute server_group. Value: " + in.dump() +
                                  ". Additional properties are not allowed ('policies' was unexpected)");
      policy = in.value("policy", "");
      if (policy.empty())
        return NovaError(400, "Invalid input for field/attribute server_group. Value: " + in.dump() +
                                  ". 'policy' is a required property");
    } else {
      if (!in.contains("policies") || !in["policies"].is_array() || in["policies"].size() != 1)
        return NovaError(400, "Invalid input for field/attribute server_group. Value: " + in.dump() +
                                  ". 'policies' is a required property");
      policy = in["policies"][0].get<std::string>();
    }
    if (policy != "affinity" && policy != "anti-affinity" && policy != "soft-affinity" &&
        policy != "soft-anti-affinity")
      return NovaError(400, "Invalid input for field/attribute policy. Value: " + policy + ". '" + policy +
                                "' is not one of ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity']");
    int count = 0;
    for (const auto& [id, g] : m->server_groups) count += g["project_id"] == c.project_id;
    if (count >= 10) return NovaError(403, "Quota exceeded, too many server groups.");
    std::string id = m->Uuid();
    json g = {{"id", id}, {"name", in["name"]}, {"policy", policy}, {"rules", in.value("rules", json::object())},
              {"members", json::array()}, {"project_id", c.project_id}, {"user_id", c.user_id}};
    m->server_groups[id] = g;
    return HttpResponse::Json(200, {{"server_group", GroupView(g, mv)}});
  });
  NovaRoute(router, m, "GET", "/os-server-groups/{id}", [m](const HttpRequest&, const PathParams& p, const Caller&, int mv) {
    auto it = m->server_groups.find(p.at("id"));
    if (it == m->server_groups.end()) return NovaError(404, "Instance group " + p.at("id") + " could not be found.");
    return HttpResponse::Json(200, {{"server_group", GroupView(it->second, mv)}});
  });
  NovaRoute(router, m, "DELETE", "/os-server-groups/{id}", [m](const HttpRequest&, const PathParams& p, const Caller&, int) {
    auto it = m->server_groups.find(p.at("id"));
    if (it == m->server_groups.end()) return NovaError(404, "Instance group " + p.at("id") + " could not be found.");
    m->server_groups.erase(it);
    return HttpResponse::Empty(204);
  });
  RegisterNovaServers(router, m);
}

}  // namespace cloudsim::openstack
