// DigitalOcean error responses ({"id": "...", "message": "..."}) as Status
// with a clear message; 401 names the token settings.
#pragma once

#include "providers/common/rest_client.h"

namespace orch::providers::digitalocean {

class DoErrorMapper final : public common::ErrorMapper {
 public:
  Status Map(const env::HttpRequest& request, const env::HttpResponse& response) const override;
};

}  // namespace orch::providers::digitalocean
