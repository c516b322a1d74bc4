#include "site/site_link.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/trainer.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::site {
namespace {

// "Trains" by running one round of the site: the site's devices train, the
// site aggregates them (securely, if configured) and commits; the result is
// the site's committed model and the examples behind it.
class SiteTrainer final : public client::Trainer {
 public:
  explicit SiteTrainer(server::Coordinator* coordinator)
      : coordinator_(coordinator) {}

  // The upstream's training settings are not used (only the version of its
  // model): the site's own config sets its devices' training.
  absl::StatusOr<client::TrainResult> Train(
      const tensor::ParameterSet& global,
      const client::TrainOptions& options) override {
    const absl::Time start = absl::Now();
    absl::StatusOr<server::Coordinator::SiteRound> round =
        coordinator_->RunSiteRound(global, options.model_version);
    if (!round.ok()) {
      if (absl::IsCancelled(round.status())) return round.status();
      // The upstream's round goes on without this site.
      return absl::UnavailableError(round.status().message());
    }
    client::TrainResult result;
    result.trained = std::move(round->model);
    result.num_examples = round->examples;
    // Secure site rounds know only the sum: their loss and accuracy are NaN
    // (unknown), and go upstream as such rather than as an invented figure.
    result.loss = round->loss;
    result.accuracy = round->accuracy;
    result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
    examples_ = round->examples;
    FEDGE_LOG(Info, "site")
        << "site round " << round->round << " committed from "
        << round->examples << " examples; sending it upstream";
    return result;
  }

  uint64_t num_examples() const override { return examples_; }

 private:
  server::Coordinator* const coordinator_;
  uint64_t examples_ = 0;
};

std::string Describe(const models::ModelSpec& spec) {
  return absl::StrCat(spec.kind, " with input shape [",
                      absl::StrJoin(spec.input_shape, ","), "] and ",
                      spec.num_classes, " classes");
}

}  // namespace

client::EdgeClientOptions UpstreamClientOptions(
    const config::ServerConfig& config) {
  const config::UpstreamConfig& u = config.upstream;
  client::EdgeClientOptions options;
  options.server_address = u.server_address;
  options.tls = net::ClientTlsFiles{u.tls.ca_cert, u.tls.cert, u.tls.key,
                                    u.tls.server_name};
  options.region = u.region;
  options.consent.purpose_id = config.purpose_id;
  options.consent.version = "1";
  options.consent.given_at = absl::Now();
  options.backoff.initial = u.reconnect.initial;
  options.backoff.max = u.reconnect.max;
  options.backoff.multiplier = u.reconnect.multiplier;
  options.backoff.jitter = u.reconnect.jitter;
  options.give_up_after = u.reconnect.give_up_after;
  if (config.model.kind == "torchscript") {
    options.torchscript_path = config.model.torchscript_path;
  }
  // The upstream's model and its receipts for this site's uploads.
  options.state_dir = util::JoinPath(config.run_dir, "upstream");
  return options;
}

SiteLink::SiteLink(config::ServerConfig config) : config_(std::move(config)) {}

absl::Status SiteLink::Drive(server::Coordinator& coordinator) {
  const models::ModelSpec own = config_.model;
  client::EdgeClient client(
      UpstreamClientOptions(config_),
      [&coordinator, own](const models::ModelSpec& spec)
          -> absl::StatusOr<std::unique_ptr<client::Trainer>> {
        if (spec.kind != own.kind || spec.input_shape != own.input_shape ||
            spec.num_classes != own.num_classes) {
          return absl::FailedPreconditionError(absl::StrCat(
              "the upstream federates a ", Describe(spec),
              ", but this site's config describes a ", Describe(own),
              "; give the site the upstream's model section"));
        }
        return std::unique_ptr<client::Trainer>(
            std::make_unique<SiteTrainer>(&coordinator));
      },
      /*evaluator_factory=*/nullptr, /*eval_data=*/nullptr);
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return coordinator.Finish("");
    client_ = &client;
  }
  FEDGE_LOG(Info, "site") << "site aggregator: joining the upstream at "
                          << config_.upstream.server_address;
  absl::Status link = client.Run();
  {
    absl::MutexLock lock(&mu_);
    client_ = nullptr;
    stats_ = client.stats();
  }
  std::string upstream_outcome = client.finished_reason();
  if (!link.ok() && !absl::IsCancelled(link)) {
    FEDGE_LOG(Error, "site") << "the upstream link failed: " << link;
    coordinator.Stop(
        absl::StrCat("the upstream link failed: ", link.message()));
  }
  absl::Status finished = coordinator.Finish(
      upstream_outcome.empty() && link.ok() ? "no reason given"
                                            : upstream_outcome);
  if (!link.ok() && !absl::IsCancelled(link)) return link;
  return finished;
}

void SiteLink::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  if (client_ != nullptr) client_->Stop();
}

client::EdgeClientStats SiteLink::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace fedge::site
