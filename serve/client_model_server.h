#ifndef FEDGE_SERVE_CLIENT_MODEL_SERVER_H_
#define FEDGE_SERVE_CLIENT_MODEL_SERVER_H_

// Serves the global model an edge client holds while it trains (`fedge
// client --serve`): an InferenceServer over the client's state directory,
// started once the client knows the federation's model architecture (told
// when it joins) and has a model stored, and swapped to each new global model
// the client stores. The client keeps the model by atomic rename, so the
// served model is always a whole one; ModelStored swaps at once instead of
// waiting for the next poll. No request fails during a swap (see
// inference_server.h).

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/models/model_spec.h"
#include "serve/inference_server.h"
#include "serve/predictor.h"

namespace fedge::serve {

struct ClientModelServerOptions {
  // The client's state directory (where it keeps global_model.fedge).
  std::string state_dir;
  // As InferenceServerOptions: "host:port" (port 0: any free port); ""
  // turns that transport off. At least one must be set.
  std::string http_address;
  std::string grpc_address;
  // The file is also checked this often, in case a model arrives by a way
  // that does not call ModelStored.
  absl::Duration poll_interval = absl::Seconds(1);
};

class ClientModelServer {
 public:
  // Checks that the addresses can be bound now (serving starts only with
  // the first model, perhaps much later) and serves nothing yet.
  // InvalidArgument if no address is set or one is malformed, Unavailable if
  // one cannot be bound; the message names the address.
  static absl::StatusOr<std::unique_ptr<ClientModelServer>> Create(
      ClientModelServerOptions options);
  ~ClientModelServer();

  // The federation's model architecture, learnt when the client joins.
  // Starts serving if the state directory already holds a model that fits
  // it (a model of another architecture, say from an earlier federation, is
  // left until the client stores a new one). If the architecture changed,
  // the server for the old one is stopped first.
  // Unavailable if an address cannot be bound (taken since Create): the
  // caller should stop, as nothing will be served. Other problems are logged
  // and return OK.
  absl::Status SetSpec(const models::ModelSpec& spec);

  // The client stored a new global model: starts serving it, or swaps to
  // it now. Errors as for SetSpec; a model that cannot be loaded is logged
  // and the current one keeps serving.
  absl::Status ModelStored();

  // The model answering now; null before serving starts.
  std::shared_ptr<const Predictor> current() const;
  // Bound ports; 0 before serving starts or for a transport turned off.
  int http_port() const;
  int grpc_port() const;

  // Blocks until Shutdown.
  void Wait();
  // Stops serving (in-flight requests finish); later calls of SetSpec and
  // ModelStored do nothing. Idempotent, thread-safe.
  void Shutdown();

 private:
  explicit ClientModelServer(ClientModelServerOptions options);
  absl::Status StartLocked(bool model_may_be_stale)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ClientModelServerOptions options_;
  mutable absl::Mutex mu_;
  std::optional<models::ModelSpec> spec_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<InferenceServer> server_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification done_;
};

}  // namespace fedge::serve

#endif  // FEDGE_SERVE_CLIENT_MODEL_SERVER_H_
