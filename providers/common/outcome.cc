#include "providers/common/outcome.h"

#include <utility>

namespace orch::providers::common {

Result<engine::ObservedResource> FinishCreate(Result<engine::ObservedResource> created,
                                              const model::Resource& desired) {
  if (!created.ok()) return created.status().WithPrefix(desired.address.ToString());
  created->address = desired.address.ToString();
  created->kind = std::string(model::KindName(desired.address.kind));
  if (created->tags.empty()) created->tags = desired.tags;
  if (created->cloud_name.empty()) created->cloud_name = desired.cloud_name;
  created->outputs["id"] = created->id;
  return created;
}

Status FinishDelete(const Status& deleted, const std::string& address) {
  if (deleted.IsNotFound()) return Status::OK();
  return deleted.ok() ? deleted : deleted.WithPrefix(address);
}

}  // namespace orch::providers::common
