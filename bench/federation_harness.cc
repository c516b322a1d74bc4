#include "bench/federation_harness.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/pki/authority.h"
#include "common/util/file_util.h"

namespace fedge::bench {
namespace {

// Local training that returns the global model unchanged.
class NoOpTrainer final : public client::Trainer {
 public:
  absl::StatusOr<client::TrainResult> Train(
      const tensor::ParameterSet& global,
      const client::TrainOptions& options) override {
    client::TrainResult result;
    result.trained = global;
    result.num_examples = 100;
    return result;
  }
  uint64_t num_examples() const override { return 100; }
};

std::string TempDir(const char* prefix) {
  std::string tmpl = absl::StrCat("/tmp/", prefix, "_XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

}  // namespace

class FederationHarness::Observer final : public server::RunObserver {
 public:
  void OnRound(const server::RoundReport& report) override {
    absl::MutexLock lock(&mu_);
    reports_.push_back(report);
  }
  server::RoundReport Wait(uint64_t round) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return reports_.size() >= round;
    };
    mu_.Await(absl::Condition(&ready));
    return reports_[round - 1];
  }

 private:
  absl::Mutex mu_;
  std::vector<server::RoundReport> reports_ ABSL_GUARDED_BY(mu_);
};

FederationHarness::FederationHarness(HarnessOptions options)
    : options_(std::move(options)), observer_(std::make_unique<Observer>()) {
  // As the `fedge` binary does in release builds (cli/main.cc): the
  // benchmarks measure what an operator runs.
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

FederationHarness::~FederationHarness() {
  for (auto& c : clients_) c->Stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  if (server_) server_->Shutdown();
}

bool FederationHarness::Start() {
  pki_dir_ = TempDir("fedge_bench_pki");
  run_dir_ = TempDir("fedge_bench_run");
  pki::InitOptions init;
  init.force = true;
  absl::Status status = pki::InitFederation(pki_dir_, init);
  for (uint32_t i = 0; status.ok() && i < options_.clients; ++i) {
    status = pki::IssueClient(pki_dir_, absl::StrCat("bench-", i));
  }
  if (!status.ok()) {
    std::fprintf(stderr, "pki: %s\n", status.ToString().c_str());
    return false;
  }
  pki::PkiPaths paths(pki_dir_);
  server::ServerOptions server_options;
  config::ServerConfig& c = server_options.config;
  c.run_dir = run_dir_;
  c.run_id = "bench";
  c.listen_address = "127.0.0.1:0";
  c.metrics_address = "";
  c.tls = {paths.ca_cert(), paths.server_cert(), paths.server_key(),
           paths.crl()};
  c.audit.signing_key = paths.audit_key();
  c.model = options_.model;
  c.rounds = options_.rounds;
  c.cohort.min_clients = options_.clients;
  c.cohort.fraction = 1.0;
  c.evaluation.central_every = 0;
  c.secure_aggregation.enabled = options_.secure_aggregation;
  server_options.show_progress = false;
  server_options.observer = observer_.get();
  const std::string purpose = c.purpose_id;
  auto server = server::FederationServer::Start(std::move(server_options));
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
    return false;
  }
  server_ = std::move(*server);
  for (uint32_t i = 0; i < options_.clients; ++i) {
    std::string id = absl::StrCat("bench-", i);
    client::EdgeClientOptions o;
    o.server_address = absl::StrCat("127.0.0.1:", server_->port());
    o.tls = net::ClientTlsFiles{paths.ca_cert(), paths.client_cert(id),
                                paths.client_key(id), "localhost"};
    o.consent.purpose_id = purpose;
    if (options_.client_state_on_disk) {
      o.state_dir = util::JoinPath(run_dir_, absl::StrCat("client-", i));
    }
    o.on_transfer = [this](const client::TransferEvent& e) {
      absl::MutexLock lock(&mu_);
      transfers_.push_back(e);
    };
    clients_.push_back(std::make_unique<client::EdgeClient>(
        o,
        [](const models::ModelSpec&)
            -> absl::StatusOr<std::unique_ptr<client::Trainer>> {
          return std::unique_ptr<client::Trainer>(new NoOpTrainer());
        },
        nullptr, nullptr));
  }
  for (auto& client : clients_) {
    client::EdgeClient* c = client.get();
    threads_.emplace_back([c] {
      absl::Status status = c->Run();
      if (!status.ok()) {
        std::fprintf(stderr, "client: %s\n", status.ToString().c_str());
      }
    });
  }
  return true;
}

server::RoundReport FederationHarness::WaitForRound(uint64_t round) {
  return observer_->Wait(round);
}

void FederationHarness::Finish() {
  absl::Status status = server_->Wait();
  if (!status.ok()) {
    std::fprintf(stderr, "server: %s\n", status.ToString().c_str());
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

std::vector<client::TransferEvent> FederationHarness::transfers() {
  absl::MutexLock lock(&mu_);
  return transfers_;
}

}  // namespace fedge::bench
