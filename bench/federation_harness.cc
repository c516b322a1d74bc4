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

}  // namespace

std::string TempDir(const char* prefix) {
  std::string tmpl = absl::StrCat("/tmp/", prefix, "_XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

std::string BenchClientId(uint32_t i) { return absl::StrCat("bench-", i); }

absl::Status MakeBenchPki(const std::string& pki_dir, uint32_t clients) {
  pki::InitOptions init;
  init.force = true;
  absl::Status status = pki::InitFederation(pki_dir, init);
  for (uint32_t i = 0; status.ok() && i < clients; ++i) {
    status = pki::IssueClient(pki_dir, BenchClientId(i));
  }
  return status;
}

server::ServerOptions BenchServerOptions(const HarnessOptions& options,
                                         const std::string& pki_dir,
                                         const std::string& run_dir) {
  pki::PkiPaths paths(pki_dir);
  server::ServerOptions server_options;
  config::ServerConfig& c = server_options.config;
  c.run_dir = run_dir;
  c.run_id = "bench";
  c.listen_address = "127.0.0.1:0";
  c.metrics_address = "";
  c.tls = {paths.ca_cert(), paths.server_cert(), paths.server_key(),
           paths.crl()};
  c.audit.signing_key = paths.audit_key();
  c.model = options.model;
  c.rounds = options.rounds;
  c.cohort.min_clients = options.clients;
  c.cohort.fraction = 1.0;
  c.evaluation.central_every = 0;
  c.secure_aggregation.enabled = options.secure_aggregation;
  server_options.show_progress = false;
  return server_options;
}

EdgeClientPool::EdgeClientPool(EdgeClientPoolOptions options)
    : options_(std::move(options)) {
  pki::PkiPaths paths(options_.pki_dir);
  for (uint32_t i = options_.first; i < options_.first + options_.count; ++i) {
    const std::string id = BenchClientId(i);
    client::EdgeClientOptions o;
    o.server_address = options_.server_address;
    o.tls = net::ClientTlsFiles{paths.ca_cert(), paths.client_cert(id),
                                paths.client_key(id), "localhost"};
    o.consent.purpose_id = options_.purpose_id;
    if (!options_.state_root.empty()) {
      o.state_dir =
          util::JoinPath(options_.state_root, absl::StrCat("client-", i));
    }
    o.on_transfer = options_.on_transfer;
    clients_.push_back(std::make_unique<client::EdgeClient>(
        o,
        [](const models::ModelSpec&)
            -> absl::StatusOr<std::unique_ptr<client::Trainer>> {
          return std::unique_ptr<client::Trainer>(new NoOpTrainer());
        },
        nullptr, nullptr));
  }
}

EdgeClientPool::~EdgeClientPool() {
  Stop();
  Join();
}

void EdgeClientPool::Start() {
  for (auto& client : clients_) {
    client::EdgeClient* c = client.get();
    threads_.emplace_back([this, c] {
      absl::Status status = c->Run();
      // A client still running when Stop() was called (one the server had
      // not told the run finished) ends CANCELLED; that is no failure.
      if (!status.ok() && !(stopped_ && absl::IsCancelled(status))) {
        std::fprintf(stderr, "client: %s\n", status.ToString().c_str());
        absl::MutexLock lock(&mu_);
        ++failures_;
      }
    });
  }
}

void EdgeClientPool::Stop() {
  stopped_ = true;
  for (auto& c : clients_) c->Stop();
}

void EdgeClientPool::Join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

size_t EdgeClientPool::failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

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
  clients_.reset();  // stops and joins them
  if (server_) server_->Shutdown();
}

bool FederationHarness::Start() {
  pki_dir_ = TempDir("fedge_bench_pki");
  run_dir_ = TempDir("fedge_bench_run");
  if (absl::Status status = MakeBenchPki(pki_dir_, options_.clients);
      !status.ok()) {
    std::fprintf(stderr, "pki: %s\n", status.ToString().c_str());
    return false;
  }
  server::ServerOptions server_options =
      BenchServerOptions(options_, pki_dir_, run_dir_);
  server_options.observer = observer_.get();
  const std::string purpose = server_options.config.purpose_id;
  auto server = server::FederationServer::Start(std::move(server_options));
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
    return false;
  }
  server_ = std::move(*server);
  EdgeClientPoolOptions pool;
  pool.server_address = absl::StrCat("127.0.0.1:", server_->port());
  pool.pki_dir = pki_dir_;
  pool.count = options_.clients;
  pool.purpose_id = purpose;
  if (options_.client_state_on_disk) pool.state_root = run_dir_;
  pool.on_transfer = [this](const client::TransferEvent& e) {
    absl::MutexLock lock(&mu_);
    transfers_.push_back(e);
  };
  clients_ = std::make_unique<EdgeClientPool>(std::move(pool));
  clients_->Start();
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
  clients_->Join();
}

std::vector<client::TransferEvent> FederationHarness::transfers() {
  absl::MutexLock lock(&mu_);
  return transfers_;
}

}  // namespace fedge::bench
