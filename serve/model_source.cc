#include "serve/model_source.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/crypto/sha256.h"
#include "common/tensor/serialization.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::serve {
namespace {

constexpr char kClientModel[] = "global_model.fedge";
constexpr char kClientVersion[] = "global_model.version";

// The version a checkpoint's name gives ("round-000007.fedge": 7).
bool CheckpointVersion(const std::string& name, uint64_t* version) {
  absl::string_view stem = name;
  return absl::ConsumePrefix(&stem, "round-") &&
         absl::ConsumeSuffix(&stem, ".fedge") &&
         absl::SimpleAtoi(stem, version);
}

// The file and version `path` designates; NotFound if none.
absl::Status Resolve(const std::string& path, std::string* file,
                     uint64_t* version) {
  std::error_code error;
  if (!std::filesystem::is_directory(path, error)) {
    if (!std::filesystem::exists(path, error)) {
      return absl::NotFoundError(absl::StrCat(
          "no model at ", path,
          " (expected a checkpoint file, a checkpoint directory or a client "
          "state directory)"));
    }
    *file = path;
    *version = 0;
    CheckpointVersion(std::filesystem::path(path).filename().string(), version);
    return absl::OkStatus();
  }
  const std::string client_model = util::JoinPath(path, kClientModel);
  if (std::filesystem::exists(client_model, error)) {
    *file = client_model;
    *version = 0;
    auto text = util::ReadFile(util::JoinPath(path, kClientVersion));
    if (text.ok()) absl::SimpleAtoi(*text, version);
    return absl::OkStatus();
  }
  bool found = false;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    uint64_t v = 0;
    if (entry.is_regular_file() &&
        CheckpointVersion(entry.path().filename().string(), &v) &&
        (!found || v > *version)) {
      found = true;
      *version = v;
      *file = entry.path().string();
    }
  }
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat(path, " holds no model yet (no round-NNNNNN.fedge, no ",
                     kClientModel, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ServedModel> LoadServedModel(const std::string& path) {
  ServedModel model;
  FEDGE_RETURN_IF_ERROR(Resolve(path, &model.file, &model.version));
  FEDGE_ASSIGN_OR_RETURN(std::string blob, util::ReadFile(model.file));
  absl::StatusOr<tensor::ParameterSet> state = tensor::Deserialize(blob);
  if (!state.ok()) {
    return absl::DataLossError(absl::StrCat(
        model.file, " is not a fedge model: ", state.status().message()));
  }
  model.state = *std::move(state);
  model.sha256_hex = crypto::ToHex(crypto::Sha256(blob));
  return model;
}

std::string ServedModelSignature(const std::string& path) {
  std::string file;
  uint64_t version = 0;
  if (!Resolve(path, &file, &version).ok()) return "";
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return "";
  return absl::StrCat(file, ":", version, ":", st.st_size, ":",
                      st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, ":",
                      st.st_ino);
}

}  // namespace fedge::serve
