#include "server/global_model.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/tensor/serialization.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::server {

v1::ModelRef GlobalModel::Ref() const {
  v1::ModelRef ref;
  ref.set_version(version);
  ref.set_size_bytes(blob.size());
  ref.set_sha256(crypto::DigestBytes(sha256));
  return ref;
}

std::shared_ptr<const GlobalModel> MakeGlobalModel(uint64_t version,
                                                   tensor::ParameterSet state) {
  auto model = std::make_shared<GlobalModel>();
  model->version = version;
  model->blob = tensor::Serialize(state);
  model->sha256 = crypto::Sha256(model->blob);
  model->state = std::move(state);
  return model;
}

std::string CheckpointRelativePath(uint64_t round) {
  return absl::StrFormat("checkpoints/round-%06d.fedge", round);
}

absl::Status WriteCheckpoint(const std::string& run_dir, uint64_t round,
                             const GlobalModel& model) {
  FEDGE_RETURN_IF_ERROR(
      util::MakeDirectories(util::JoinPath(run_dir, "checkpoints")));
  return util::WriteFileAtomically(
      util::JoinPath(run_dir, CheckpointRelativePath(round)), model.blob);
}

absl::StatusOr<std::shared_ptr<const GlobalModel>> LoadCheckpoint(
    const std::string& path, uint64_t version, const std::string& sha256_hex) {
  FEDGE_ASSIGN_OR_RETURN(std::string blob, util::ReadFile(path));
  crypto::Sha256Digest digest = crypto::Sha256(blob);
  if (crypto::ToHex(digest) != sha256_hex) {
    return absl::DataLossError(absl::StrCat(
        "checkpoint ", path, " has SHA-256 ", crypto::ToHex(digest),
        " but the store recorded ", sha256_hex,
        ": the file was changed or damaged after it was committed"));
  }
  auto state = tensor::Deserialize(blob);
  if (!state.ok()) {
    return absl::DataLossError(
        absl::StrCat("checkpoint ", path, ": ", state.status().message()));
  }
  auto model = std::make_shared<GlobalModel>();
  model->version = version;
  model->state = std::move(*state);
  model->blob = std::move(blob);
  model->sha256 = digest;
  return std::shared_ptr<const GlobalModel>(std::move(model));
}

}  // namespace fedge::server
