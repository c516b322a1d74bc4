#include "simulations/fleet.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/join_request.h"
#include "common/crypto/sha256.h"
#include "common/data/data_source.h"
#include "common/models/torch_threads.h"
#include "common/net/backoff.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::sim {
namespace {

// Virtual clients share a few connections: enough that one connection's
// flow control does not hold back the rest, few enough to cost nothing.
constexpr size_t kChannels = 4;
// Joins in flight at once when many clients come online.
constexpr size_t kJoinParallelism = 16;

}  // namespace

std::string VirtualClientId(size_t index, size_t count) {
  const int width = static_cast<int>(absl::StrCat(count - 1).size());
  return absl::StrFormat("sim-%0*d", width, index);
}

absl::StatusOr<std::unique_ptr<Fleet>> Fleet::Create(FleetOptions options) {
  if (options.shard_count == 0 || options.shard >= options.shard_count) {
    return absl::InvalidArgumentError(
        absl::StrCat("shard ", options.shard, "/", options.shard_count,
                     " does not exist (expected shard < shard count)"));
  }
  std::unique_ptr<Fleet> fleet(new Fleet(std::move(options)));
  FEDGE_RETURN_IF_ERROR(fleet->Build());
  return fleet;
}

absl::Status Fleet::Build() {
  const FleetConfig& c = options_.config;
  FEDGE_ASSIGN_OR_RETURN(pool_, data::LoadDataSource(c.data));
  data::PartitionSpec spec = c.partition;
  spec.count = c.clients;
  absl::StatusOr<std::vector<std::vector<size_t>>> parts =
      data::Partition(pool_.labels, pool_.num_classes, spec);
  if (!parts.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot partition ", pool_.size(), " examples among ",
                     c.clients, " clients: ", parts.status().message()));
  }
  parts_ = *std::move(parts);
  partition_ = data::Summarize(parts_, pool_.labels, pool_.num_classes,
                               data::PartitionDescription(spec));
  attackers_ = ChooseAttackers(c.attack, options_.seed, c.clients);
  FEDGE_ASSIGN_OR_RETURN(issuer_, pki::MemoryIssuer::Load(options_.pki_dir));
  FEDGE_ASSIGN_OR_RETURN(ca_pem_,
                         util::ReadFile(options_.simulator_tls.ca_cert));
  cache_ = std::make_shared<client::ModelCache>();

  for (size_t i = options_.shard; i < c.clients; i += options_.shard_count) {
    std::string id = VirtualClientId(i, c.clients);
    DeviceProfile profile = DrawProfile(c, options_.seed, id);
    clients_.push_back(
        std::make_unique<VirtualClient>(this, i, std::move(id), profile));
  }

  // Clients train in parallel on one intra-op thread each, so the pool
  // never asks for more cores than the machine has, and training is
  // bit-for-bit reproducible.
  models::SetTorchThreads(1);
  size_t threads = c.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < threads; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
  if (options_.reconnect_vanished) {
    reconnector_ = std::thread([this] { ReconnectLoop(); });
  }
  return absl::OkStatus();
}

Fleet::~Fleet() { Shutdown(); }

absl::Status Fleet::Connect(const std::string& address) {
  channels_.clear();
  for (size_t i = 0; i < kChannels; ++i) {
    FEDGE_ASSIGN_OR_RETURN(
        std::shared_ptr<grpc::Channel> channel,
        client::ServerConnection::OpenChannel(address, options_.simulator_tls));
    channels_.push_back(std::move(channel));
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> Fleet::ChannelFor(size_t index) const {
  return channels_[index % channels_.size()];
}

absl::StatusOr<pki::IssuedIdentity> Fleet::IssueIdentity(
    const std::string& id) {
  return issuer_->IssueDevice(id);
}

std::unique_ptr<client::ClientCore> Fleet::MakeCore(
    const VirtualClient& client) {
  client::ClientCoreOptions options;
  options.release_after_task = true;
  options.torchscript_path = options_.torchscript_path;
  const uint64_t seed = options_.seed;
  const std::string id = client.id();
  // Reproducible stochastic rounding: a SHA-256 of (seed, client, round).
  // It decides rounding only; masks always come from fresh CSPRNG seeds.
  options.rounding_seed = [seed, id](uint64_t round) {
    crypto::Sha256Digest digest = crypto::Sha256(
        absl::StrCat("fedge-sim-rounding/", seed, "/", id, "/", round));
    return crypto::SecretBytes::Copy(
        absl::Span<const uint8_t>(digest.data(), digest.size()));
  };
  const VirtualClient* self = &client;
  options.secagg_identity = [self,
                             this]() -> absl::StatusOr<secagg::ClientIdentity> {
    secagg::ClientIdentity identity;
    identity.private_key_pem = self->identity().private_key_pem;
    identity.ca_certificate_pem = ca_pem_;
    return identity;
  };
  const size_t index = client.index();
  client::TrainerFactory trainers = [this, index](const models::ModelSpec& spec)
      -> absl::StatusOr<std::unique_ptr<client::Trainer>> {
    data::PartitionSpec partition = options_.config.partition;
    partition.count = options_.config.clients;
    const AttackConfig& attack = options_.config.attack;
    const bool attacker = attackers_[index];
    FEDGE_ASSIGN_OR_RETURN(
        std::unique_ptr<client::Trainer> trainer,
        CreatePartTrainer(spec, pool_, parts_[index], partition, index,
                          &training_nanos_, attacker && PoisonsData(attack)));
    if (attacker && !PoisonsData(attack)) {
      return PoisonUpdates(std::move(trainer), attack);
    }
    return trainer;
  };
  return std::make_unique<client::ClientCore>(
      std::move(options), std::move(trainers), client::EvaluatorFactory(),
      /*eval_data=*/nullptr, cache_);
}

absl::Status Fleet::ForEachInParallel(
    const std::vector<VirtualClient*>& clients,
    const std::function<absl::Status(VirtualClient*)>& fn) {
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  absl::Mutex mu;
  absl::Status first_error;
  auto loop = [&] {
    for (size_t i = next++; i < clients.size(); i = next++) {
      absl::Status status = fn(clients[i]);
      ++done;
      if (!status.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) {
          first_error = absl::Status(
              status.code(), absl::StrCat("virtual client ", clients[i]->id(),
                                          ": ", status.message()));
        }
        next = clients.size();  // stop handing out work
      }
    }
  };
  const size_t n = std::min(kJoinParallelism, clients.size());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < n; ++i) threads.emplace_back(loop);
  if (options_.progress != nullptr && clients.size() >= 200) {
    // Report from this thread while the others join.
    std::thread reporter([&] {
      while (done.load() < clients.size()) {
        {
          absl::MutexLock lock(&mu);
          if (!first_error.ok()) break;
        }
        options_.progress->Status(
            absl::StrFormat("bringing virtual clients online: %d/%d",
                            done.load(), clients.size()));
        absl::SleepFor(absl::Milliseconds(250));
      }
    });
    loop();
    for (std::thread& t : threads) t.join();
    reporter.join();
    options_.progress->Clear();
  } else {
    loop();
    for (std::thread& t : threads) t.join();
  }
  return first_error;
}

absl::StatusOr<size_t> Fleet::PrepareRound(uint64_t round) {
  if (channels_.empty()) {
    return absl::FailedPreconditionError("the fleet is not connected");
  }
  std::vector<VirtualClient*> joining;
  for (const auto& client : clients_) {
    if (client->finished()) continue;
    if (IsOnline(options_.config, client->profile(), round)) {
      if (!client->online()) joining.push_back(client.get());
    } else {
      client->GoOffline();
    }
  }
  FEDGE_RETURN_IF_ERROR(ForEachInParallel(
      joining, [](VirtualClient* client) { return client->GoOnline(); }));
  const size_t online = online_count();
  absl::MutexLock lock(&mu_);
  stats_[round].available = static_cast<uint32_t>(online);
  return online;
}

size_t Fleet::online_count() const {
  size_t n = 0;
  for (const auto& client : clients_) n += client->online() ? 1 : 0;
  return n;
}

size_t Fleet::finished_count() const {
  size_t n = 0;
  for (const auto& client : clients_) n += client->finished() ? 1 : 0;
  return n;
}

size_t Fleet::failed_count() const {
  absl::MutexLock lock(&mu_);
  return failed_;
}

client::EdgeClientStats Fleet::client_stats() const {
  client::EdgeClientStats total;
  for (const auto& client : clients_) total += client->stats();
  return total;
}

void Fleet::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
    queue_.clear();
    to_reconnect_.clear();
  }
  for (std::thread& t : workers_) t.join();
  if (reconnector_.joinable()) reconnector_.join();
  for (const auto& client : clients_) client->GoOffline();
}

void Fleet::Schedule(VirtualClient* client) {
  absl::MutexLock lock(&mu_);
  if (!shutting_down_) queue_.push_back(client);
}

void Fleet::WorkerLoop() {
  while (true) {
    VirtualClient* client;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Fleet* f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(f->mu_) {
            return f->shutting_down_ || !f->queue_.empty();
          },
          this));
      if (shutting_down_) return;
      client = queue_.front();
      queue_.pop_front();
    }
    client->Work();
  }
}

void Fleet::OnStreamEnded(VirtualClient* client) {
  if (!options_.reconnect_vanished || client->finished()) return;
  absl::MutexLock lock(&mu_);
  if (!shutting_down_) to_reconnect_.push_back(client);
}

void Fleet::ReconnectLoop() {
  net::BackoffPolicy policy;
  policy.initial = absl::Milliseconds(200);
  policy.max = absl::Seconds(10);
  net::Backoff backoff(policy, options_.seed ^ options_.shard);
  while (true) {
    VirtualClient* client;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Fleet* f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(f->mu_) {
            return f->shutting_down_ || !f->to_reconnect_.empty();
          },
          this));
      if (shutting_down_) return;
      client = to_reconnect_.front();
      to_reconnect_.pop_front();
    }
    absl::Status status = client->GoOnline();
    if (status.ok()) {
      backoff.Reset();
      continue;
    }
    if (client::IsPermanentRefusal(status)) {
      FEDGE_LOG(Error, "sim") << "the server refused virtual client "
                              << client->id() << " for good: " << status;
      absl::MutexLock lock(&mu_);
      ++failed_;
      continue;
    }
    // The server may be restarting: wait, then try again.
    const absl::Duration wait = backoff.Next();
    FEDGE_LOG(Warning, "sim")
        << "virtual client " << client->id() << " cannot rejoin (" << status
        << "); retrying in " << absl::FormatDuration(wait);
    absl::MutexLock lock(&mu_);
    to_reconnect_.push_back(client);
    mu_.AwaitWithTimeout(absl::Condition(&shutting_down_), wait);
  }
}

void Fleet::CountStraggler(uint64_t round) {
  absl::MutexLock lock(&mu_);
  ++stats_[round].stragglers;
}

void Fleet::CountVanished(uint64_t round) {
  absl::MutexLock lock(&mu_);
  ++stats_[round].vanished;
}

FleetRoundStats Fleet::round_stats(uint64_t round) const {
  absl::MutexLock lock(&mu_);
  auto it = stats_.find(round);
  return it == stats_.end() ? FleetRoundStats{} : it->second;
}

double Fleet::training_seconds() const {
  return static_cast<double>(training_nanos_.load()) * 1e-9;
}

}  // namespace fedge::sim
