// Glance v2: images list/show with filters and paging, create (queued),
// data upload (PUT .../file -> active with checksum, size, sha512 hash),
// JSON-Patch update, tags, delete.
#include <algorithm>
#include <cstdio>

#include <openssl/evp.h>

#include "openstack/model.h"

namespace cloudsim::openstack {
namespace {

const std::set<std::string> kReadOnly = {"status", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value",
                                         "created_at", "updated_at", "owner", "self", "file", "schema", "stores",
                                         "direct_url", "locations"};
const std::vector<std::string> kDiskFormats = {"ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"};
const std::vector<std::string> kContainerFormats = {"ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"};

std::string Digest(const std::string& data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  std::string hex;
  char b[4];
  for (unsigned i = 0; i < len; ++i) {
    snprintf(b, sizeof(b), "%02x", out[i]);
    hex += b;
  }
  return hex;
}

json ImageView(const json& img) {
  json out = Public(img);
  std::string id = img["id"];
  out["self"] = "/v2/images/" + id;
  out["file"] = "/v2/images/" + id + "/file";
  out["schema"] = "/v2/schemas/image";
  if (img["status"] == "active") out["stores"] = "file";
  return out;
}

bool Visible(const json& img, const Caller& c) {
  std::string vis = img["visibility"];
  return vis == "public" || vis == "community" || img["owner"] == c.project_id ||
         std::find(c.roles.begin(), c.roles.end(), "admin") != c.roles.end();
}

HttpResponse NotFound(const std::string& id) { return GlanceError(404, "No image found with ID " + id); }

// Validates one property value; returns "" or an error text.
std::string CheckProperty(const std::string& key, const json& v) {
  auto one_of = [&](const std::vector<std::string>& allowed) -> std::string {
    if (v.is_null()) return "";
    if (!v.is_string() || std::find(allowed.begin(), allowed.end(), v.get<std::string>()) == allowed.end())
      return "Provided object does not match schema 'image': " + v.dump() + " is not one of the allowed values for '" + key + "'";
    return "";
  };
  if (key == "disk_format") return one_of(kDiskFormats);
  if (key == "container_format") return one_of(kContainerFormats);
  if (key == "visibility") return one_of({"public", "private", "shared", "community"});
  if (key == "min_disk" || key == "min_ram")
    return v.is_number_integer() && v.get<int64_t>() >= 0 ? "" : "Provided object does not match schema 'image': " + v.dump() + " is not of type 'integer'";
  if (key == "protected" || key == "os_hidden")
    return v.is_boolean() ? "" : "Provided object does not match schema 'image': " + v.dump() + " is not of type 'boolean'";
  if (key == "tags") return v.is_array() ? "" : "Provided object does not match schema 'image': " + v.dump() + " is not of type 'array'";
  if (key == "name") return v.is_null() || (v.is_string() && v.get<std::string>().size() <= 255) ? "" : "Provided object does not match schema 'image': invalid name";
  if (key == "id") return v.is_string() && v.get<std::string>().size() == 36 ? "" : "Provided object does not match schema 'image': " + v.dump() + " does not match the uuid pattern";
  return v.is_string() ? "" : "Provided object does not match schema 'image': " + v.dump() + " is not of type 'string'";
}

json NewImage(Model* m, const std::string& id, const std::string& owner) {
  std::string now = IsoZ(m->Now());
  return {{"name", nullptr}, {"disk_format", nullptr}, {"container_format", nullptr}, {"visibility", "shared"},
          {"size", nullptr}, {"virtual_size", nullptr}, {"status", "queued"}, {"checksum", nullptr},
          {"protected", false}, {"min_ram", 0}, {"min_disk", 0}, {"owner", owner}, {"os_hidden", false},
          {"os_hash_algo", nullptr}, {"os_hash_value", nullptr}, {"id", id}, {"created_at", now},
          {"updated_at", now}, {"tags", json::array()}};
}

HttpResponse ListImages(Model* m, const HttpRequest& req, const Caller& c) {
  std::vector<const json*> rows;
  std::vector<std::string> tags;
  for (auto [it, end] = req.query.equal_range("tag"); it != end; ++it) tags.push_back(it->second);
  for (const auto& [id, img] : m->images) {
    if (!Visible(img, c)) continue;
    if (req.HasQuery("visibility") && req.Query("visibility") != "all" && img["visibility"] != req.Query("visibility")) continue;
    if (!req.HasQuery("visibility") && img["visibility"] == "community" && img["owner"] != c.project_id) continue;
    bool ok = true;
    for (const char* k : {"name", "status", "owner", "container_format", "disk_format", "id"})
      if (req.HasQuery(k) && !(img[k].is_string() && img[k] == req.Query(k))) ok = false;
    if (req.HasQuery("os_hidden") ? img["os_hidden"] != (req.Query("os_hidden") == "true") : img["os_hidden"].get<bool>()) ok = false;
    for (const auto& t : tags)
      if (std::find(img["tags"].begin(), img["tags"].end(), json(t)) == img["tags"].end()) ok = false;
    if (ok) rows.push_back(&img);
  }
  std::string sort_key = req.Query("sort_key", "created_at");
  bool asc = req.Query("sort_dir", "desc") == "asc";
  if (!m->images.empty() && !m->images.begin()->second.contains(sort_key))
    return GlanceError(400, "Invalid sort key: " + sort_key + ". It must be one of the following: name, status, "
                                                               "container_format, disk_format, size, id, created_at, updated_at.");
  std::stable_sort(rows.begin(), rows.end(), [&](const json* a, const json* b) {
    const json &va = (*a)[sort_key], &vb = (*b)[sort_key];
    if (va == vb) return asc ? (*a)["id"] < (*b)["id"] : (*b)["id"] < (*a)["id"];
    return asc ? va < vb : vb < va;
  });
  size_t start = 0;
  if (req.HasQuery("marker")) {
    bool found = false;
    for (size_t i = 0; i < rows.size() && !found; ++i)
      if ((*rows[i])["id"] == req.Query("marker")) start = i + 1, found = true;
    if (!found) return GlanceError(400, "marker not found");  // glance: 400 for an unknown marker
  }
  size_t limit = 25;
  if (req.HasQuery("limit")) {
    std::string l = req.Query("limit");
    if (l.empty() || l.find_first_not_of("0123456789") != std::string::npos) return GlanceError(400, "limit param must be an integer");
    limit = std::min<size_t>(std::stoul(l), 1000);
  }
  json out = json::array();
  size_t end = std::min(rows.size(), start + limit);
  for (size_t i = start; i < end; ++i) out.push_back(ImageView(*rows[i]));
  std::string qs;
  for (const auto& [k, v] : req.query)
    if (k != "marker") qs += (qs.empty() ? "?" : "&") + k + "=" + v;
  json body = {{"images", out}, {"first", "/v2/images" + qs}, {"schema", "/v2/schemas/images"}};
  if (end < rows.size() && end > start)
    body["next"] = "/v2/images?marker=" + (*rows[end - 1])["id"].get<std::string>() + "&limit=" + std::to_string(limit);
  return HttpResponse::Json(200, body);
}

HttpResponse CreateImage(Model* m, const HttpRequest& req, const Caller& c) {
  json in;
  if (!ParseBody(req, &in)) return GlanceError(400, "Malformed JSON in request body.");
  for (auto it = in.begin(); it != in.end(); ++it) {
    if (kReadOnly.count(it.key())) return GlanceError(403, "Attribute '" + it.key() + "' is read-only.");
    std::string err = CheckProperty(it.key(), it.value());
    if (!err.empty()) return GlanceError(400, err);
  }
  std::string id = in.value("id", m->Uuid());
  if (m->images.count(id)) return GlanceError(409, "Image with identifier " + id + " already exists!");
  if (in.value("visibility", "") == "public" &&
      std::find(c.roles.begin(), c.roles.end(), "admin") == c.roles.end())
    return GlanceError(403, "You are not authorized to complete publicize_image action.");
  json img = NewImage(m, id, c.project_id);
  for (auto it = in.begin(); it != in.end(); ++it) img[it.key()] = it.value();
  m->images[id] = img;
  HttpResponse r = HttpResponse::Json(201, ImageView(img));
  r.SetHeader("Location", m->Base(kImagePrefix) + "/v2/images/" + id);
  return r;
}

HttpResponse PatchImage(Model* m, const HttpRequest& req, const std::string& id) {
  json& img = m->images[id];
  json ops = json::parse(req.body, nullptr, false);
  if (ops.is_discarded() || !ops.is_array()) return GlanceError(400, "Request body must be a JSON array of operation objects.");
  json next = img;
  for (const auto& op : ops) {
    std::string kind = op.value("op", ""), path = op.value("path", "");
    if (path.size() < 2 || path[0] != '/') return GlanceError(400, "Invalid JSON pointer for this resource: '" + path + "'");
    std::string key = path.substr(1);
    if (kReadOnly.count(key) || key == "id") return GlanceError(403, "Attribute '" + key + "' is read-only.");
    if (kind == "replace" || kind == "add") {
      std::string err = CheckProperty(key, op.value("value", json()));
      if (!err.empty()) return GlanceError(400, err);
      if (kind == "replace" && !next.contains(key)) return GlanceError(409, "Property " + key + " does not exist.");
      next[key] = op["value"];
    } else if (kind == "remove") {
      if (!next.contains(key)) return GlanceError(409, "Property " + key + " does not exist.");
      static const std::set<std::string> kBase = {"name", "disk_format", "container_format", "visibility", "protected",
                                                  "min_ram", "min_disk", "tags", "os_hidden"};
      if (kBase.count(key)) return GlanceError(403, "Properties " + key + " must be set prior to saving data.");
      next.erase(key);
    } else {
      return GlanceError(400, "Operation objects must contain exactly one member named \"add\", \"remove\", or \"replace\".");
    }
  }
  next["updated_at"] = IsoZ(m->Now());
  img = next;
  return HttpResponse::Json(200, ImageView(img));
}

}  // namespace

void SeedGlance(Model* m) {
  struct Seed {
    const char* name;
    int64_t size;
    int min_disk;
  };
  for (const Seed& s : {Seed{"cirros-0.6.2-x86_64-disk", 21430272, 0}, Seed{"ubuntu-22.04", 692453376, 3}}) {
    std::string id = m->Uuid();
    json img = NewImage(m, id, m->admin_project_id);
    img["name"] = s.name;
    img["disk_format"] = "qcow2";
    img["container_format"] = "bare";
    img["visibility"] = "public";
    img["size"] = s.size;
    img["virtual_size"] = s.size * 3;
    img["status"] = "active";
    img["min_disk"] = s.min_disk;
    img["checksum"] = Digest(s.name, EVP_md5());
    img["os_hash_algo"] = "sha512";
    img["os_hash_value"] = Digest(s.name, EVP_sha512());
    img["hw_disk_bus"] = "virtio";
    m->images[id] = img;
  }
}

std::string CreateSnapshotImage(Model* m, const json& server, const std::string& name, const json& metadata,
                                double ready_at) {
  std::string id = m->Uuid();
  json img = NewImage(m, id, server["_project"]);
  img["name"] = name;
  img["visibility"] = "private";
  const json& flavor = server["_flavor"];
  int64_t min_disk = flavor.value("disk", 0);
  auto base = m->images.find(server["image_id"].get<std::string>());
  if (base != m->images.end()) {
    // Nova copies the base image's custom properties onto the snapshot.
    for (auto it = base->second.begin(); it != base->second.end(); ++it) {
      const std::string& k = it.key();
      if (k[0] == '_' || img.contains(k)) continue;
      img[k] = it.value();
    }
    img["disk_format"] = base->second["disk_format"];
    img["container_format"] = base->second["container_format"];
    min_disk = std::max<int64_t>(min_disk, base->second.value("min_disk", 0));
    img["min_ram"] = base->second.value("min_ram", 0);
    img["base_image_ref"] = base->first;
  } else {
    img["disk_format"] = "qcow2";
    img["container_format"] = "bare";
  }
  img["min_disk"] = min_disk;
  img["image_type"] = "snapshot";
  img["instance_uuid"] = server["id"];
  img["user_id"] = server["_user"];
  img["image_location"] = "snapshot";
  img["image_state"] = "available";
  img["owner_id"] = server["_project"];
  for (auto it = metadata.begin(); it != metadata.end(); ++it) img[it.key()] = it.value();
  img["_source_size"] = base != m->images.end() && base->second["size"].is_number() ? base->second["size"] : json(0);
  m->images[id] = img;
  double now = m->Now();
  m->Due(now + (ready_at - now) / 3, "image-saving", id);
  m->Due(ready_at, "image-active", id);
  return id;
}

void CompleteImage(Model* m, const std::string& kind, const std::string& id) {
  auto it = m->images.find(id);
  if (it == m->images.end()) return;
  json& img = it->second;
  std::string status = img["status"];
  if (kind == "image-saving" && status == "queued") {
    img["status"] = "saving";
  } else if (kind == "image-active" && (status == "queued" || status == "saving")) {
    // The uploaded disk: the base image's size plus what the instance wrote.
    int64_t size = img.value("_source_size", json(0)).get<int64_t>() + m->RandomInt(1, 64) * 1048576;
    std::string data = id + std::to_string(size);
    img["status"] = "active";
    img["size"] = size;
    img["virtual_size"] = size * 3;
    img["checksum"] = Digest(data, EVP_md5());
    img["os_hash_algo"] = "sha512";
    img["os_hash_value"] = Digest(data, EVP_sha512());
  } else {
    return;
  }
  img["updated_at"] = IsoZ(m->Now());
}

void RegisterGlance(Router& router, Model* m) {
  const Service S = Service::kImage;
  const std::string v2 = std::string(kImagePrefix) + "/v2";
  m->Route(router, S, "GET", kImagePrefix, false, [m](const HttpRequest&, const PathParams&, const Caller&) {
    json vs = json::array();
    for (const char* v : {"v2.15", "v2.13", "v2.12", "v2.11", "v2.10", "v2.9", "v2.8", "v2.7", "v2.6", "v2.5", "v2.4",
                          "v2.3", "v2.2", "v2.1", "v2.0"})
      vs.push_back({{"id", v}, {"status", std::string(v) == "v2.15" ? "CURRENT" : "SUPPORTED"},
                    {"links", {{{"rel", "self"}, {"href", m->Base(kImagePrefix) + "/v2/"}}}}});
    return HttpResponse::Json(300, {{"versions", vs}});
  });
  m->Route(router, S, "GET", v2 + "/images", true,
           [m](const HttpRequest& req, const PathParams&, const Caller& c) { return ListImages(m, req, c); });
  m->Route(router, S, "POST", v2 + "/images", true,
           [m](const HttpRequest& req, const PathParams&, const Caller& c) { return CreateImage(m, req, c); });
  m->Route(router, S, "GET", v2 + "/images/{id}", true, [m](const HttpRequest&, const PathParams& p, const Caller& c) {
    auto it = m->images.find(p.at("id"));
    if (it == m->images.end() || !Visible(it->second, c)) return NotFound(p.at("id"));
    return HttpResponse::Json(200, ImageView(it->second));
  });
  m->Route(router, S, "PATCH", v2 + "/images/{id}", true, [m](const HttpRequest& req, const PathParams& p, const Caller& c) {
    auto it = m->images.find(p.at("id"));
    if (it == m->images.end() || !Visible(it->second, c)) return NotFound(p.at("id"));
    if (it->second["owner"] != c.project_id) return GlanceError(403, "You are not permitted to modify this image.");
    return PatchImage(m, req, p.at("id"));
  });
  m->Route(router, S, "DELETE", v2 + "/images/{id}", true, [m](const HttpRequest&, const PathParams& p, const Caller& c) {
    auto it = m->images.find(p.at("id"));
    if (it == m->images.end() || !Visible(it->second, c)) return NotFound(p.at("id"));
    if (it->second["owner"] != c.project_id) return GlanceError(403, "You are not permitted to delete this image.");
    if (it->second["protected"].get<bool>())
      return GlanceError(403, "Image " + p.at("id") + " is protected and cannot be deleted.");
    m->images.erase(it);
    return HttpResponse::Empty(204);
  });
  m->Route(router, S, "PUT", v2 + "/images/{id}/file", true, [m](const HttpRequest& req, const PathParams& p, const Caller& c) {
    auto it = m->images.find(p.at("id"));
    if (it == m->images.end() || !Visible(it->second, c)) return NotFound(p.at("id"));
    json& img = it->second;
    if (img["status"] != "queued")
      return GlanceError(409, "Image status transition from " + img["status"].get<std::string>() + " to saving is not allowed");
    if (img["disk_format"].is_null() || img["container_format"].is_null())
      return GlanceError(400, "Properties disk_format, container_format must be set prior to saving data.");
    std::string ct = req.Header("content-type");
    if (!ct.empty() && ct != "application/octet-stream")
      return GlanceError(415, "The request returned a 415 Unsupported Media Type.");
    img["size"] = req.body.size();
    img["virtual_size"] = req.body.size();
    img["checksum"] = Digest(req.body, EVP_md5());
    img["os_hash_algo"] = "sha512";
    img["os_hash_value"] = Digest(req.body, EVP_sha512());
    img["status"] = "active";
    img["updated_at"] = IsoZ(m->Now());
    return HttpResponse::Empty(204);
  });
  for (const char* method : {"PUT", "DELETE"}) {
    bool add = std::string(method) == "PUT";
    m->Route(router, S, method, v2 + "/images/{id}/tags/{tag}", true,
             [m, add](const HttpRequest&, const PathParams& p, const Caller& c) {
               auto it = m->images.find(p.at("id"));
               if (it == m->images.end() || !Visible(it->second, c)) return NotFound(p.at("id"));
               json& tags = it->second["tags"];
               auto t = std::find(tags.begin(), tags.end(), json(p.at("tag")));
               if (add && t == tags.end()) tags.push_back(p.at("tag"));
               if (!add) {
                 if (t == tags.end()) return GlanceError(404, "Tag " + p.at("tag") + " not found.");
                 tags.erase(t);
               }
               it->second["updated_at"] = IsoZ(m->Now());
               return HttpResponse::Empty(204);
             });
  }
}

void ListGlance(Model* m, std::vector<SimResource>* out) {
  for (const auto& [id, img] : m->images) {
    SimResource r{"openstack", "image", id, img["name"].is_string() ? img["name"].get<std::string>() : "", {}, {}, img["status"]};
    for (const auto& t : img["tags"]) r.tags.push_back(t);
    out->push_back(r);
  }
}

}  // namespace cloudsim::openstack
