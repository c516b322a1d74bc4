#include "server/federation_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crypto/sha256.h"
#include "common/data/data_source.h"
#include "common/net/tls_credentials.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"
#include "server/run_started.h"

namespace fedge::server {
namespace {

// Forwards round events to the reporter and an optional extra observer.
class FanoutObserver final : public RunObserver {
 public:
  FanoutObserver(RunObserver* a, RunObserver* b) : a_(a), b_(b) {}
  void OnStage(uint64_t round, const std::string& stage) override {
    for (RunObserver* o : {a_, b_}) {
      if (o) o->OnStage(round, stage);
    }
  }
  void OnWaiting(uint64_t round, const std::string& stage, uint32_t done,
                 uint32_t expected, absl::Duration elapsed) override {
    for (RunObserver* o : {a_, b_}) {
      if (o) o->OnWaiting(round, stage, done, expected, elapsed);
    }
  }
  void OnRound(const RoundReport& report) override {
    for (RunObserver* o : {a_, b_}) {
      if (o) o->OnRound(report);
    }
  }
  void OnRunFinished(const std::string& outcome) override {
    for (RunObserver* o : {a_, b_}) {
      if (o) o->OnRunFinished(outcome);
    }
  }

 private:
  RunObserver* a_;
  RunObserver* b_;
};

// gRPC messages stay small: models and updates travel in 1 MiB chunks.
constexpr int kMaxMessageBytes = 4 << 20;

absl::StatusOr<v1::ModelDescriptor> Describe(const models::ModelSpec& spec) {
  v1::ModelDescriptor d;
  d.set_kind(spec.kind);
  for (int64_t dim : spec.input_shape) d.add_input_shape(dim);
  d.set_num_classes(static_cast<uint32_t>(spec.num_classes));
  if (spec.kind == "torchscript") {
    FEDGE_ASSIGN_OR_RETURN(std::string bytes,
                           util::ReadFile(spec.torchscript_path));
    d.set_torchscript_sha256(crypto::DigestBytes(crypto::Sha256(bytes)));
  }
  return d;
}

}  // namespace

FederationServer::FederationServer(ServerOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<FederationServer>> FederationServer::Start(
    ServerOptions options) {
  std::unique_ptr<FederationServer> server(
      new FederationServer(std::move(options)));
  FEDGE_RETURN_IF_ERROR(server->Build());
  FederationServer* s = server.get();
  s->driver_ = std::thread([s] {
    absl::Status status = s->options_.driver != nullptr
                              ? s->options_.driver->Drive(*s->coordinator_)
                              : s->coordinator_->Run();
    if (!status.ok()) {
      FEDGE_LOG(Error, "server") << "run failed: " << status;
    }
    absl::MutexLock lock(&s->mu_);
    s->result_ = status;
    s->done_ = true;
  });
  return server;
}

absl::Status FederationServer::Build() {
  const config::ServerConfig& config = options_.config;
  util::Clock* clock = options_.clock;
  if (config.upstream.enabled() != (options_.driver != nullptr)) {
    return absl::InvalidArgumentError(
        "a site aggregator (upstream: in the config) needs its upstream link "
        "as ServerOptions.driver, and only a site aggregator has one");
  }
  FEDGE_RETURN_IF_ERROR(util::MakeDirectories(config.run_dir));
  FEDGE_ASSIGN_OR_RETURN(
      store_, Store::Open(util::JoinPath(config.run_dir, "state.db")));

  // A run directory belongs to one run: reuse its id when resuming.
  FEDGE_ASSIGN_OR_RETURN(std::optional<std::string> stored_id,
                         store_->GetMeta("run_id"));
  RunStartFacts facts;
  facts.resumed = stored_id.has_value();
  if (stored_id.has_value()) {
    if (!config.run_id.empty() && config.run_id != *stored_id) {
      return absl::FailedPreconditionError(absl::StrCat(
          "run directory ", config.run_dir, " belongs to run '", *stored_id,
          "' but the config names run '", config.run_id,
          "'; use another run.dir or the matching run.id"));
    }
    run_id_ = *stored_id;
  } else {
    run_id_ = !config.run_id.empty()
                  ? config.run_id
                  : absl::FormatTime("run-%Y%m%d-%H%M%S", clock->Now(),
                                     absl::UTCTimeZone());
    FEDGE_RETURN_IF_ERROR(store_->SetMeta("run_id", run_id_));
    FEDGE_RETURN_IF_ERROR(store_->SetMeta("purpose", config.purpose_id));
  }
  facts.run_id = run_id_;
  FEDGE_ASSIGN_OR_RETURN(audit_,
                         AuditTrail::Open(config.run_dir, run_id_,
                                          config.audit.signing_key, clock));

  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (options_.insecure_local_demo && config.secure_aggregation.enabled) {
    return absl::FailedPreconditionError(
        "secure aggregation needs the clients' certificates (mutual TLS) to "
        "authenticate their keys, so it cannot run with "
        "--insecure-local-demo; set secure_aggregation.enabled: false in the "
        "config for an insecure demo");
  }
  if (options_.insecure_local_demo) {
    FEDGE_LOG(Warning, "server")
        << "INSECURE LOCAL DEMO MODE: no TLS, clients are not authenticated "
           "and name themselves. Never use this outside a local demo.";
    credentials = grpc::InsecureServerCredentials();
    authenticator_ = std::make_unique<Authenticator>(nullptr);
  } else {
    FEDGE_ASSIGN_OR_RETURN(
        revocations_,
        pki::RevocationList::Load(config.tls.crl, config.tls.ca_cert));
    AuditTrail* trail = audit_.get();
    FEDGE_ASSIGN_OR_RETURN(
        credentials,
        net::MakeServerCredentials(
            {config.tls.ca_cert, config.tls.cert, config.tls.key},
            revocations_.get(),
            [trail](const std::string& caller, const std::string& reason) {
              trail->RecordAuthenticationFailure(caller, reason);
            }));
    VirtualClientPolicy virtual_clients;
    virtual_clients.accept = config.accept_virtual_clients;
    if (virtual_clients.accept) {
      FEDGE_ASSIGN_OR_RETURN(virtual_clients.ca_certificate_pem,
                             util::ReadFile(config.tls.ca_cert));
      FEDGE_LOG(Warning, "server")
          << "this server accepts virtual clients from fleet simulators "
             "(simulation.accept_virtual_clients): use it for simulations "
             "only";
    }
    authenticator_ = std::make_unique<Authenticator>(
        revocations_.get(), std::move(virtual_clients));
    FEDGE_ASSIGN_OR_RETURN(facts.ca_certificate_pem,
                           util::ReadFile(config.tls.ca_cert));
    FEDGE_ASSIGN_OR_RETURN(facts.server_certificate_pem,
                           util::ReadFile(config.tls.cert));
  }
  facts.mutual_tls = !options_.insecure_local_demo;
  AuditTrail* audit = audit_.get();
  authenticator_->SetFailureListener([audit](const std::string& caller,
                                             const absl::Status& status) {
    audit->RecordAuthenticationFailure(caller, std::string(status.message()));
  });
  // Clients revoked through the Admin service stay revoked after a restart.
  if (revocations_ != nullptr) {
    FEDGE_ASSIGN_OR_RETURN(std::vector<ClientRecord> clients,
                           store_->ListClients());
    for (const ClientRecord& c : clients) {
      if (c.revoked_at.has_value()) revocations_->RevokeId(c.client_id);
    }
    facts.revoked_certificates = static_cast<uint32_t>(revocations_->size());
  }

  if (config.evaluation.central_every > 0 &&
      config.evaluation.central_data.has_value()) {
    FEDGE_ASSIGN_OR_RETURN(
        data::Dataset data,
        data::LoadDataSource(*config.evaluation.central_data));
    central_data_ = std::make_unique<data::Dataset>(std::move(data));
    FEDGE_ASSIGN_OR_RETURN(evaluator_, models::Evaluator::Create(config.model));
  }

  metrics_ = std::make_unique<ServerMetrics>(&registry_);
  sessions_ = std::make_unique<SessionRegistry>(clock);
  activity_ = std::make_unique<ClientActivity>(clock);
  if (options_.show_progress) progress_ = std::make_unique<util::Progress>();
  reporter_ = std::make_unique<RunReporter>(
      util::JoinPath(config.run_dir, "metrics.jsonl"), progress_.get());
  fanout_ =
      std::make_unique<FanoutObserver>(reporter_.get(), options_.observer);

  CoordinatorDeps deps;
  deps.store = store_.get();
  deps.sessions = sessions_.get();
  deps.run = &run_;
  deps.metrics = metrics_.get();
  deps.clock = clock;
  deps.observer = fanout_.get();
  deps.evaluator = evaluator_.get();
  deps.central_data = central_data_.get();
  deps.run_id = run_id_;
  deps.audit = audit_.get();
  deps.before_selection = options_.before_selection;
  coordinator_ = std::make_unique<Coordinator>(config, deps);
  FEDGE_RETURN_IF_ERROR(coordinator_->Initialize());
  std::shared_ptr<const GlobalModel> start_model = run_.model();
  facts.model_version = start_model->version;
  facts.model_sha256 = start_model->sha256;
  FEDGE_RETURN_IF_ERROR(
      audit_->Record(0, kServerActor, RunStartedEvent(config, facts)).status());
  FEDGE_RETURN_IF_ERROR(audit_->Checkpoint().status());
  Coordinator* coordinator = coordinator_.get();
  sessions_->SetEndListener([coordinator, this](const std::string& id) {
    coordinator->OnClientEnded(id);
    metrics_->connected_clients->Set(
        static_cast<double>(sessions_->NumStreaming()));
  });

  FederationServiceOptions service_options;
  service_options.run_id = run_id_;
  service_options.purpose_id = config.purpose_id;
  service_options.allowed_regions = config.allowed_regions;
  service_options.max_concurrent_uploads = config.limits.max_concurrent_uploads;
  service_options.audit = audit_.get();
  service_options.activity = activity_.get();
  FEDGE_ASSIGN_OR_RETURN(service_options.model, Describe(config.model));
  federation_service_ = std::make_unique<FederationService>(
      service_options, authenticator_.get(), store_.get(), sessions_.get(),
      &run_, metrics_.get(), clock);
  admin_service_ = std::make_unique<AdminService>(
      run_id_, authenticator_.get(), store_.get(), sessions_.get(), &run_,
      audit_.get(), clock,
      [coordinator](const std::string& reason) { coordinator->Stop(reason); });

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen_address, credentials, &port_);
  builder.RegisterService(federation_service_.get());
  builder.RegisterService(admin_service_.get());
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  // Detect clients that vanished without closing their connection.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  if (config.limits.transport_memory_mib > 0) {
    // Bounds the connections' buffers (config.limits.transport_memory_mib).
    grpc::ResourceQuota quota("fedge-server-transport");
    quota.Resize(static_cast<size_t>(config.limits.transport_memory_mib) << 20);
    builder.SetResourceQuota(quota);
  }
  grpc_server_ = builder.BuildAndStart();
  if (grpc_server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", config.listen_address,
        ": the address is malformed or the port is in use; set `listen` in ",
        config.source_path.empty() ? "the server config" : config.source_path));
  }
  grpc_server_->GetHealthCheckService()->SetServingStatus(true);

  if (!config.metrics_address.empty()) {
    FEDGE_ASSIGN_OR_RETURN(http_server_,
                           net::HttpServer::Start(config.metrics_address));
    http_server_->Handle("GET", "/metrics", [this](const net::HttpRequest&) {
      net::HttpResponse response;
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body = registry_.RenderText();
      return response;
    });
    http_server_->Handle("GET", "/healthz", [](const net::HttpRequest&) {
      net::HttpResponse response;
      response.body = "ok\n";
      return response;
    });
  }
  FEDGE_LOG(Info, "server")
      << "run " << run_id_ << " serving on port " << port_
      << (options_.insecure_local_demo ? " (INSECURE)" : " (mutual TLS)")
      << "; run directory " << config.run_dir;
  return absl::OkStatus();
}

int FederationServer::metrics_port() const {
  return http_server_ ? http_server_->port() : 0;
}

absl::Status FederationServer::Wait() {
  if (driver_.joinable()) driver_.join();
  absl::MutexLock lock(&mu_);
  return result_;
}

void FederationServer::Stop(const std::string& reason) {
  if (coordinator_) coordinator_->Stop(reason);
  if (options_.driver != nullptr) options_.driver->Stop();
}

void FederationServer::Interrupt(const std::string& reason) {
  bool done;
  {
    absl::MutexLock lock(&mu_);
    interrupted_ = true;
    done = done_;
  }
  if (activity_) activity_->Interrupt();
  // After the run only the waits that follow it (AwaitClientsQuiet,
  // ServeUntilInterrupted) have anything to end.
  if (done) return;
  if (coordinator_) {
    coordinator_->Stop(reason, Coordinator::StopKind::kShutdown);
  }
  if (options_.driver != nullptr) options_.driver->Stop();
}

bool FederationServer::AwaitClientsQuiet(absl::Duration quiet,
                                         absl::Duration grace) {
  return activity_->AwaitQuiet(quiet, options_.clock->Now() + grace);
}

void FederationServer::ServeUntilInterrupted() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&interrupted_));
}

void FederationServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  bool done;
  {
    absl::MutexLock lock(&mu_);
    done = done_;
  }
  if (!done) Interrupt("server shutting down");
  if (driver_.joinable()) driver_.join();
  if (grpc_server_) {
    // Streams were told the run finished; give them a moment to close, then
    // cancel whatever is left.
    grpc_server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    grpc_server_->Wait();
  }
  if (http_server_) http_server_->Shutdown();
  // Entries after the run's last checkpoint (late refusals, admin actions).
  if (audit_ != nullptr) {
    if (absl::Status s = audit_->SignPending(); !s.ok()) {
      FEDGE_LOG(Error, "audit") << "final checkpoint not signed: " << s;
    }
  }
}

FederationServer::~FederationServer() { Shutdown(); }

}  // namespace fedge::server
