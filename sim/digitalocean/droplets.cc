// Droplets, droplet actions, images, snapshots and SSH keys.
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <regex>

#include "digitalocean/catalog.h"
#include "digitalocean/do_api.h"

namespace cloudsim::digitalocean {
namespace {

bool ValidHostname(const std::string& name) {
  static const std::regex kPattern("^[a-zA-Z0-9]?[a-z0-9A-Z.\\-]*[a-z0-9A-Z]$");
  return !name.empty() && name.size() <= 255 && std::regex_match(name, kPattern);
}

// "255.255.240.0" for a "/20" range.
std::string Netmask(const std::string& cidr) {
  int bits = 24;
  auto slash = cidr.find('/');
  if (slash != std::string::npos) bits = std::atoi(cidr.c_str() + slash + 1);
  uint32_t mask = bits == 0 ? 0 : (0xffffffffu << (32 - bits));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", mask >> 24, (mask >> 16) & 255, (mask >> 8) & 255, mask & 255);
  return buf;
}

bool ParseIpv4(const std::string& s, uint32_t* out) {
  unsigned a, b, c, d;
  if (std::sscanf(s.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a > 255 || b > 255 || c > 255 || d > 255) {
    return false;
  }
  *out = (a << 24) | (b << 16) | (c << 8) | d;
  return true;
}

std::string FormatIpv4(uint32_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
  return buf;
}

// MD5 fingerprint ("aa:bb:...") of an OpenSSH public key line, or "" if the
// line is not "<type> <base64> [comment]".
std::string Fingerprint(const std::string& public_key) {
  auto sp1 = public_key.find(' ');
  if (sp1 == std::string::npos) return "";
  std::string type = public_key.substr(0, sp1);
  if (type.rfind("ssh-", 0) != 0 && type.rfind("ecdsa-", 0) != 0 && type.rfind("sk-", 0) != 0) return "";
  auto sp2 = public_key.find(' ', sp1 + 1);
  std::string b64 = public_key.substr(sp1 + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp1 - 1);
  while (!b64.empty() && (b64.back() == '\n' || b64.back() == '\r')) b64.pop_back();
  if (b64.empty() || b64.size() % 4 != 0) return "";
  std::string blob(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(blob.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 12) return "";
  size_t pad = 0;
  if (b64.back() == '=') ++pad;
  if (b64.size() > 1 && b64[b64.size() - 2] == '=') ++pad;
  blob.resize(static_cast<size_t>(n) - pad);
  // The blob starts with the key type as an SSH string.
  uint32_t len = (uint8_t(blob[0]) << 24) | (uint8_t(blob[1]) << 16) | (uint8_t(blob[2]) << 8) | uint8_t(blob[3]);
  if (len + 4 > blob.size() || blob.compare(4, len, type) != 0) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(blob.data(), blob.size(), md, &md_len, EVP_md5(), nullptr);
  std::string out;
  char buf[4];
  for (unsigned i = 0; i < md_len; ++i) {
    std::snprintf(buf, sizeof buf, i ? ":%02x" : "%02x", md[i]);
    out += buf;
  }
  return out;
}

template <typename T>
void EraseValue(std::vector<T>* v, const T& x) {
  v->erase(std::remove(v->begin(), v->end(), x), v->end());
}

}  // namespace

// ---------------------------------------------------------------------------
// Helpers shared with the other files

Vpc* DigitalOceanApi::DefaultVpc(const std::string& region) {
  for (auto& [id, v] : vpcs_) {
    if (v.region == region && v.is_default) return &v;
  }
  return nullptr;
}

std::string DigitalOceanApi::NextPrivateIp(Vpc& vpc) {
  uint32_t base = 0;
  auto slash = vpc.ip_range.find('/');
  if (!ParseIpv4(vpc.ip_range.substr(0, slash), &base)) return "";
  int bits = slash == std::string::npos ? 24 : std::atoi(vpc.ip_range.c_str() + slash + 1);
  uint32_t size = bits >= 32 ? 1 : (1u << (32 - bits));
  if (vpc.next_host + 1 >= size) return "";
  return FormatIpv4(base + vpc.next_host++);
}

std::string DigitalOceanApi::NextPublicIp(const std::string& region) {
  const RegionInfo* r = FindRegion(region);
  std::string prefix = r ? r->public_prefix : "198.51";
  auto it = public_ip_next_.find(region);
  if (it == public_ip_next_.end()) {
    it = public_ip_next_.emplace(region, static_cast<uint32_t>(ctx_->RandomInt(0, 20000))).first;
  }
  uint32_t n = it->second++;
  return prefix + "." + std::to_string(1 + (n / 250) % 254) + "." + std::to_string(2 + n % 250);
}

void DigitalOceanApi::Settle(Droplet& d, double now) {
  if (!d.pending_power.empty() && now >= d.pending_at) {
    d.power = d.pending_power;
    d.pending_power.clear();
  }
}

std::string DigitalOceanApi::DropletStatus(Droplet& d, double now) {
  Settle(d, now);
  if (now < d.active_at) return "new";
  return d.power;
}

json DigitalOceanApi::DropletFields(Droplet& d, double now) {
  std::string status = DropletStatus(d, now);
  const SizeInfo* size = FindSize(d.size);
  json v4 = json::array();
  json v6 = json::array();
  if (status != "new") {
    if (!d.private_ip.empty()) {
      std::string range = "10.0.0.0/20";
      auto vit = vpcs_.find(d.vpc_uuid);
      if (vit != vpcs_.end()) range = vit->second.ip_range;
      uint32_t base = 0;
      ParseIpv4(range.substr(0, range.find('/')), &base);
      v4.push_back({{"ip_address", d.private_ip},
                    {"netmask", Netmask(range)},
                    {"gateway", FormatIpv4(base + 1)},
                    {"type", "private"}});
    }
    if (!d.public_ip.empty()) {
      v4.push_back({{"ip_address", d.public_ip},
                    {"netmask", "255.255.240.0"},
                    {"gateway", d.public_gateway},
                    {"type", "public"}});
    }
    for (const auto& [ip, r] : reserved_ips_) {
      if (r.droplet_id == d.id && now >= r.locked_until) {
        v4.push_back({{"ip_address", ip}, {"netmask", "255.255.240.0"}, {"gateway", d.public_gateway},
                      {"type", "public"}});
      }
    }
    if (!d.ipv6.empty()) {
      v6.push_back({{"ip_address", d.ipv6}, {"netmask", 64}, {"gateway", d.ipv6.substr(0, d.ipv6.rfind(':')) + ":1"},
                    {"type", "public"}});
    }
  }
  return {{"id", d.id},
          {"name", d.name},
          {"memory", size ? size->memory_mb : 1024},
          {"vcpus", size ? size->vcpus : 1},
          {"disk", size ? size->disk_gb : 25},
          {"locked", now < d.locked_until},
          {"status", status},
          {"kernel", nullptr},
          {"created_at", Iso(d.created)},
          {"features", d.features},
          {"backup_ids", json::array()},
          {"next_backup_window", nullptr},
          {"snapshot_ids", d.snapshot_ids},
          {"volume_ids", d.volume_ids},
          {"size_slug", d.size},
          {"networks", {{"v4", v4}, {"v6", v6}}},
          {"tags", d.tags},
          {"vpc_uuid", d.vpc_uuid},
          {"disk_info",
           {{{"type", "local"}, {"size", {{"amount", size ? size->disk_gb : 25}, {"unit", "gib"}}}}}}};
}

json DigitalOceanApi::DropletJson(Droplet& d, double now) {
  json j = DropletFields(d, now);
  const SizeInfo* size = FindSize(d.size);
  j["image"] = d.image;
  j["size"] = size ? SizeJson(*size) : json::object();
  j["region"] = RegionJsonBySlug(d.region);
  return j;
}

std::string DigitalOceanApi::DropletText(Droplet& d, double now) {
  // The image, size and region objects are serialised once and spliced in:
  // lists of droplets are the hottest path of the API.
  if (d.image_text.empty()) d.image_text = d.image.dump();
  std::string out = DropletFields(d, now).dump();
  out.pop_back();  // '}'
  out += ",\"image\":";
  out += d.image_text;
  out += ",\"size\":";
  out += SizeText(d.size);
  out += ",\"region\":";
  out += RegionText(d.region);
  out += '}';
  return out;
}

Droplet* DigitalOceanApi::FindDroplet(const std::string& id) {
  char* end = nullptr;
  long long n = std::strtoll(id.c_str(), &end, 10);
  if (id.empty() || *end != '\0') return nullptr;
  auto it = droplets_.find(n);
  return it == droplets_.end() ? nullptr : &it->second;
}

const Image* DigitalOceanApi::FindImage(const std::string& id_or_slug) const {
  char* end = nullptr;
  long long n = std::strtoll(id_or_slug.c_str(), &end, 10);
  if (!id_or_slug.empty() && *end == '\0') {
    auto it = images_.find(n);
    if (it != images_.end() && ctx_->Now() >= it->second.ready_at) return &it->second;
    return nullptr;
  }
  for (const auto& [id, img] : images_) {
    if (!img.slug.empty() && img.slug == id_or_slug) return &img;
  }
  return nullptr;
}

json DigitalOceanApi::ImageJson(const Image& img) const {
  return {{"id", img.id},
          {"name", img.name},
          {"type", img.type},
          {"distribution", img.distribution},
          {"slug", img.slug.empty() ? json(nullptr) : json(img.slug)},
          {"public", img.is_public},
          {"regions", img.regions},
          {"created_at", Iso(img.created)},
          {"min_disk_size", img.min_disk_size},
          {"size_gigabytes", img.size_gigabytes},
          {"description", img.description},
          {"tags", img.tags},
          {"status", "available"},
          {"error_message", ""}};
}

json DigitalOceanApi::SnapshotJson(const Image& img) const {
  return {{"id", std::to_string(img.id)},
          {"name", img.name},
          {"created_at", Iso(img.created)},
          {"regions", img.regions},
          {"min_disk_size", img.min_disk_size},
          {"size_gigabytes", img.size_gigabytes},
          {"resource_id", std::to_string(img.droplet_id)},
          {"resource_type", "droplet"},
          {"tags", img.tags}};
}

void DigitalOceanApi::DeleteDropletLocked(int64_t id) {
  auto it = droplets_.find(id);
  if (it == droplets_.end()) return;
  for (const std::string& t : it->second.tags) UntagDroplet(t, id);
  for (const std::string& vid : it->second.volume_ids) {
    auto v = volumes_.find(vid);
    if (v != volumes_.end()) EraseValue(&v->second.droplet_ids, id);
  }
  for (auto& [ip, r] : reserved_ips_) {
    if (r.droplet_id == id) r.droplet_id = 0;
  }
  for (auto& [fid, f] : firewalls_) EraseValue(&f.droplet_ids, id);
  for (auto& [lid, lb] : load_balancers_) EraseValue(&lb.droplet_ids, id);
  droplets_.erase(it);
}

// ---------------------------------------------------------------------------
// Droplets

HttpResponse DigitalOceanApi::ListDroplets(const HttpRequest& req, const PathParams&) {
  double now = ctx_->Now();
  std::vector<Droplet*> sel;
  if (req.HasQuery("tag_name")) {
    for (int64_t id : DropletIdsForTag(req.Query("tag_name"))) sel.push_back(&droplets_.at(id));
  } else {
    for (auto& [id, d] : droplets_) sel.push_back(&d);
  }
  if (req.HasQuery("name")) {
    std::string name = req.Query("name");
    std::erase_if(sel, [&](Droplet* d) { return d->name != name; });
  }
  if (req.Query("type") == "gpus") sel.clear();
  json page;
  size_t b, e;
  Paginate(req, sel.size(), &b, &e, &page);
  std::string body = "{\"droplets\":[";
  for (size_t i = b; i < e; ++i) {
    if (i > b) body += ',';
    body += DropletText(*sel[i], now);
  }
  body += "],";
  std::string rest = page.dump();  // {"links":...,"meta":...}
  body.append(rest, 1, std::string::npos);
  HttpResponse resp = HttpResponse::Json(200, json::object());
  resp.body = std::move(body);
  return resp;
}

HttpResponse DigitalOceanApi::CreateDroplets(const HttpRequest& req, const PathParams&) {
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  std::vector<std::string> names;
  bool multi = body.contains("names");
  if (multi) {
    if (body.contains("name")) return Unprocessable("Specify either name or names, not both.");
    if (!OptStringArray(body, "names", &names) || names.empty()) {
      return Unprocessable("names must be an array of strings.");
    }
    if (names.size() > 10) return Unprocessable("You may only create up to 10 Droplets at once.");
  } else {
    std::string name;
    if (!OptString(body, "name", &name)) return Unprocessable("name must be a string.");
    if (name.empty()) return Unprocessable("Name is required.");
    names.push_back(name);
  }
  for (const std::string& n : names) {
    if (!ValidHostname(n)) {
      return Unprocessable("Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)");
    }
  }
  std::string size_slug, region, vpc_uuid, user_data;
  if (!OptString(body, "size", &size_slug)) return Unprocessable("size must be a string.");
  const SizeInfo* size = FindSize(size_slug);
  if (!size) return Unprocessable("You specified an invalid size for Droplet creation.");
  if (!OptString(body, "region", &region)) return Unprocessable("region must be a string.");
  if (!region.empty() && !FindRegion(region)) {
    return Unprocessable("You specified an invalid region for Droplet creation.");
  }
  const Image* image = nullptr;
  if (body.contains("image")) {
    const json& im = body["image"];
    if (im.is_string()) image = FindImage(im.get<std::string>());
    if (im.is_number_integer()) image = FindImage(std::to_string(im.get<int64_t>()));
  }
  if (!image) return Unprocessable("You specified an invalid image for Droplet creation.");
  if (region.empty()) region = image->regions.empty() ? "nyc3" : image->regions.front();
  if (std::find(image->regions.begin(), image->regions.end(), region) == image->regions.end()) {
    return Unprocessable("You specified an invalid image for Droplet creation.");
  }
  if (image->min_disk_size > size->disk_gb) {
    return Unprocessable("The image requires a disk of at least " + std::to_string(image->min_disk_size) +
                         " GB; the selected size is too small.");
  }
  if (body.contains("ssh_keys") && !body["ssh_keys"].is_null()) {
    if (!body["ssh_keys"].is_array()) return Unprocessable("ssh_keys must be an array.");
    for (const json& k : body["ssh_keys"]) {
      std::string ref = k.is_string() ? k.get<std::string>()
                        : k.is_number_integer() ? std::to_string(k.get<int64_t>())
                                                : std::string();
      if (ref.empty() || !FindKey(ref)) return Unprocessable("You specified an invalid SSH key for Droplet creation.");
    }
  }
  bool backups = false, ipv6 = false, monitoring = false, private_networking = false;
  if (!OptBool(body, "backups", &backups) || !OptBool(body, "ipv6", &ipv6) ||
      !OptBool(body, "monitoring", &monitoring) || !OptBool(body, "private_networking", &private_networking)) {
    return Unprocessable("backups, ipv6, monitoring and private_networking must be booleans.");
  }
  if (!OptString(body, "user_data", &user_data)) return Unprocessable("user_data must be a string.");
  if (user_data.size() > 64 * 1024) return Unprocessable("user_data is too long: the limit is 64 KiB.");
  std::vector<std::string> tags, volume_ids;
  if (!OptStringArray(body, "tags", &tags)) return Unprocessable("tags must be an array of strings.");
  for (const std::string& t : tags) {
    if (!ValidTagName(t)) {
      return Unprocessable("tag names must be 255 characters or less and contain only letters, numbers, "
                           "colons, dashes and underscores");
    }
  }
  if (!OptStringArray(body, "volumes", &volume_ids)) return Unprocessable("volumes must be an array of strings.");
  if (!volume_ids.empty() && names.size() > 1) return Unprocessable("Volumes can only be attached to one Droplet.");
  for (const std::string& vid : volume_ids) {
    auto v = volumes_.find(vid);
    if (v == volumes_.end() || v->second.region != region || !v->second.droplet_ids.empty()) {
      return Unprocessable("You specified an invalid volume for Droplet creation.");
    }
  }
  if (!OptString(body, "vpc_uuid", &vpc_uuid)) return Unprocessable("vpc_uuid must be a string.");
  Vpc* vpc = nullptr;
  if (!vpc_uuid.empty()) {
    auto v = vpcs_.find(vpc_uuid);
    if (v == vpcs_.end()) return Unprocessable("The specified VPC does not exist.");
    if (v->second.region != region) return Unprocessable("The specified VPC is not in the Droplet's region.");
    vpc = &v->second;
  } else {
    vpc = DefaultVpc(region);
  }
  if (droplets_.size() + names.size() > static_cast<size_t>(options_.droplet_limit)) {
    return Unprocessable("creating this/these droplet(s) will exceed your droplet limit");
  }

  double now = ctx_->Now();
  json created = json::array();
  json links = json::array();
  for (const std::string& name : names) {
    Droplet d;
    d.id = next_droplet_id_++;
    d.name = name;
    d.region = region;
    d.size = size->slug;
    d.vpc_uuid = vpc ? vpc->id : "";
    d.user_data = user_data;
    d.image = ImageJson(*image);
    d.tags = tags;
    d.features = {"private_networking"};
    if (ipv6) d.features.push_back("ipv6");
    if (backups) d.features.push_back("backups");
    if (monitoring) d.features.push_back("monitoring");
    d.created = now;
    Action& a = AddAction("create", "droplet", d.id, region, kDropletCreateSeconds);
    d.active_at = a.done;
    d.private_ip = vpc ? NextPrivateIp(*vpc) : "";
    d.public_ip = NextPublicIp(region);
    d.public_gateway = d.public_ip.substr(0, d.public_ip.rfind('.')) + ".1";
    if (ipv6) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "2604:a880:400:d1::%x:%x", static_cast<unsigned>(d.id >> 16) & 0xffff,
                    static_cast<unsigned>(d.id & 0xffff));
      d.ipv6 = buf;
    }
    d.volume_ids = volume_ids;
    for (const std::string& vid : volume_ids) volumes_[vid].droplet_ids.push_back(d.id);
    for (const std::string& t : tags) TagDroplet(t, d.id);
    Droplet& stored = droplets_[d.id] = d;
    created.push_back(DropletJson(stored, now));
    links.push_back(ActionLink(a, "create"));
  }
  if (multi) return HttpResponse::Json(202, {{"droplets", created}, {"links", {{"actions", links}}}});
  return HttpResponse::Json(202, {{"droplet", created[0]}, {"links", {{"actions", links}}}});
}

HttpResponse DigitalOceanApi::DeleteDropletsByTag(const HttpRequest& req, const PathParams&) {
  if (!req.HasQuery("tag_name")) return BadRequest("tag_name is required");
  for (int64_t id : DropletIdsForTag(req.Query("tag_name"))) DeleteDropletLocked(id);
  return HttpResponse::Empty(204);
}

HttpResponse DigitalOceanApi::GetDroplet(const HttpRequest&, const PathParams& p) {
  Droplet* d = FindDroplet(p.at("droplet_id"));
  if (!d) return NotFound();
  HttpResponse resp = HttpResponse::Json(200, json::object());
  resp.body = "{\"droplet\":" + DropletText(*d, ctx_->Now()) + "}";
  return resp;
}

HttpResponse DigitalOceanApi::DeleteDroplet(const HttpRequest&, const PathParams& p) {
  Droplet* d = FindDroplet(p.at("droplet_id"));
  if (!d) return NotFound();
  DeleteDropletLocked(d->id);
  return HttpResponse::Empty(204);
}

HttpResponse DigitalOceanApi::ListDropletActions(const HttpRequest& req, const PathParams& p) {
  Droplet* d = FindDroplet(p.at("droplet_id"));
  if (!d) return NotFound();
  std::vector<const Action*> sel;
  for (auto it = actions_.rbegin(); it != actions_.rend(); ++it) {
    if (it->second.resource_type == "droplet" && it->second.resource_id == d->id) sel.push_back(&it->second);
  }
  return PagedList(req, sel, "actions", [&](const auto* x) { return ActionJson(*x); });
}

HttpResponse DigitalOceanApi::PostDropletAction(const HttpRequest& req, const PathParams& p) {
  Droplet* d = FindDroplet(p.at("droplet_id"));
  if (!d) return NotFound();
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  std::string type;
  if (!OptString(body, "type", &type) || type.empty()) return Unprocessable("type is required.");
  double now = ctx_->Now();
  std::string status = DropletStatus(*d, now);
  static const std::set<std::string> kKnown = {"enable_backups", "disable_backups", "reboot",   "power_cycle",
                                               "shutdown",       "power_off",       "power_on", "restore",
                                               "password_reset", "resize",          "rebuild",  "rename",
                                               "change_kernel",  "enable_ipv6",     "snapshot"};
  if (!kKnown.count(type)) return Unprocessable("Invalid action type: " + type);
  if (status == "new" || now < d->locked_until) return Unprocessable("Droplet already has a pending event.");

  double seconds = kQuickActionSeconds;
  std::string to_power;
  if (type == "power_off") {
    seconds = kPowerOffSeconds;
    to_power = "off";
  } else if (type == "shutdown") {
    seconds = kShutdownSeconds;
    to_power = "off";
  } else if (type == "power_on") {
    seconds = kPowerOnSeconds;
    to_power = "active";
  } else if (type == "reboot" || type == "power_cycle") {
    seconds = kRebootSeconds;
    to_power = "active";
  } else if (type == "snapshot") {
    seconds = kSnapshotSeconds;
    std::string name;
    if (!OptString(body, "name", &name)) return Unprocessable("name must be a string.");
    if (name.empty()) name = d->name + "-" + std::to_string(static_cast<int64_t>(now * 1000));
    const SizeInfo* size = FindSize(d->size);
    Image img;
    img.id = next_image_id_++;
    img.name = name;
    img.distribution = d->image.value("distribution", "Unknown");
    img.type = "snapshot";
    img.description = "";
    img.is_public = false;
    img.regions = {d->region};
    img.created = now;
    img.min_disk_size = size ? size->disk_gb : 25;
    img.size_gigabytes = d->image.value("size_gigabytes", 2.0) + 0.25;
    img.droplet_id = d->id;
    Action& a = AddAction(type, "droplet", d->id, d->region, seconds);
    img.ready_at = a.done;
    images_[img.id] = img;
    d->snapshot_ids.push_back(img.id);
    d->locked_until = a.done;
    return HttpResponse::Json(201, {{"action", ActionJson(a)}});
  } else if (type == "rename") {
    std::string name;
    if (!OptString(body, "name", &name) || !ValidHostname(name)) return Unprocessable("name is invalid.");
    d->name = name;
  } else if (type == "resize") {
    std::string slug;
    if (!OptString(body, "size", &slug) || !FindSize(slug)) return Unprocessable("You specified an invalid size.");
    if (status != "off") return Unprocessable("Droplet must be powered off to resize.");
    seconds = kResizeSeconds;
    d->size = slug;
  } else if (type == "rebuild") {
    const Image* img = nullptr;
    if (body.contains("image")) {
      const json& im = body["image"];
      if (im.is_string()) img = FindImage(im.get<std::string>());
      if (im.is_number_integer()) img = FindImage(std::to_string(im.get<int64_t>()));
    }
    if (!img) return Unprocessable("You specified an invalid image for Droplet rebuild.");
    seconds = kRebuildSeconds;
    d->image = ImageJson(*img);
    d->image_text.clear();
    to_power = "active";
  } else if (type == "enable_ipv6") {
    if (std::find(d->features.begin(), d->features.end(), "ipv6") == d->features.end()) {
      d->features.push_back("ipv6");
      char buf[64];
      std::snprintf(buf, sizeof buf, "2604:a880:400:d1::%x:%x", static_cast<unsigned>(d->id >> 16) & 0xffff,
                    static_cast<unsigned>(d->id & 0xffff));
      d->ipv6 = buf;
    }
  } else if (type == "enable_backups") {
    if (std::find(d->features.begin(), d->features.end(), "backups") == d->features.end()) {
      d->features.push_back("backups");
    }
  } else if (type == "disable_backups") {
    EraseValue(&d->features, std::string("backups"));
  } else if (type == "restore" || type == "change_kernel") {
    return Unprocessable("The " + type + " action is not supported by this Droplet.");
  }
  Action& a = AddAction(type, "droplet", d->id, d->region, seconds);
  d->locked_until = a.done;
  if (!to_power.empty()) {
    d->pending_power = to_power;
    d->pending_at = a.done;
  }
  return HttpResponse::Json(201, {{"action", ActionJson(a)}});
}

HttpResponse DigitalOceanApi::GetDropletAction(const HttpRequest&, const PathParams& p) {
  // The action outlives a deleted droplet, as in the real API.
  auto it = actions_.find(std::strtoll(p.at("action_id").c_str(), nullptr, 10));
  if (it == actions_.end() || it->second.resource_type != "droplet" ||
      std::to_string(it->second.resource_id) != p.at("droplet_id")) {
    return NotFound();
  }
  return HttpResponse::Json(200, {{"action", ActionJson(it->second)}});
}

HttpResponse DigitalOceanApi::ListDropletSnapshots(const HttpRequest& req, const PathParams& p) {
  Droplet* d = FindDroplet(p.at("droplet_id"));
  if (!d) return NotFound();
  double now = ctx_->Now();
  std::vector<const Image*> sel;
  for (int64_t id : d->snapshot_ids) {
    auto it = images_.find(id);
    if (it != images_.end() && now >= it->second.ready_at) sel.push_back(&it->second);
  }
  json out;
  size_t b, e;
  Paginate(req, sel.size(), &b, &e, &out);
  json arr = json::array();
  for (size_t i = b; i < e; ++i) {
    const Image& img = *sel[i];
    arr.push_back({{"id", img.id},
                   {"name", img.name},
                   {"created_at", Iso(img.created)},
                   {"regions", img.regions},
                   {"min_disk_size", img.min_disk_size},
                   {"size_gigabytes", img.size_gigabytes},
                   {"type", "snapshot"}});
  }
  out["snapshots"] = arr;
  return HttpResponse::Json(200, out);
}

// ---------------------------------------------------------------------------
// Images and snapshots

HttpResponse DigitalOceanApi::ListImages(const HttpRequest& req, const PathParams&) {
  double now = ctx_->Now();
  std::string type = req.Query("type");
  bool priv = req.Query("private") == "true";
  std::string tag = req.Query("tag_name");
  std::vector<const Image*> sel;
  for (const auto& [id, img] : images_) {
    if (now < img.ready_at) continue;
    if (priv && img.is_public) continue;
    if (type == "distribution" && img.type != "base") continue;
    if (type == "application") continue;
    if (!tag.empty() && std::find(img.tags.begin(), img.tags.end(), tag) == img.tags.end()) continue;
    sel.push_back(&img);
  }
  return PagedList(req, sel, "images", [&](const auto* x) { return ImageJson(*x); });
}

HttpResponse DigitalOceanApi::GetImage(const HttpRequest&, const PathParams& p) {
  const Image* img = FindImage(p.at("image_id"));
  if (!img) return NotFound();
  return HttpResponse::Json(200, {{"image", ImageJson(*img)}});
}

HttpResponse DigitalOceanApi::DeleteImage(const HttpRequest&, const PathParams& p) {
  const Image* img = FindImage(p.at("image_id"));
  if (!img) return NotFound();
  if (img->is_public) return Error(403, "forbidden", "You do not have access for the attempted action.");
  int64_t id = img->id;
  auto d = droplets_.find(img->droplet_id);
  if (d != droplets_.end()) EraseValue(&d->second.snapshot_ids, id);
  for (const std::string& t : img->tags) {
    auto ti = tags_.find(t);
    if (ti != tags_.end()) ti->second.images.erase(id);
  }
  images_.erase(id);
  return HttpResponse::Empty(204);
}

HttpResponse DigitalOceanApi::ListSnapshots(const HttpRequest& req, const PathParams&) {
  double now = ctx_->Now();
  std::string rtype = req.Query("resource_type");
  std::vector<const Image*> sel;
  if (rtype.empty() || rtype == "droplet") {
    for (const auto& [id, img] : images_) {
      if (img.type == "snapshot" && now >= img.ready_at) sel.push_back(&img);
    }
  }
  return PagedList(req, sel, "snapshots", [&](const auto* x) { return SnapshotJson(*x); });
}

HttpResponse DigitalOceanApi::GetSnapshot(const HttpRequest&, const PathParams& p) {
  const Image* img = FindImage(p.at("snapshot_id"));
  if (!img) return NotFound();
  if (img->type != "snapshot") return BadRequest("the resource is not a snapshot");
  return HttpResponse::Json(200, {{"snapshot", SnapshotJson(*img)}});
}

HttpResponse DigitalOceanApi::DeleteSnapshot(const HttpRequest& req, const PathParams& p) {
  const Image* img = FindImage(p.at("snapshot_id"));
  if (!img) return NotFound();
  if (img->type != "snapshot") return BadRequest("the resource is not a snapshot");
  return DeleteImage(req, {{"image_id", std::to_string(img->id)}});
}

// ---------------------------------------------------------------------------
// SSH keys

SshKey* DigitalOceanApi::FindKey(const std::string& ref) {
  char* end = nullptr;
  long long n = std::strtoll(ref.c_str(), &end, 10);
  if (!ref.empty() && *end == '\0') {
    auto it = keys_.find(n);
    return it == keys_.end() ? nullptr : &it->second;
  }
  for (auto& [id, k] : keys_) {
    if (k.fingerprint == ref) return &k;
  }
  return nullptr;
}

static json KeyJson(const SshKey& k) {
  return {{"id", k.id}, {"fingerprint", k.fingerprint}, {"public_key", k.public_key}, {"name", k.name}};
}

HttpResponse DigitalOceanApi::ListKeys(const HttpRequest& req, const PathParams&) {
  return PagedList(req, keys_, "ssh_keys", [](const auto& k) { return KeyJson(k.second); });
}

HttpResponse DigitalOceanApi::CreateKey(const HttpRequest& req, const PathParams&) {
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  SshKey k;
  if (!OptString(body, "name", &k.name) || k.name.empty()) return Unprocessable("Name can't be blank");
  if (!OptString(body, "public_key", &k.public_key) || k.public_key.empty()) {
    return Unprocessable("Public Key can't be blank");
  }
  k.fingerprint = Fingerprint(k.public_key);
  if (k.fingerprint.empty()) return Unprocessable("Key invalid, key should be of the form 'type key [comment]'");
  for (const auto& [id, other] : keys_) {
    if (other.fingerprint == k.fingerprint) return Unprocessable("SSH Key is already in use on your account");
  }
  k.id = next_key_id_++;
  keys_[k.id] = k;
  return HttpResponse::Json(201, {{"ssh_key", KeyJson(k)}});
}

HttpResponse DigitalOceanApi::GetKey(const HttpRequest&, const PathParams& p) {
  SshKey* k = FindKey(p.at("key"));
  if (!k) return NotFound();
  return HttpResponse::Json(200, {{"ssh_key", KeyJson(*k)}});
}

HttpResponse DigitalOceanApi::UpdateKey(const HttpRequest& req, const PathParams& p) {
  SshKey* k = FindKey(p.at("key"));
  if (!k) return NotFound();
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  std::string name = k->name;
  if (!OptString(body, "name", &name) || name.empty()) return Unprocessable("Name can't be blank");
  k->name = name;
  return HttpResponse::Json(200, {{"ssh_key", KeyJson(*k)}});
}

HttpResponse DigitalOceanApi::DeleteKey(const HttpRequest&, const PathParams& p) {
  SshKey* k = FindKey(p.at("key"));
  if (!k) return NotFound();
  keys_.erase(k->id);
  return HttpResponse::Empty(204);
}

}  // namespace cloudsim::digitalocean
