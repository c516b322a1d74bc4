#include "client/model_descriptor.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::client {
namespace {

constexpr char kFile[] = "model_descriptor.pb";

}  // namespace

absl::StatusOr<models::ModelSpec> SpecFromDescriptor(
    const v1::ModelDescriptor& descriptor,
    const std::string& torchscript_path) {
  models::ModelSpec spec;
  spec.kind = descriptor.kind();
  spec.input_shape.assign(descriptor.input_shape().begin(),
                          descriptor.input_shape().end());
  spec.num_classes = descriptor.num_classes();
  if (spec.kind == "torchscript") {
    if (torchscript_path.empty()) {
      return absl::FailedPreconditionError(
          "the federation trains a TorchScript model: set model.torchscript "
          "in the client config to the model file");
    }
    FEDGE_ASSIGN_OR_RETURN(std::string bytes, util::ReadFile(torchscript_path));
    if (crypto::DigestBytes(crypto::Sha256(bytes)) !=
        descriptor.torchscript_sha256()) {
      return absl::FailedPreconditionError(
          absl::StrCat("TorchScript file ", torchscript_path,
                       " differs from the federation's model (SHA-256 ",
                       crypto::ToHex(crypto::Sha256(bytes)), ", expected ",
                       crypto::ToHex(descriptor.torchscript_sha256()), ")"));
    }
    spec.torchscript_path = torchscript_path;
  } else if (!models::IsBuiltinKind(spec.kind)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the federation trains a model of kind '", spec.kind,
                     "' which this client does not know; upgrade fedge"));
  }
  return spec;
}

absl::Status SaveDescriptor(const std::string& state_dir,
                            const v1::ModelDescriptor& descriptor) {
  FEDGE_RETURN_IF_ERROR(util::MakeDirectories(state_dir));
  return util::WriteFileAtomically(util::JoinPath(state_dir, kFile),
                                   descriptor.SerializeAsString());
}

absl::StatusOr<std::optional<v1::ModelDescriptor>> LoadDescriptor(
    const std::string& state_dir) {
  const std::string path = util::JoinPath(state_dir, kFile);
  if (!util::PathExists(path)) return std::nullopt;
  FEDGE_ASSIGN_OR_RETURN(std::string bytes, util::ReadFile(path));
  v1::ModelDescriptor descriptor;
  if (!descriptor.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat(
        path,
        " is damaged; delete it (the client writes it again when it "
        "next joins)"));
  }
  return descriptor;
}

}  // namespace fedge::client
