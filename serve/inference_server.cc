#include "serve/inference_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/metrics/registry.h"
#include "common/net/grpc_status.h"
#include "common/net/http_server.h"
#include "common/util/json_writer.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"
#include "fedge/v1/inference.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "serve/model_source.h"

namespace fedge::serve {
namespace {

// Latency buckets, seconds: a cnn on one core answers one example in
// about a millisecond.
const std::vector<double>& LatencyBounds() {
  static const auto* const kBounds = new std::vector<double>{
      0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  return *kBounds;
}

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

std::string JsonError(const absl::Status& status) {
  util::JsonWriter w;
  w.BeginObject();
  w.Key("error").String(status.message());
  w.EndObject();
  return w.str();
}

class InferenceServerImpl final : public InferenceServer,
                                  public v1::Inference::Service {
 public:
  explicit InferenceServerImpl(InferenceServerOptions options)
      : options_(std::move(options)),
        swaps_(registry_.GetCounter("fedge_serve_model_swaps_total",
                                    "Global models swapped in while serving.")),
        model_version_(registry_.GetGauge("fedge_serve_model_version",
                                          "Version of the model answering.")) {}

  ~InferenceServerImpl() override { Shutdown(); }

  absl::Status Init() {
    FEDGE_RETURN_IF_ERROR(LoadFirstModel());
    if (!options_.grpc_address.empty()) {
      grpc::ServerBuilder builder;
      builder.AddListeningPort(options_.grpc_address,
                               grpc::InsecureServerCredentials(), &grpc_port_);
      builder.RegisterService(this);
      grpc::EnableDefaultHealthCheckService(true);
      grpc_server_ = builder.BuildAndStart();
      if (grpc_server_ == nullptr || grpc_port_ == 0) {
        return absl::UnavailableError(
            absl::StrCat("cannot listen for gRPC on ", options_.grpc_address,
                         ": the address is malformed or the port is in use"));
      }
    }
    if (!options_.http_address.empty()) {
      net::HttpServerOptions http;
      http.worker_threads = 4;
      FEDGE_ASSIGN_OR_RETURN(
          http_, net::HttpServer::Start(options_.http_address, http));
      http_->Handle("POST", "/v1/predict", [this](const net::HttpRequest& r) {
        return HandleHttpPredict(r);
      });
      http_->Handle("GET", "/healthz", [](const net::HttpRequest&) {
        net::HttpResponse ok;
        ok.body = "ok\n";
        return ok;
      });
      http_->Handle("GET", "/metrics", [this](const net::HttpRequest&) {
        net::HttpResponse response;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body = registry_.RenderText();
        return response;
      });
    }
    poller_ = std::thread([this] { Poll(); });
    return absl::OkStatus();
  }

  std::shared_ptr<const Predictor> current() const override {
    absl::MutexLock lock(&mu_);
    return current_;
  }

  absl::Status Reload() override {
    // One reload at a time: the poller and an explicit call (a client that
    // just stored a model) must not race, or the slower one could swap an
    // older model back in.
    absl::MutexLock reloading(&reload_mu_);
    const std::string signature = ServedModelSignature(options_.model_path);
    {
      absl::MutexLock lock(&mu_);
      if (signature.empty() || signature == signature_) {
        return absl::OkStatus();
      }
    }
    FEDGE_ASSIGN_OR_RETURN(ServedModel model,
                           LoadServedModel(options_.model_path));
    absl::StatusOr<std::unique_ptr<Predictor>> predictor = Predictor::Create(
        options_.spec, model.state, model.version, model.sha256_hex);
    if (!predictor.ok()) {
      return absl::Status(
          predictor.status().code(),
          absl::StrCat(model.file,
                       " does not fit the model described by "
                       "--kind, --torchscript, --input-shape and "
                       "--num-classes (",
                       predictor.status().message(),
                       "); give the federation's model settings"));
    }
    std::shared_ptr<const Predictor> next = *std::move(predictor);
    bool swapped = false;
    {
      absl::MutexLock lock(&mu_);
      signature_ = signature;
      swapped = current_ != nullptr;
      current_ = next;
    }
    model_version_->Set(static_cast<double>(next->version()));
    if (swapped) swaps_->Increment();
    FEDGE_LOG(Info, "serve")
        << "serving model version " << next->version() << " (sha256 "
        << next->sha256_hex().substr(0, 16) << "…) from " << model.file;
    return absl::OkStatus();
  }

  int http_port() const override { return http_ ? http_->port() : 0; }
  int grpc_port() const override { return grpc_port_; }

  void Wait() override { done_.WaitForNotification(); }

  void Shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      if (shut_down_) return;
      shut_down_ = true;
    }
    if (!done_.HasBeenNotified()) done_.Notify();
    if (poller_.joinable()) poller_.join();
    if (http_) http_->Shutdown();
    if (grpc_server_) grpc_server_->Shutdown();
  }

  // fedge.v1.Inference.
  grpc::Status Predict(grpc::ServerContext*, const v1::PredictRequest* request,
                       v1::PredictResponse* response) override {
    absl::StatusOr<v1::PredictResponse> answer = Answer(*request, "grpc");
    if (!answer.ok()) return net::ToGrpcStatus(answer.status());
    *response = *std::move(answer);
    return grpc::Status::OK;
  }

 private:
  absl::Status LoadFirstModel() {
    const absl::Time deadline = absl::Now() + options_.wait_for_model;
    while (true) {
      absl::Status loaded = Reload();
      if (loaded.ok() && current() != nullptr) return absl::OkStatus();
      if (!loaded.ok() && !absl::IsNotFound(loaded)) return loaded;
      if (absl::Now() >= deadline) {
        if (!loaded.ok()) return loaded;
        // Reload found nothing to read: say why, as loading would.
        absl::Status missing = LoadServedModel(options_.model_path).status();
        return missing.ok() ? absl::NotFoundError(absl::StrCat(
                                  "no model at ", options_.model_path))
                            : missing;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  void Poll() {
    while (!done_.WaitForNotificationWithTimeout(options_.poll_interval)) {
      absl::Status reloaded = Reload();
      if (!reloaded.ok()) {
        FEDGE_LOG(Warning, "serve")
            << "keeping model version " << current()->version()
            << ": the new model could not be loaded (" << reloaded.message()
            << ")";
      }
    }
  }

  absl::StatusOr<v1::PredictResponse> Answer(const v1::PredictRequest& request,
                                             const std::string& transport) {
    const absl::Time start = absl::Now();
    // The request keeps this model alive even if a swap happens meanwhile.
    std::shared_ptr<const Predictor> predictor = current();
    absl::StatusOr<v1::PredictResponse> answer = predictor->Predict(request);
    registry_
        .GetHistogram("fedge_serve_request_seconds",
                      "Time to answer a prediction request.", LatencyBounds(),
                      {{"transport", transport}})
        ->Observe(absl::ToDoubleSeconds(absl::Now() - start));
    registry_
        .GetCounter(
            "fedge_serve_requests_total",
            "Prediction requests, by transport and outcome.",
            {{"transport", transport},
             {"code", absl::StatusCodeToString(answer.status().code())}})
        ->Increment();
    return answer;
  }

  net::HttpResponse HandleHttpPredict(const net::HttpRequest& r) {
    net::HttpResponse response;
    response.content_type = "application/json";
    v1::PredictRequest request;
    auto parsed = google::protobuf::util::JsonStringToMessage(r.body, &request);
    if (!parsed.ok()) {
      response.status = 400;
      response.body = JsonError(absl::InvalidArgumentError(absl::StrCat(
          "the body is not a PredictRequest in JSON ({\"instances\": "
          "[{\"values\": [...]}]}): ",
          parsed.message().as_string())));
      return response;
    }
    absl::StatusOr<v1::PredictResponse> answer = Answer(request, "http");
    if (!answer.ok()) {
      response.status = HttpStatusOf(answer.status().code());
      response.body = JsonError(answer.status());
      return response;
    }
    google::protobuf::util::JsonPrintOptions print;
    print.always_print_primitive_fields = true;
    if (!google::protobuf::util::MessageToJsonString(*answer, &response.body,
                                                     print)
             .ok()) {
      response.status = 500;
      response.body =
          JsonError(absl::InternalError("the answer could not be encoded"));
    }
    return response;
  }

  InferenceServerOptions options_;
  metrics::Registry registry_;
  metrics::Counter* swaps_;
  metrics::Gauge* model_version_;
  absl::Mutex reload_mu_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Predictor> current_ ABSL_GUARDED_BY(mu_);
  std::string signature_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification done_;
  std::thread poller_;
  std::unique_ptr<net::HttpServer> http_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int grpc_port_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<InferenceServer>> InferenceServer::Start(
    InferenceServerOptions options) {
  auto server = std::make_unique<InferenceServerImpl>(std::move(options));
  FEDGE_RETURN_IF_ERROR(server->Init());
  return std::unique_ptr<InferenceServer>(std::move(server));
}

}  // namespace fedge::serve
