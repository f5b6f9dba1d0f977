#include "openstack/api.h"

#include "openstack/model.h"

namespace cloudsim::openstack {
namespace {

class OpenStackApi : public Api {
 public:
  explicit OpenStackApi(SimContext* ctx) : model_(ctx) { model_.Seed(); }

  std::string Name() const override { return "openstack"; }

  void RegisterRoutes(Router& router) override {
    RegisterKeystone(router, &model_);
    RegisterNova(router, &model_);
    RegisterNeutron(router, &model_);
    RegisterGlance(router, &model_);
    RegisterCinder(router, &model_);
    RegisterOctavia(router, &model_);
  }

  void Describe(nlohmann::json* top, nlohmann::json* env) override {
    std::lock_guard<std::mutex> lock(model_.mu);
    std::string auth_url = model_.Base(kIdentityPrefix) + "/v3";
    (*top)["openstack_auth_url"] = auth_url;
    (*env)["OS_AUTH_URL"] = auth_url;
    (*env)["OS_USERNAME"] = "admin";
    (*env)["OS_PASSWORD"] = Model::kAdminPassword;
    (*env)["OS_PROJECT_NAME"] = "admin";
    (*env)["OS_USER_DOMAIN_NAME"] = "Default";
    (*env)["OS_PROJECT_DOMAIN_NAME"] = "Default";
    (*env)["OS_REGION_NAME"] = kRegion;
    (*env)["OS_INTERFACE"] = "public";
    (*env)["OS_IDENTITY_API_VERSION"] = "3";
    // Not exported as OS_APPLICATION_CREDENTIAL_*: standard clients given
    // both password and application-credential variables pick an unscoped
    // mix (gophercloud drops the project scope). Clients that want it read
    // it from the startup line.
    (*top)["openstack_application_credential"] = {{"id", model_.app_cred_id}, {"secret", model_.app_cred_secret}};
  }

  HttpResponse QuotaError(const HttpRequest& req) override {
    switch (ServiceOfPath(req.path)) {
      case Service::kCompute:
        return NovaError(403, "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances");
      case Service::kNetwork: return NeutronError(409, "OverQuota", "Quota exceeded for resources: ['port'].");
      case Service::kVolume:
        return CinderError(413, "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded for quota "
                                "'volumes'.");
      case Service::kImage:
        return GlanceError(413, "Denying attempt to upload image because it exceeds the quota: The size of the data "
                                "will exceed the limit. 0 bytes remaining.");
      case Service::kLoadBalancer: return OctaviaError(403, "Quota has been met for resources: LoadBalancer");
      case Service::kIdentity: break;
    }
    return KeystoneError(403, "You are not authorized to perform the requested action.");
  }

  HttpResponse RateLimitError(const HttpRequest& req) override {
    const std::string msg = "This request was rate-limited.";
    HttpResponse r;
    switch (ServiceOfPath(req.path)) {
      case Service::kCompute:
      case Service::kVolume:
        r = HttpResponse::Json(429, {{"overLimit", {{"code", 429}, {"message", msg}, {"retryAfter", "1"}}}});
        break;
      case Service::kNetwork: r = NeutronError(429, "OverLimit", msg); break;
      case Service::kImage: r = GlanceError(429, msg); break;
      case Service::kLoadBalancer: r = OctaviaError(429, msg); break;
      case Service::kIdentity: r = KeystoneError(429, msg); break;
    }
    r.SetHeader("Retry-After", "1");
    return r;
  }

  HttpResponse ServerError(const HttpRequest& req, int status) override {
    switch (ServiceOfPath(req.path)) {
      case Service::kCompute:
        return NovaError(status, status == 500 ? "Unexpected API Error. Please report this at "
                                                 "http://bugs.launchpad.net/nova/ and attach the Nova API log if "
                                                 "possible.\n<class 'nova.exception.NovaException'>"
                                               : "The server is currently unavailable. Please try again at a later "
                                                 "time.");
      case Service::kVolume:
        return CinderError(status, "The server has either erred or is incapable of performing the requested "
                                   "operation.");
      case Service::kNetwork:
        return NeutronError(status, status == 503 ? "HTTPServiceUnavailable" : "HTTPInternalServerError",
                            "Request Failed: internal server error while processing your request.");
      case Service::kImage: return GlanceError(status, "The server has either erred or is incapable of performing "
                                                       "the requested operation.");
      case Service::kLoadBalancer: return OctaviaError(status, "Internal Server Error");
      case Service::kIdentity: break;
    }
    return KeystoneError(status, "An unexpected error prevented the server from fulfilling your request.");
  }

  void ListResources(std::vector<SimResource>* out) override {
    std::lock_guard<std::mutex> lock(model_.mu);
    model_.Tick();
    ListNova(&model_, out);
    ListNeutron(&model_, out);
    ListGlance(&model_, out);
    ListCinder(&model_, out);
    ListOctavia(&model_, out);
  }

  nlohmann::json Save() override {
    std::lock_guard<std::mutex> lock(model_.mu);
    return model_.Save();
  }

  void Load(const nlohmann::json& saved) override {
    std::lock_guard<std::mutex> lock(model_.mu);
    model_.Load(saved);
  }

  void Reset() override {
    std::lock_guard<std::mutex> lock(model_.mu);
    model_.Clear();
    model_.Seed();
  }

 private:
  Model model_;
};

}  // namespace
}  // namespace cloudsim::openstack

std::unique_ptr<cloudsim::Api> MakeOpenStackApi(cloudsim::SimContext* ctx) {
  return std::make_unique<cloudsim::openstack::OpenStackApi>(ctx);
}
