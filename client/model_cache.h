#ifndef FEDGE_CLIENT_MODEL_CACHE_H_
#define FEDGE_CLIENT_MODEL_CACHE_H_

// The latest global model a client holds. A version it lacks is downloaded
// (chunks checked for order, size and SHA-256); a device keeps it on disk so
// a restart need not fetch it again. One cache may serve many virtual
// clients of a simulated fleet: a version is then fetched once, and callers
// asking for it meanwhile wait for that download.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/client_types.h"
#include "client/server_connection.h"
#include "common/tensor/parameter_set.h"
#include "fedge/v1/federation.pb.h"

namespace fedge::client {

class ModelCache {
 public:
  // `state_dir`: where the model is kept ("" = memory only); a model found
  // there is loaded.
  explicit ModelCache(std::string state_dir = "");

  struct Fetched {
    std::shared_ptr<const tensor::ParameterSet> model;
    uint64_t downloaded_bytes = 0;  // 0 when it was cached
  };
  // The model `ref` names, from the cache or downloaded through `conn`.
  absl::StatusOr<Fetched> Get(ServerConnection& conn, const v1::ModelRef& ref,
                              const TransferObserver& on_transfer);

 private:
  absl::StatusOr<std::string> Download(ServerConnection& conn,
                                       const v1::ModelRef& ref);
  void Persist(const std::string& blob, uint64_t version);

  const std::string state_dir_;
  absl::Mutex mu_;
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  std::string sha256_ ABSL_GUARDED_BY(mu_);  // raw; empty: nothing cached
  std::shared_ptr<const tensor::ParameterSet> model_ ABSL_GUARDED_BY(mu_);
  bool downloading_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_MODEL_CACHE_H_
