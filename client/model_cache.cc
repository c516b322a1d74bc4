#include "client/model_cache.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/net/grpc_status.h"
#include "common/tensor/chunking.h"
#include "common/tensor/serialization.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::client {
namespace {

// A downloaded model may not exceed this (4 GiB), whatever the server claims.
constexpr uint64_t kMaxModelBytes = uint64_t{4} << 30;
constexpr char kCachedModelFile[] = "global_model.fedge";
constexpr char kCachedModelMeta[] = "global_model.version";

}  // namespace

ModelCache::ModelCache(std::string state_dir)
    : state_dir_(std::move(state_dir)) {
  if (state_dir_.empty()) return;
  auto meta = util::ReadFile(util::JoinPath(state_dir_, kCachedModelMeta));
  auto blob = util::ReadFile(util::JoinPath(state_dir_, kCachedModelFile));
  if (!meta.ok() || !blob.ok()) return;
  uint64_t version = 0;
  if (!absl::SimpleAtoi(*meta, &version)) return;
  auto state = tensor::Deserialize(*blob);
  if (!state.ok()) return;
  absl::MutexLock lock(&mu_);
  version_ = version;
  sha256_ = crypto::DigestBytes(crypto::Sha256(*blob));
  model_ = std::make_shared<const tensor::ParameterSet>(std::move(*state));
}

absl::StatusOr<ModelCache::Fetched> ModelCache::Get(
    ServerConnection& conn, const v1::ModelRef& ref,
    const TransferObserver& on_transfer) {
  {
    absl::MutexLock lock(&mu_);
    auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !downloading_;
    };
    mu_.Await(absl::Condition(&settled));
    if (model_ != nullptr && version_ == ref.version() &&
        sha256_ == ref.sha256()) {
      return Fetched{model_, 0};
    }
    downloading_ = true;
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> blob = Download(conn, ref);
  absl::StatusOr<tensor::ParameterSet> state =
      blob.ok() ? tensor::Deserialize(*blob)
                : absl::StatusOr<tensor::ParameterSet>(blob.status());
  absl::MutexLock lock(&mu_);
  downloading_ = false;
  if (!state.ok()) return state.status();
  if (on_transfer) {
    on_transfer({TransferEvent::Direction::kDownload, 0, blob->size(),
                 absl::ToDoubleSeconds(absl::Now() - start), true});
  }
  Persist(*blob, ref.version());
  version_ = ref.version();
  sha256_ = ref.sha256();
  model_ = std::make_shared<const tensor::ParameterSet>(std::move(*state));
  return Fetched{model_, blob->size()};
}

absl::StatusOr<std::string> ModelCache::Download(ServerConnection& conn,
                                                 const v1::ModelRef& ref) {
  grpc::ClientContext context;
  conn.Prepare(&context, absl::Now() + absl::Minutes(30));
  v1::DownloadModelRequest request;
  request.set_version(ref.version());
  auto reader = conn.stub().DownloadModel(&context, request);
  v1::ModelChunk chunk;
  std::optional<tensor::ChunkAssembler> assembler;
  absl::Status status;
  while (status.ok() && reader->Read(&chunk)) {
    if (!assembler.has_value()) {
      if (!chunk.has_model() || chunk.model().version() != ref.version() ||
          chunk.model().sha256() != ref.sha256()) {
        status = absl::DataLossError(
            "the server sent another model than the task named");
        break;
      }
      assembler.emplace(chunk.model().size_bytes(), kMaxModelBytes);
      status = assembler->CheckDeclaration();
      if (!status.ok()) break;
    }
    status = assembler->Add(chunk.offset(), chunk.data());
  }
  if (!status.ok()) {
    context.TryCancel();
    reader->Finish();
    return status;
  }
  FEDGE_RETURN_IF_ERROR(net::FromGrpcStatus(reader->Finish()));
  if (!assembler.has_value()) {
    return absl::DataLossError("model download carried no data");
  }
  return assembler->Finish(ref.sha256());
}

void ModelCache::Persist(const std::string& blob, uint64_t version) {
  if (state_dir_.empty()) return;
  absl::Status saved = util::MakeDirectories(state_dir_);
  if (saved.ok()) {
    saved = util::WriteFileAtomically(
        util::JoinPath(state_dir_, kCachedModelFile), blob);
  }
  if (saved.ok()) {
    saved = util::WriteFileAtomically(
        util::JoinPath(state_dir_, kCachedModelMeta), absl::StrCat(version));
  }
  if (!saved.ok()) {
    FEDGE_LOG(Warning, "client") << "cannot keep the model: " << saved;
  }
}

}  // namespace fedge::client
