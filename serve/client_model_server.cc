#include "serve/client_model_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/net/http_server.h"
#include "common/util/logging.h"

namespace fedge::serve {
namespace {

// Whether a model that fits `a` fits `b` (the initial-weights seed does not
// change the architecture).
bool SameArchitecture(const models::ModelSpec& a, const models::ModelSpec& b) {
  return a.kind == b.kind && a.torchscript_path == b.torchscript_path &&
         a.input_shape == b.input_shape && a.num_classes == b.num_classes;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClientModelServer>> ClientModelServer::Create(
    ClientModelServerOptions options) {
  if (options.http_address.empty() && options.grpc_address.empty()) {
    return absl::InvalidArgumentError(
        "serving needs an HTTP or a gRPC address");
  }
  for (const std::string& address :
       {options.http_address, options.grpc_address}) {
    if (address.empty()) continue;
    // Both transports listen on TCP; the HTTP listener checks either.
    absl::StatusOr<std::unique_ptr<net::HttpServer>> probe =
        net::HttpServer::Start(address);
    if (!probe.ok()) return probe.status();
    (*probe)->Shutdown();
  }
  return std::unique_ptr<ClientModelServer>(
      new ClientModelServer(std::move(options)));
}

ClientModelServer::ClientModelServer(ClientModelServerOptions options)
    : options_(std::move(options)) {}

ClientModelServer::~ClientModelServer() { Shutdown(); }

absl::Status ClientModelServer::SetSpec(const models::ModelSpec& spec) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return absl::OkStatus();
  if (spec_.has_value() && SameArchitecture(*spec_, spec) &&
      server_ != nullptr) {
    return absl::OkStatus();
  }
  if (server_ != nullptr) {
    FEDGE_LOG(Warning, "serve")
        << "the federation's model changed (now " << spec.kind
        << "); serving stops until a model of it is stored";
    server_->Shutdown();
    server_.reset();
  }
  spec_ = spec;
  return StartLocked(/*model_may_be_stale=*/true);
}

absl::Status ClientModelServer::ModelStored() {
  absl::MutexLock lock(&mu_);
  if (shut_down_ || !spec_.has_value()) return absl::OkStatus();
  if (server_ == nullptr) return StartLocked(/*model_may_be_stale=*/false);
  absl::Status reloaded = server_->Reload();
  if (!reloaded.ok()) {
    FEDGE_LOG(Warning, "serve")
        << "keeping model version " << server_->current()->version()
        << ": the new model could not be loaded (" << reloaded.message() << ")";
  }
  return absl::OkStatus();
}

absl::Status ClientModelServer::StartLocked(bool model_may_be_stale) {
  InferenceServerOptions serve;
  serve.spec = *spec_;
  serve.model_path = options_.state_dir;
  serve.http_address = options_.http_address;
  serve.grpc_address = options_.grpc_address;
  serve.poll_interval = options_.poll_interval;
  absl::StatusOr<std::unique_ptr<InferenceServer>> started =
      InferenceServer::Start(std::move(serve));
  if (started.ok()) {
    server_ = *std::move(started);
    std::string where;
    if (server_->http_port() != 0) {
      absl::StrAppend(&where, " HTTP on port ", server_->http_port());
    }
    if (server_->grpc_port() != 0) {
      absl::StrAppend(&where, where.empty() ? "" : ",", " gRPC on port ",
                      server_->grpc_port());
    }
    FEDGE_LOG(Info, "serve") << "serving the global model (version "
                             << server_->current()->version() << "):" << where;
    return absl::OkStatus();
  }
  const absl::Status& status = started.status();
  if (absl::IsNotFound(status)) return absl::OkStatus();  // none stored yet
  if (absl::IsUnavailable(status)) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve the global model: ", status.message()));
  }
  // The addresses parsed in Create, so InvalidArgument is about the model.
  if (model_may_be_stale && absl::IsInvalidArgument(status)) {
    FEDGE_LOG(Warning, "serve")
        << "the model kept in " << options_.state_dir
        << " is not of the federation's model (" << status.message()
        << "); serving starts with the next global model";
    return absl::OkStatus();
  }
  FEDGE_LOG(Warning, "serve")
      << "cannot serve the global model yet: " << status.message();
  return absl::OkStatus();
}

std::shared_ptr<const Predictor> ClientModelServer::current() const {
  absl::MutexLock lock(&mu_);
  return server_ != nullptr ? server_->current() : nullptr;
}

int ClientModelServer::http_port() const {
  absl::MutexLock lock(&mu_);
  return server_ != nullptr ? server_->http_port() : 0;
}

int ClientModelServer::grpc_port() const {
  absl::MutexLock lock(&mu_);
  return server_ != nullptr ? server_->grpc_port() : 0;
}

void ClientModelServer::Wait() { done_.WaitForNotification(); }

void ClientModelServer::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) server_->Shutdown();
  done_.Notify();
}

}  // namespace fedge::serve
