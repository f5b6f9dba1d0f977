// Cinder v3: version documents, volume microversions (3.0 .. 3.70),
// volumes create/list/detail/show/update/delete with creating -> available,
// attaching/in-use/detaching driven by Nova, and quotas (413).
#include <algorithm>
#include <cstdio>

#include "openstack/model.h"

namespace cloudsim::openstack {
namespace {

constexpr double kCreateSeconds = 5;
constexpr double kDeleteSeconds = 3;
constexpr int kMaxMinor = 70;
constexpr int kQuotaVolumes = 10, kQuotaGigabytes = 1000;

json Versions(Model* m) {
  return {{"versions",
           {{{"id", "v3.0"}, {"status", "CURRENT"}, {"version", "3." + std::to_string(kMaxMinor)}, {"min_version", "3.0"},
             {"updated", "2022-08-31T00:00:00Z"},
             {"links", {{{"rel", "describedby"}, {"type", "text/html"}, {"href", "https://docs.openstack.org/"}},
                        {{"rel", "self"}, {"href", m->Base(kVolumePrefix) + "/v3/"}}}},
             {"media-types", {{{"base", "application/json"}, {"type", "application/vnd.openstack.volume+json;version=3"}}}}}}}};
}

bool Negotiate(const HttpRequest& req, int* minor, HttpResponse* err) {
  std::string h = req.Header("openstack-api-version");
  size_t pos = h.find("volume");
  *minor = 0;
  if (pos == std::string::npos) return true;
  std::string raw = h.substr(pos + 6);
  while (!raw.empty() && raw.front() == ' ') raw.erase(raw.begin());
  if (raw == "latest") {
    *minor = kMaxMinor;
    return true;
  }
  unsigned major, mi;
  if (sscanf(raw.c_str(), "%u.%u", &major, &mi) != 2) {
    *err = CinderError(400, "Invalid API version string: " + raw);
    return false;
  }
  if (major != 3 || static_cast<int>(mi) > kMaxMinor) {
    *err = CinderError(406, "Version " + raw + " is not supported by the API. Minimum is 3.0 and maximum is 3." +
                                std::to_string(kMaxMinor) + ".");
    return false;
  }
  *minor = static_cast<int>(mi);
  return true;
}

using VolHandler = std::function<HttpResponse(const HttpRequest&, const PathParams&, const Caller&, int mv)>;

void VolRoute(Router& router, Model* m, const std::string& method, const std::string& pattern, VolHandler h) {
  m->Route(router, Service::kVolume, method, std::string(kVolumePrefix) + "/v3/{project_id}" + pattern, true,
           [h = std::move(h)](const HttpRequest& req, const PathParams& p, const Caller& c) {
             int mv = 0;
             HttpResponse r;
             if (!Negotiate(req, &mv, &r)) return r;
             bool admin = std::find(c.roles.begin(), c.roles.end(), "admin") != c.roles.end();
             if (p.at("project_id") != c.project_id && !admin)
               r = CinderError(403, "Policy doesn't allow volume extension to be performed.");
             else
               r = h(req, p, c, mv);
             r.SetHeader("OpenStack-API-Version", "volume 3." + std::to_string(mv));
             r.SetHeader("Vary", "OpenStack-API-Version");
             return r;
           });
}

json Links(Model* m, const std::string& project, const std::string& id) {
  return {{{"rel", "self"}, {"href", m->Base(kVolumePrefix) + "/v3/" + project + "/volumes/" + id}},
          {{"rel", "bookmark"}, {"href", m->Base(kVolumePrefix) + "/" + project + "/volumes/" + id}}};
}

// `admin`: the caller holds the admin role (migration and provider fields, attachment host,
// os-vol-host/mig attributes). `extended`: a show or detailed list, which adds the
// os-vol-* extension attributes (the tenant to every caller, the rest to admins).
json VolumeView(Model* m, const json& v, int mv, bool admin, bool extended) {
  std::string status = VolumeStatus(m, v);
  bool ready = status != "creating";
  json attachments = json::array();
  if (v.contains("_attachment") && (status == "in-use" || status == "detaching")) {
    const json& a = v["_attachment"];
    attachments.push_back({{"id", v["id"]}, {"attachment_id", a["attachment_id"]}, {"volume_id", v["id"]},
                           {"server_id", a["server_id"]}, {"host_name", admin ? json("cloudsim-compute") : json()},
                           {"device", a["device"]},
                           {"attached_at", a["attached_at"]}});
  }
  double updated = v.value("_updated", 0.0);
  if (ready) updated = std::max(updated, v.value("_ready_at", 0.0));
  json out = {{"id", v["id"]}, {"status", status}, {"size", v["size"]}, {"availability_zone", v["availability_zone"]},
              {"created_at", IsoMicro(v["_created"].get<double>())},
              {"updated_at", updated > v["_created"].get<double>() ? json(IsoMicro(updated)) : json()},
              {"name", v["name"]}, {"description", v["description"]}, {"volume_type", v["volume_type"]},
              {"snapshot_id", nullptr}, {"source_volid", nullptr}, {"metadata", v["metadata"]},
              {"links", Links(m, v["_project"], v["id"])}, {"user_id", v["_user"]}, {"bootable", v["bootable"]},
              {"encrypted", false}, {"replication_status", nullptr}, {"consistencygroup_id", nullptr},
              {"multiattach", v["multiattach"]}, {"attachments", attachments}};
  if (admin) out["migration_status"] = nullptr;
  if (mv >= 13) out["group_id"] = nullptr;
  if (admin && mv >= 21) out["provider_id"] = nullptr;
  if (mv >= 48) {
    out["shared_targets"] = false;
    out["service_uuid"] = ready ? json("8f4b1d6e-7c0a-4b8e-9c1d-2f3a4b5c6d7e") : json();
  }
  if (mv >= 63) out["volume_type_id"] = "0a1b2c3d-0000-4000-8000-00000000d3fa";
  if (mv >= 65) out["consumes_quota"] = true;
  if (extended) out["os-vol-tenant-attr:tenant_id"] = v["_project"];
  if (extended && admin) {
    out["os-vol-mig-status-attr:migstat"] = nullptr;
    out["os-vol-mig-status-attr:name_id"] = nullptr;
    out["os-vol-host-attr:host"] = ready ? json("cloudsim-volume@lvmdriver-1#lvmdriver-1") : json();
  }
  return out;
}

bool IsAdmin(const Caller& c) { return c.IsAdmin(); }

HttpResponse NotFound(const std::string& id) { return CinderError(404, "Volume " + id + " could not be found."); }

json* FindVolume(Model* m, const std::string& project, const std::string& id) {
  auto it = m->volumes.find(id);
  if (it == m->volumes.end() || it->second["_project"] != project) return nullptr;
  return &it->second;
}

HttpResponse CreateVolume(Model* m, const HttpRequest& req, const Caller& c, const std::string& project, int mv) {
  json body;
  if (!ParseBody(req, &body) || !body.contains("volume") || !body["volume"].is_object())
    return CinderError(400, "Missing required element 'volume' in request body.");
  const json& in = body["volume"];
  static const std::set<std::string> kAllowed = {"size", "name", "description", "metadata", "volume_type",
                                                 "availability_zone", "imageRef", "snapshot_id", "source_volid",
                                                 "multiattach", "consistencygroup_id", "backup_id", "display_name",
                                                 "display_description", "scheduler_hints", "group_id"};
  for (auto it = in.begin(); it != in.end(); ++it)
    if (!kAllowed.count(it.key()))
      return CinderError(400, "Invalid input for field/attribute volume. Value: " + in.dump() +
                                  ". Additional properties are not allowed ('" + it.key() + "' was unexpected)");
  json size = in.value("size", json());
  if (size.is_string() && !size.get<std::string>().empty() &&
      size.get<std::string>().find_first_not_of("0123456789") == std::string::npos)
    size = std::stoll(size.get<std::string>());
  if (!size.is_number_integer() || size.get<int64_t>() < 1 || size.get<int64_t>() > 2147483647)
    return CinderError(400, "Invalid input for field/attribute size. Value: " + size.dump() + ". " + size.dump() +
                                " is not valid under any of the given schemas");
  std::string type = in.value("volume_type", json("__DEFAULT__")).is_string() ? in.value("volume_type", "__DEFAULT__") : "__DEFAULT__";
  if (type != "__DEFAULT__") return CinderError(404, "Volume type with name " + type + " could not be found.");
  std::string az = in.value("availability_zone", json("nova")).is_string() ? in.value("availability_zone", "nova") : "nova";
  if (az != "nova") return CinderError(400, "Invalid input received: Availability zone '" + az + "' is invalid.");
  std::string bootable = "false";
  if (in.contains("imageRef") && !in["imageRef"].is_null()) {
    auto it = m->images.find(in["imageRef"].is_string() ? in["imageRef"].get<std::string>() : "");
    if (it == m->images.end() || it->second["status"] != "active")
      return CinderError(400, "Invalid image identifier or unable to access requested image.");
    bootable = "true";
  }
  if (in.contains("snapshot_id") && !in["snapshot_id"].is_null())
    return CinderError(404, "Snapshot " + in["snapshot_id"].dump() + " could not be found.");
  if (in.contains("source_volid") && !in["source_volid"].is_null() &&
      !FindVolume(m, project, in["source_volid"].is_string() ? in["source_volid"].get<std::string>() : ""))
    return NotFound(in["source_volid"].dump());
  int64_t count = 0, gigs = 0;
  for (const auto& [id, v] : m->volumes)
    if (v["_project"] == project) ++count, gigs += v["size"].get<int64_t>();
  int64_t want = size.get<int64_t>();
  if (gigs + want > kQuotaGigabytes)
    return CinderError(413, "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes "
                            "quota. Requested " + std::to_string(want) + "G, quota is " + std::to_string(kQuotaGigabytes) +
                                "G and " + std::to_string(gigs) + "G has been consumed.");
  if (count >= kQuotaVolumes)
    return CinderError(413, "VolumeLimitExceeded: Maximum number of volumes allowed (" + std::to_string(kQuotaVolumes) +
                                ") exceeded for quota 'volumes'.");
  double now = m->Now();
  std::string id = m->Uuid();
  json v = {{"id", id}, {"size", want}, {"availability_zone", az}, {"name", in.value("name", in.value("display_name", json()))},
            {"description", in.value("description", in.value("display_description", json()))}, {"volume_type", type},
            {"metadata", in.value("metadata", json::object())}, {"bootable", bootable},
            {"multiattach", in.value("multiattach", false)}, {"_project", project}, {"_user", c.user_id},
            {"_created", now}, {"_ready_at", now + m->ctx->Latency(kCreateSeconds)}};
  m->volumes[id] = v;
  return HttpResponse::Json(202, {{"volume", VolumeView(m, v, mv, IsAdmin(c), false)}});
}

HttpResponse ListVolumes(Model* m, const HttpRequest& req, const Caller& c, const std::string& project, int mv, bool detail) {
  std::vector<const json*> rows;
  for (const auto& [id, v] : m->volumes) {
    if (v["_project"] != project) continue;
    if (req.HasQuery("name") && v["name"] != req.Query("name")) continue;
    if (req.HasQuery("status") && VolumeStatus(m, v) != req.Query("status")) continue;
    rows.push_back(&v);
  }
  std::sort(rows.begin(), rows.end(), [](const json* a, const json* b) {
    double ta = (*a)["_created"], tb = (*b)["_created"];
    return ta != tb ? ta > tb : (*a)["id"] > (*b)["id"];
  });
  size_t start = 0;
  if (req.HasQuery("marker")) {
    bool found = false;
    for (size_t i = 0; i < rows.size() && !found; ++i)
      if ((*rows[i])["id"] == req.Query("marker")) start = i + 1, found = true;
    if (!found) return CinderError(400, "Invalid input received: marker [" + req.Query("marker") + "] not found");
  }
  size_t limit = 1000;
  if (req.HasQuery("limit")) {
    std::string l = req.Query("limit");
    if (l.empty() || l.find_first_not_of("0123456789") != std::string::npos)
      return CinderError(400, "Invalid input received: limit param must be an integer");
    limit = std::min<size_t>(std::stoul(l), 1000);
  }
  json out = json::array();
  size_t end = std::min(rows.size(), start + limit);
  for (size_t i = start; i < end; ++i) {
    const json& v = *rows[i];
    if (detail) out.push_back(VolumeView(m, v, mv, IsAdmin(c), true));
    else out.push_back({{"id", v["id"]}, {"links", Links(m, project, v["id"])}, {"name", v["name"]}});
  }
  json body = {{"volumes", out}};
  if (end < rows.size())
    body["volumes_links"] = {{{"rel", "next"},
                              {"href", m->Base(kVolumePrefix) + "/v3/" + project + "/volumes" + (detail ? "/detail" : "") +
                                           "?limit=" + std::to_string(limit) + "&marker=" + (*rows[end - 1])["id"].get<std::string>()}}};
  return HttpResponse::Json(200, body);
}

}  // namespace

std::string VolumeStatus(Model* m, const json& v) {
  double now = m->Now();
  if (v.contains("_gone_at")) return "deleting";
  if (now < v.value("_ready_at", 0.0)) return "creating";
  if (v.contains("_detach_at")) return "detaching";
  if (v.contains("_attachment")) return now < v["_attachment"].value("ready_at", 0.0) ? "attaching" : "in-use";
  return "available";
}

void CompleteVolume(Model* m, const std::string& id) {
  auto it = m->volumes.find(id);
  if (it == m->volumes.end()) return;
  double now = m->Now();
  if (it->second.contains("_gone_at") && it->second["_gone_at"].get<double>() <= now) {
    m->volumes.erase(it);
    return;
  }
  if (it->second.contains("_detach_at") && it->second["_detach_at"].get<double>() <= now) {
    it->second.erase("_detach_at");
    it->second.erase("_attachment");
    it->second["_updated"] = now;
  }
}

void RegisterCinder(Router& router, Model* m) {
  const Service S = Service::kVolume;
  m->Route(router, S, "GET", kVolumePrefix, false, [m](const HttpRequest&, const PathParams&, const Caller&) {
    HttpResponse r = HttpResponse::Json(300, Versions(m));
    r.SetHeader("OpenStack-API-Version", "volume 3.0");
    return r;
  });
  m->Route(router, S, "GET", std::string(kVolumePrefix) + "/v3", false, [m](const HttpRequest&, const PathParams&, const Caller&) {
    HttpResponse r = HttpResponse::Json(200, Versions(m));
    r.SetHeader("OpenStack-API-Version", "volume 3.0");
    return r;
  });
  VolRoute(router, m, "POST", "/volumes", [m](const HttpRequest& req, const PathParams& p, const Caller& c, int mv) {
    return CreateVolume(m, req, c, p.at("project_id"), mv);
  });
  VolRoute(router, m, "GET", "/volumes", [m](const HttpRequest& req, const PathParams& p, const Caller& c, int mv) {
    return ListVolumes(m, req, c, p.at("project_id"), mv, false);
  });
  VolRoute(router, m, "GET", "/volumes/detail", [m](const HttpRequest& req, const PathParams& p, const Caller& c, int mv) {
    return ListVolumes(m, req, c, p.at("project_id"), mv, true);
  });
  VolRoute(router, m, "GET", "/volumes/{id}", [m](const HttpRequest&, const PathParams& p, const Caller& c, int mv) {
    json* v = FindVolume(m, p.at("project_id"), p.at("id"));
    return v ? HttpResponse::Json(200, {{"volume", VolumeView(m, *v, mv, IsAdmin(c), true)}}) : NotFound(p.at("id"));
  });
  VolRoute(router, m, "PUT", "/volumes/{id}", [m](const HttpRequest& req, const PathParams& p, const Caller& c, int mv) {
    json* v = FindVolume(m, p.at("project_id"), p.at("id"));
    if (!v) return NotFound(p.at("id"));
    json body;
    if (!ParseBody(req, &body) || !body.contains("volume") || !body["volume"].is_object())
      return CinderError(400, "Missing required element 'volume' in request body.");
    for (auto it = body["volume"].begin(); it != body["volume"].end(); ++it) {
      if (it.key() != "name" && it.key() != "description" && it.key() != "metadata")
        return CinderError(400, "Invalid input for field/attribute volume. Value: " + body["volume"].dump() +
                                    ". Additional properties are not allowed ('" + it.key() + "' was unexpected)");
      (*v)[it.key()] = it.value();
    }
    (*v)["_updated"] = m->Now();
    return HttpResponse::Json(200, {{"volume", VolumeView(m, *v, mv, IsAdmin(c), false)}});
  });
  VolRoute(router, m, "DELETE", "/volumes/{id}", [m](const HttpRequest&, const PathParams& p, const Caller&, int) {
    json* v = FindVolume(m, p.at("project_id"), p.at("id"));
    if (!v) return NotFound(p.at("id"));
    std::string st = VolumeStatus(m, *v);
    if (st != "available" && st != "error")
      return CinderError(400, "Invalid volume: Volume status must be available or error or error_restoring or "
                              "error_extending or error_managing and must not be migrating, attached, belong to a "
                              "group, have snapshots, awaiting a transfer, or be disassociated from snapshots after "
                              "volume transfer.");
    double at = m->Now() + m->ctx->Latency(kDeleteSeconds);
    (*v)["_gone_at"] = at;
    (*v)["_updated"] = m->Now();
    m->Due(at, "volume", p.at("id"));
    return HttpResponse::Empty(202);
  });
}

void ListCinder(Model* m, std::vector<SimResource>* out) {
  for (const auto& [id, v] : m->volumes) {
    SimResource r{"openstack", "volume", id, v["name"].is_string() ? v["name"].get<std::string>() : "", {}, {}, VolumeStatus(m, v)};
    for (auto it = v["metadata"].begin(); it != v["metadata"].end(); ++it)
      if (it.value().is_string()) r.labels[it.key()] = it.value();
    out->push_back(r);
  }
}

}  // namespace cloudsim::openstack
