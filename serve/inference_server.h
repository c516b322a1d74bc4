#ifndef FEDGE_SERVE_INFERENCE_SERVER_H_
#define FEDGE_SERVE_INFERENCE_SERVER_H_

// Serves the current global model at the edge: HTTP POST /v1/predict (JSON
// in and out: the proto3 JSON form of fedge.v1.PredictRequest and
// PredictResponse), the gRPC fedge.v1.Inference/Predict call, GET /healthz
// and GET /metrics (requests, latency, model version, swaps).
//
// The model is read from a path (serve/model_source.h) and re-read whenever
// the file there changes: a background thread checks every `poll_interval`.
// The new model is loaded completely before it replaces the old one, and a
// request holds the model it started with, so no request fails or mixes two
// models during a swap. Nothing is kept beyond the model file.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/models/model_spec.h"
#include "serve/predictor.h"

namespace fedge::serve {

struct InferenceServerOptions {
  models::ModelSpec spec;
  // A checkpoint file, a checkpoint directory or a client state directory.
  std::string model_path;
  // "host:port" (port 0: any free port); an empty address turns that
  // transport off. Both listen in plaintext: bind them to the device's
  // loopback or a private interface.
  std::string http_address = "127.0.0.1:8080";
  std::string grpc_address;
  absl::Duration poll_interval = absl::Seconds(1);
  // Wait this long for a first model to appear (a client that has not
  // downloaded one yet); 0: the model must be there at start.
  absl::Duration wait_for_model = absl::ZeroDuration();
};

class InferenceServer {
 public:
  // Loads the model and starts serving. NotFound if no model appeared in
  // time; InvalidArgument if the model does not fit `spec`; Unavailable if
  // an address cannot be bound.
  static absl::StatusOr<std::unique_ptr<InferenceServer>> Start(
      InferenceServerOptions options);
  virtual ~InferenceServer() = default;

  // The model answering now.
  virtual std::shared_ptr<const Predictor> current() const = 0;
  // Re-reads the model if its file changed (the poller calls this; so does
  // whoever just replaced the file, to swap at once). One reload runs at a
  // time. An error leaves the current model serving.
  virtual absl::Status Reload() = 0;

  virtual int http_port() const = 0;
  virtual int grpc_port() const = 0;

  // Blocks until Shutdown.
  virtual void Wait() = 0;
  // Stops both transports after in-flight requests. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace fedge::serve

#endif  // FEDGE_SERVE_INFERENCE_SERVER_H_
