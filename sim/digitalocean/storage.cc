// Volumes, volume actions and tags.
#include <algorithm>
#include <regex>

#include "digitalocean/catalog.h"
#include "digitalocean/do_api.h"

namespace cloudsim::digitalocean {
namespace {

bool ValidVolumeName(const std::string& name) {
  static const std::regex kPattern("^[a-z][a-z0-9-]{0,63}$");
  return std::regex_match(name, kPattern);
}

template <typename T>
void EraseValue(std::vector<T>* v, const T& x) {
  v->erase(std::remove(v->begin(), v->end(), x), v->end());
}

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

// ---------------------------------------------------------------------------
// Tags

bool DigitalOceanApi::ValidTagName(const std::string& name) const {
  static const std::regex kPattern("^[a-zA-Z0-9_\\-:]+$");
  return !name.empty() && name.size() <= 255 && std::regex_match(name, kPattern);
}

void DigitalOceanApi::EnsureTag(const std::string& name) { tags_[name]; }

void DigitalOceanApi::TagDroplet(const std::string& tag, int64_t id) {
  TagIndex& t = tags_[tag];
  t.droplets.insert(id);
  t.last_droplet_uri = ctx_->base_url + "/v2/droplets/" + std::to_string(id);
}

void DigitalOceanApi::UntagDroplet(const std::string& tag, int64_t id) {
  auto it = tags_.find(tag);
  if (it != tags_.end()) it->second.droplets.erase(id);
}

std::vector<int64_t> DigitalOceanApi::DropletIdsForTag(const std::string& tag) const {
  auto it = tags_.find(tag);
  if (it == tags_.end()) return {};
  return {it->second.droplets.begin(), it->second.droplets.end()};
}

json DigitalOceanApi::TagJson(const std::string& name) const {
  const TagIndex& t = tags_.at(name);
  auto meta = [](size_t count, const std::string& uri) {
    json m = {{"count", count}};
    if (count && !uri.empty()) m["last_tagged_uri"] = uri;
    return m;
  };
  size_t total = t.droplets.size() + t.volumes.size() + t.images.size();
  return {{"name", name},
          {"resources",
           {{"count", total},
            {"droplets", meta(t.droplets.size(), t.last_droplet_uri)},
            {"images", meta(t.images.size(), t.last_image_uri)},
            {"volumes", meta(t.volumes.size(), t.last_volume_uri)},
            {"volume_snapshots", {{"count", 0}}},
            {"databases", {{"count", 0}}}}}};
}

HttpResponse DigitalOceanApi::ListTags(const HttpRequest& req, const PathParams&) {
  return PagedList(req, tags_, "tags", [&](const auto& t) { return TagJson(t.first); });
}

HttpResponse DigitalOceanApi::CreateTag(const HttpRequest& req, const PathParams&) {
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  std::string name;
  if (!OptString(body, "name", &name) || !ValidTagName(name)) {
    return Unprocessable("tag names must be 255 characters or less and contain only letters, numbers, colons, "
                         "dashes and underscores");
  }
  EnsureTag(name);
  return HttpResponse::Json(201, {{"tag", TagJson(name)}});
}

HttpResponse DigitalOceanApi::GetTag(const HttpRequest&, const PathParams& p) {
  if (!tags_.count(p.at("tag"))) return NotFound();
  return HttpResponse::Json(200, {{"tag", TagJson(p.at("tag"))}});
}

HttpResponse DigitalOceanApi::DeleteTag(const HttpRequest&, const PathParams& p) {
  auto it = tags_.find(p.at("tag"));
  if (it == tags_.end()) return NotFound();
  const std::string name = it->first;
  for (int64_t id : it->second.droplets) EraseValue(&droplets_[id].tags, name);
  for (const std::string& id : it->second.volumes) EraseValue(&volumes_[id].tags, name);
  for (int64_t id : it->second.images) EraseValue(&images_[id].tags, name);
  for (auto& [fid, f] : firewalls_) EraseValue(&f.tags, name);
  tags_.erase(it);
  return HttpResponse::Empty(204);
}

HttpResponse DigitalOceanApi::TagResources(const HttpRequest& req, const PathParams& p) {
  return TagResourcesImpl(req, p, true);
}

HttpResponse DigitalOceanApi::UntagResources(const HttpRequest& req, const PathParams& p) {
  return TagResourcesImpl(req, p, false);
}

HttpResponse DigitalOceanApi::TagResourcesImpl(const HttpRequest& req, const PathParams& p, bool add) {
  auto tit = tags_.find(p.at("tag"));
  if (tit == tags_.end()) return NotFound();
  const std::string name = tit->first;
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  if (!body.contains("resources") || !body["resources"].is_array() || body["resources"].empty()) {
    return Unprocessable("resources must be a non-empty array of {resource_id, resource_type}.");
  }
  // Validate everything first so a bad entry changes nothing.
  for (const json& r : body["resources"]) {
    std::string id, type;
    if (!r.is_object() || !OptString(r, "resource_id", &id) || !OptString(r, "resource_type", &type) ||
        id.empty()) {
      return Unprocessable("resources must be a non-empty array of {resource_id, resource_type}.");
    }
    if (type == "droplet") {
      if (!FindDroplet(id)) return NotFound();
    } else if (type == "volume") {
      if (!volumes_.count(id)) return NotFound();
    } else if (type == "image") {
      const Image* img = FindImage(id);
      if (!img || img->is_public) return NotFound();
    } else if (type == "volume_snapshot") {
      return NotFound();
    } else {
      return Unprocessable("resource_type must be one of droplet, image, volume, volume_snapshot.");
    }
  }
  TagIndex& t = tit->second;
  for (const json& r : body["resources"]) {
    std::string id = r["resource_id"], type = r["resource_type"];
    if (type == "droplet") {
      Droplet* d = FindDroplet(id);
      if (add && !Contains(d->tags, name)) {
        d->tags.push_back(name);
        TagDroplet(name, d->id);
      } else if (!add) {
        EraseValue(&d->tags, name);
        UntagDroplet(name, d->id);
      }
    } else if (type == "volume") {
      Volume& v = volumes_[id];
      if (add && !Contains(v.tags, name)) {
        v.tags.push_back(name);
        t.volumes.insert(id);
        t.last_volume_uri = ctx_->base_url + "/v2/volumes/" + id;
      } else if (!add) {
        EraseValue(&v.tags, name);
        t.volumes.erase(id);
      }
    } else {
      Image& img = images_[FindImage(id)->id];
      if (add && !Contains(img.tags, name)) {
        img.tags.push_back(name);
        t.images.insert(img.id);
        t.last_image_uri = ctx_->base_url + "/v2/images/" + id;
      } else if (!add) {
        EraseValue(&img.tags, name);
        t.images.erase(img.id);
      }
    }
  }
  return HttpResponse::Empty(204);
}

// ---------------------------------------------------------------------------
// Volumes

json DigitalOceanApi::VolumeJson(const Volume& v) const {
  json j = {{"id", v.id},
            {"droplet_ids", v.droplet_ids},
            {"name", v.name},
            {"description", v.description},
            {"size_gigabytes", v.size_gigabytes},
            {"created_at", Iso(v.created)},
            {"tags", v.tags},
            {"region", RegionJsonBySlug(v.region)},
            {"filesystem_type", v.filesystem_type},
            {"filesystem_label", v.filesystem_label}};
  return j;
}

HttpResponse DigitalOceanApi::ListVolumes(const HttpRequest& req, const PathParams&) {
  std::string name = req.Query("name"), region = req.Query("region");
  std::vector<const Volume*> sel;
  for (const auto& [id, v] : volumes_) {
    if (!name.empty() && v.name != name) continue;
    if (!region.empty() && v.region != region) continue;
    sel.push_back(&v);
  }
  return PagedList(req, sel, "volumes", [&](const auto* x) { return VolumeJson(*x); });
}

HttpResponse DigitalOceanApi::CreateVolume(const HttpRequest& req, const PathParams&) {
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  Volume v;
  std::string snapshot_id;
  int64_t size = 0;
  if (!OptString(body, "name", &v.name) || v.name.empty()) return Unprocessable("name is required.");
  if (!ValidVolumeName(v.name)) {
    return Unprocessable("name must be lowercase, begin with a letter and contain only letters, numbers and "
                         "\"-\", up to 64 characters.");
  }
  if (!OptString(body, "region", &v.region) || v.region.empty()) return Unprocessable("region is required.");
  if (!FindRegion(v.region)) return Unprocessable("region " + v.region + " is not a valid region.");
  if (!OptString(body, "snapshot_id", &snapshot_id)) return Unprocessable("snapshot_id must be a string.");
  if (!snapshot_id.empty()) return Unprocessable("snapshot " + snapshot_id + " does not exist.");
  if (!OptInt(body, "size_gigabytes", &size)) return Unprocessable("size_gigabytes must be an integer.");
  if (size <= 0) return Unprocessable("size_gigabytes is required and must be at least 1.");
  if (size > 16384) return Unprocessable("size_gigabytes must be at most 16384.");
  v.size_gigabytes = static_cast<int>(size);
  if (!OptString(body, "description", &v.description)) return Unprocessable("description must be a string.");
  if (!OptString(body, "filesystem_type", &v.filesystem_type)) {
    return Unprocessable("filesystem_type must be a string.");
  }
  if (!v.filesystem_type.empty() && v.filesystem_type != "ext4" && v.filesystem_type != "xfs") {
    return Unprocessable("filesystem_type must be ext4 or xfs.");
  }
  if (!OptString(body, "filesystem_label", &v.filesystem_label)) {
    return Unprocessable("filesystem_label must be a string.");
  }
  size_t max_label = v.filesystem_type == "xfs" ? 12 : 16;
  if (v.filesystem_label.size() > max_label) return Unprocessable("filesystem_label is too long.");
  if (!OptStringArray(body, "tags", &v.tags)) return Unprocessable("tags must be an array of strings.");
  for (const std::string& t : v.tags) {
    if (!ValidTagName(t)) return Unprocessable("invalid tag name: " + t);
  }
  for (const auto& [id, other] : volumes_) {
    if (other.name == v.name && other.region == v.region) {
      return Error(409, "conflict", "a volume with that name already exists");
    }
  }
  v.id = Uuid();
  v.created = ctx_->Now();
  for (const std::string& t : v.tags) {
    TagIndex& ti = tags_[t];
    ti.volumes.insert(v.id);
    ti.last_volume_uri = ctx_->base_url + "/v2/volumes/" + v.id;
  }
  volumes_[v.id] = v;
  return HttpResponse::Json(201, {{"volume", VolumeJson(v)}});
}

HttpResponse DigitalOceanApi::GetVolume(const HttpRequest&, const PathParams& p) {
  auto it = volumes_.find(p.at("volume_id"));
  if (it == volumes_.end()) return NotFound();
  return HttpResponse::Json(200, {{"volume", VolumeJson(it->second)}});
}

HttpResponse DigitalOceanApi::DeleteVolume(const HttpRequest&, const PathParams& p) {
  auto it = volumes_.find(p.at("volume_id"));
  if (it == volumes_.end()) return NotFound();
  if (!it->second.droplet_ids.empty()) {
    return Error(409, "conflict", "volume is currently attached to a droplet; detach it before deleting");
  }
  for (const std::string& t : it->second.tags) {
    auto ti = tags_.find(t);
    if (ti != tags_.end()) ti->second.volumes.erase(it->first);
  }
  volumes_.erase(it);
  return HttpResponse::Empty(204);
}

HttpResponse DigitalOceanApi::VolumeAction(Volume& v, const json& body) {
  std::string type, region;
  int64_t droplet_id = 0;
  if (!OptString(body, "type", &type) || type.empty()) return Unprocessable("type is required.");
  if (!OptInt(body, "droplet_id", &droplet_id)) return Unprocessable("droplet_id must be an integer.");
  if (!OptString(body, "region", &region)) return Unprocessable("region must be a string.");
  if (!region.empty() && region != v.region) return Unprocessable("volume is not in region " + region + ".");
  std::string action_type;
  if (type == "attach" || type == "detach") {
    if (droplet_id == 0) return Unprocessable("droplet_id is required.");
    auto d = droplets_.find(droplet_id);
    if (d == droplets_.end()) return Unprocessable("droplet " + std::to_string(droplet_id) + " does not exist.");
    if (type == "attach") {
      if (d->second.region != v.region) {
        return Unprocessable("volume and droplet must be in the same region: volume is in " + v.region +
                             ", droplet is in " + d->second.region + ".");
      }
      if (!v.droplet_ids.empty()) return Unprocessable("volume is already attached to a droplet.");
      if (d->second.volume_ids.size() >= 7) return Unprocessable("droplet already has the maximum of 7 volumes.");
      v.droplet_ids.push_back(droplet_id);
      d->second.volume_ids.push_back(v.id);
      action_type = "attach_volume";
    } else {
      if (!Contains(v.droplet_ids, droplet_id)) return Unprocessable("volume is not attached to this droplet.");
      EraseValue(&v.droplet_ids, droplet_id);
      EraseValue(&d->second.volume_ids, v.id);
      action_type = "detach_volume";
    }
  } else if (type == "resize") {
    int64_t size = 0;
    if (!OptInt(body, "size_gigabytes", &size) || size <= 0) return Unprocessable("size_gigabytes is required.");
    if (size <= v.size_gigabytes) return Unprocessable("new size must be larger than the current size.");
    if (size > 16384) return Unprocessable("size_gigabytes must be at most 16384.");
    v.size_gigabytes = static_cast<int>(size);
    action_type = "resize_volume";
  } else {
    return Unprocessable("type must be one of attach, detach, resize.");
  }
  Action& a = AddAction(action_type, "volume", 0, v.region, kVolumeActionSeconds);
  a.owner = v.id;
  return HttpResponse::Json(202, {{"action", ActionJson(a)}});
}

HttpResponse DigitalOceanApi::PostVolumeAction(const HttpRequest& req, const PathParams& p) {
  auto it = volumes_.find(p.at("volume_id"));
  if (it == volumes_.end()) return NotFound();
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  return VolumeAction(it->second, body);
}

HttpResponse DigitalOceanApi::PostVolumeActionByName(const HttpRequest& req, const PathParams&) {
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  std::string name, region;
  if (!OptString(body, "volume_name", &name) || !OptString(body, "region", &region) || name.empty() ||
      region.empty()) {
    return Unprocessable("volume_name and region are required.");
  }
  for (auto& [id, v] : volumes_) {
    if (v.name == name && v.region == region) return VolumeAction(v, body);
  }
  return NotFound();
}

HttpResponse DigitalOceanApi::ListVolumeActions(const HttpRequest& req, const PathParams& p) {
  auto vit = volumes_.find(p.at("volume_id"));
  if (vit == volumes_.end()) return NotFound();
  std::vector<const Action*> sel;
  for (auto it = actions_.rbegin(); it != actions_.rend(); ++it) {
    if (it->second.resource_type == "volume" && it->second.owner == vit->first) sel.push_back(&it->second);
  }
  return PagedList(req, sel, "actions", [&](const auto* x) { return ActionJson(*x); });
}

HttpResponse DigitalOceanApi::GetVolumeAction(const HttpRequest&, const PathParams& p) {
  auto it = actions_.find(std::strtoll(p.at("action_id").c_str(), nullptr, 10));
  if (it == actions_.end() || it->second.resource_type != "volume" || it->second.owner != p.at("volume_id")) {
    return NotFound();
  }
  return HttpResponse::Json(200, {{"action", ActionJson(it->second)}});
}

}  // namespace cloudsim::digitalocean
