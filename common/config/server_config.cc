#include "common/config/server_config.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/config/common_schema.h"
#include "common/config/value_checks.h"
#include "common/config/yaml_reader.h"
#include "common/crypto/sha256.h"
#include "common/util/status_macros.h"

namespace fedge::config {
namespace {

// Aggregation strategies the server implements.
const std::vector<std::string>& StrategyNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "fedavg",  "fedprox", "fedavgm",      "fedadagrad", "fedadam",
      "fedyogi", "median",  "trimmed_mean", "krum",       "multi_krum"};
  return *kNames;
}

void ReadRun(MapReader run, ServerConfig* c) {
  run.Optional("id", &c->run_id, SafeName(/*allow_empty=*/true));
  run.OptionalPath("dir", &c->run_dir, NonEmpty());
  static const auto* const kAfterEnd =
      new std::vector<std::string>{"exit", "serve"};
  run.Optional("after_end", &c->after_end, OneOf(*kAfterEnd));
  run.Optional("final_model_grace", &c->final_model_grace,
               AtLeast(absl::ZeroDuration()));
  run.Optional("purpose", &c->purpose_id, NonEmpty());
  run.Optional("seed", &c->seed);
  run.Optional("allowed_regions", &c->allowed_regions, NoEmptyElements());
}

void ReadTls(MapReader tls, TlsFiles* t) {
  tls.RequiredPath("ca", &t->ca_cert);
  tls.RequiredPath("cert", &t->cert);
  tls.RequiredPath("key", &t->key);
  tls.OptionalPath("crl", &t->crl);
}

void ReadParty(MapReader party, v1::Party* p) {
  std::string name, contact;
  party.Optional("name", &name);
  party.Optional("contact", &contact);
  p->set_name(name);
  p->set_contact(contact);
}

// A list of text into a repeated proto field.
void ReadList(MapReader map, absl::string_view key,
              google::protobuf::RepeatedPtrField<std::string>* out) {
  std::vector<std::string> values;
  map.Optional(key, &values, NoEmptyElements());
  out->Assign(values.begin(), values.end());
}

void ReadCompliance(MapReader compliance, ComplianceConfig* c) {
  v1::ProcessingRecord& r = c->record;
  ReadParty(compliance.Child("controller"), r.mutable_controller());
  ReadParty(compliance.Child("dpo"), r.mutable_dpo());
  ReadList(compliance, "purposes", r.mutable_purposes());
  std::string legal_basis, retention;
  compliance.Optional("legal_basis", &legal_basis);
  r.set_legal_basis(legal_basis);
  ReadList(compliance, "data_subjects", r.mutable_data_subject_categories());
  ReadList(compliance, "data_categories", r.mutable_data_categories());
  ReadList(compliance, "recipients", r.mutable_recipients());
  ReadList(compliance, "transfers", r.mutable_transfers());
  compliance.Optional("retention", &retention);
  r.set_retention(retention);
  ReadList(compliance, "security_measures", r.mutable_security_measures());
  compliance.Optional("aggregator_region", &c->aggregator_region);
}

void ReadCohort(MapReader cohort, CohortConfig* c) {
  const bool min_ok =
      cohort.Optional("min_clients", &c->min_clients, AtLeast<uint32_t>(1));
  cohort.Optional("fraction", &c->fraction, GreaterThanAtMost(0.0, 1.0));
  const bool max_ok =
      cohort.Optional("max_clients", &c->max_clients, AtLeast<uint32_t>(1));
  if (min_ok && max_ok && c->min_clients > c->max_clients) {
    cohort.Fail("min_clients", absl::StrCat(c->min_clients, " is greater than ",
                                            cohort.KeyPath("max_clients"), " (",
                                            c->max_clients,
                                            "); a round could never complete"));
  }
  const bool available_ok =
      cohort.Optional("available_clients", &c->available_clients);
  if (available_ok && min_ok && c->available_clients != 0 &&
      c->available_clients < c->min_clients) {
    cohort.Fail(
        "available_clients",
        absl::StrCat(c->available_clients, " is less than ",
                     cohort.KeyPath("min_clients"), " (", c->min_clients,
                     "); a round must start with at least as many "
                     "clients as it needs to complete"));
  }
}

void ReadDeadlines(MapReader deadlines, DeadlineConfig* d) {
  const Check<absl::Duration> positive = GreaterThan(absl::ZeroDuration());
  deadlines.Optional("selection", &d->selection, positive);
  deadlines.Optional("training", &d->training, positive);
  deadlines.Optional("evaluation", &d->evaluation, positive);
  deadlines.Optional("secagg_stage", &d->secagg_stage, positive);
}

void ReadTraining(MapReader training, LocalTrainingConfig* t) {
  training.Optional("local_epochs", &t->local_epochs, AtLeast<uint32_t>(1));
  training.Optional("batch_size", &t->batch_size, AtLeast<uint32_t>(1));
  training.Optional("learning_rate", &t->learning_rate, GreaterThan(0.0));
  training.Optional("momentum", &t->momentum, AtLeastLessThan(0.0, 1.0));
  training.Optional("weight_decay", &t->weight_decay, AtLeast(0.0));
  training.Optional("max_examples", &t->max_examples);
}

// Each strategy parameter: its key, the strategies it belongs to, and its
// value as text.
struct StrategyParameter {
  const char* key;
  std::vector<std::string> strategies;
  std::function<std::string(const StrategyConfig&)> value;
};

const std::vector<StrategyParameter>& StrategyParameterTable() {
  static const auto* const kTable = new std::vector<StrategyParameter>{
      {"proximal_mu",
       {"fedprox"},
       [](const StrategyConfig& s) { return absl::StrCat(s.proximal_mu); }},
      {"server_learning_rate",
       {"fedavgm", "fedadagrad", "fedadam", "fedyogi"},
       [](const StrategyConfig& s) {
         return absl::StrCat(s.server_learning_rate);
       }},
      {"server_momentum",
       {"fedavgm"},
       [](const StrategyConfig& s) { return absl::StrCat(s.server_momentum); }},
      {"beta1",
       {"fedadagrad", "fedadam", "fedyogi"},
       [](const StrategyConfig& s) { return absl::StrCat(s.beta1); }},
      {"beta2",
       {"fedadam", "fedyogi"},
       [](const StrategyConfig& s) { return absl::StrCat(s.beta2); }},
      {"tau",
       {"fedadagrad", "fedadam", "fedyogi"},
       [](const StrategyConfig& s) { return absl::StrCat(s.tau); }},
      {"trim_fraction",
       {"trimmed_mean"},
       [](const StrategyConfig& s) { return absl::StrCat(s.trim_fraction); }},
      {"byzantine",
       {"krum", "multi_krum"},
       [](const StrategyConfig& s) { return absl::StrCat(s.byzantine); }},
      {"multi_krum_m",
       {"multi_krum"},
       [](const StrategyConfig& s) { return absl::StrCat(s.multi_krum_m); }},
  };
  return *kTable;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void ReadStrategy(MapReader strategy, StrategyConfig* s) {
  bool ok = strategy.Optional("name", &s->name, OneOf(StrategyNames()));
  strategy.Optional("max_example_weight", &s->max_example_weight);
  ok &= strategy.Optional("proximal_mu", &s->proximal_mu, AtLeast(0.0));
  strategy.Optional("server_learning_rate", &s->server_learning_rate,
                    GreaterThan(0.0));
  strategy.Optional("server_momentum", &s->server_momentum,
                    AtLeastLessThan(0.0, 1.0));
  strategy.Optional("beta1", &s->beta1, AtLeastLessThan(0.0, 1.0));
  strategy.Optional("beta2", &s->beta2, AtLeastLessThan(0.0, 1.0));
  strategy.Optional("tau", &s->tau, GreaterThan(0.0));
  strategy.Optional("trim_fraction", &s->trim_fraction,
                    AtLeastLessThan(0.0, 0.5));
  strategy.Optional("byzantine", &s->byzantine);
  strategy.Optional("multi_krum_m", &s->multi_krum_m);
  if (!ok) return;
  for (const StrategyParameter& p : StrategyParameterTable()) {
    if (strategy.Has(p.key) && !Contains(p.strategies, s->name)) {
      strategy.Fail(
          p.key,
          absl::StrCat("applies only to strategy ",
                       absl::StrJoin(p.strategies, ", "), ", not ", s->name,
                       "; remove it or change ", strategy.KeyPath("name")));
    }
  }
  if (s->name == "fedprox" && !(s->proximal_mu > 0)) {
    strategy.Fail(
        "name", absl::StrCat("fedprox needs ", strategy.KeyPath("proximal_mu"),
                             " > 0, the weight of its proximal term (for "
                             "example 0.01)"));
  }
}

void ReadSecureAggregation(MapReader m, secagg::SecAggConfig* s) {
  m.Optional("enabled", &s->enabled);
  const bool threshold_ok = m.Optional("threshold", &s->threshold);
  const bool degree_ok = m.Optional("degree", &s->degree);
  m.Optional("dropout_rate", &s->dropout_rate, AtLeastLessThan(0.0, 1.0));
  m.Optional("corruption_rate", &s->corruption_rate, AtLeastLessThan(0.0, 1.0));
  m.Optional("clip_range", &s->clip_range, GreaterThan(0.0));
  m.Optional("bits", &s->ring_bits, Between<uint32_t>(8, 62));
  m.Optional("max_weight", &s->max_weight, AtLeast<uint64_t>(1));
  if (threshold_ok && s->threshold == 1) {
    m.Fail("threshold",
           "1 would let any single neighbour reveal a client's secrets; use "
           "at least 2, or 0 to derive it");
  }
  if (degree_ok && s->degree % 2 == 1) {
    m.Fail("degree",
           absl::StrCat(s->degree,
                        " must be even (each client is joined to "
                        "degree/2 neighbours on either side), or 0 to derive "
                        "it"));
  }
  if (threshold_ok && degree_ok && s->threshold != 0 && s->degree != 0 &&
      s->threshold > s->degree) {
    m.Fail("threshold",
           absl::StrCat(s->threshold, " is greater than ", m.KeyPath("degree"),
                        " (", s->degree, "): no client could be unmasked"));
  }
}

void ReadLimits(MapReader limits, LimitsConfig* l) {
  limits.Optional("max_concurrent_uploads", &l->max_concurrent_uploads,
                  AtLeast<uint32_t>(1));
  limits.Optional(
      "transport_memory_mib", &l->transport_memory_mib,
      [](const uint32_t& mib, const CheckContext& context) -> std::string {
        // Below that, a few uploads in flight would use it up, and gRPC
        // then cancels streams.
        if (mib == 0 || mib >= 16) return "";
        return absl::StrCat(context.text,
                            " is too small (expected 0 for no quota, or at "
                            "least 16 MiB)");
      });
}

void ReadPrivacy(MapReader privacy, PrivacyConfig* p) {
  static const auto* const kModes =
      new std::vector<std::string>{"none", "central", "distributed"};
  if (!privacy.Optional("mode", &p->mode, OneOf(*kModes))) return;
  privacy.Optional("clip_norm", &p->clip_norm, GreaterThan(0.0));
  privacy.Optional("noise_multiplier", &p->noise_multiplier, GreaterThan(0.0));
  privacy.Optional("adaptive_clipping", &p->adaptive_clipping);
  privacy.Optional("target_quantile", &p->target_quantile,
                   GreaterThanLessThan(0.0, 1.0));
  privacy.Optional("clip_learning_rate", &p->clip_learning_rate,
                   GreaterThan(0.0));
  privacy.Optional("count_noise_stddev", &p->count_noise_stddev, AtLeast(0.0));
  privacy.Optional("delta", &p->delta, GreaterThanLessThan(0.0, 1.0));
  privacy.Optional("epsilon_budget", &p->epsilon_budget, AtLeast(0.0));
  if (!p->enabled()) {
    for (const char* key :
         {"clip_norm", "noise_multiplier", "adaptive_clipping",
          "target_quantile", "clip_learning_rate", "count_noise_stddev",
          "delta", "epsilon_budget"}) {
      if (privacy.Has(key)) {
        privacy.Fail(
            key, absl::StrCat("has no effect with ", privacy.KeyPath("mode"),
                              ": none; set mode: central or "
                              "distributed, or remove it"));
      }
    }
    return;
  }
  if (!p->adaptive_clipping) {
    for (const char* key :
         {"target_quantile", "clip_learning_rate", "count_noise_stddev"}) {
      if (privacy.Has(key)) {
        privacy.Fail(
            key, absl::StrCat("applies only with ",
                              privacy.KeyPath("adaptive_clipping"), ": true"));
      }
    }
  } else if (!p->central()) {
    privacy.Fail("adaptive_clipping",
                 "is available with mode: central only (with distributed "
                 "noise the server cannot count the clipped updates)");
  }
}

void ReadEvaluation(MapReader evaluation, EvaluationConfig* e) {
  evaluation.Optional("federated_every", &e->federated_every);
  const bool central_ok =
      evaluation.Optional("central_every", &e->central_every);
  evaluation.Optional("batch_size", &e->batch_size, AtLeast<uint32_t>(1));
  MapReader central_data = evaluation.Child("central_data");
  if (central_data.present()) {
    ReadDataSource(central_data, &e->central_data.emplace());
  } else if (central_ok && evaluation.Has("central_every") &&
             e->central_every > 0) {
    // Only an explicit central_every needs data; by default central
    // evaluation simply runs when central_data is given.
    evaluation.Fail(
        "central_every",
        absl::StrCat(e->central_every, " needs ",
                     evaluation.KeyPath("central_data"),
                     ", the held-out data set to evaluate on (add it, or set "
                     "central_every: 0 to turn central evaluation off)"));
  }
}

}  // namespace

void ReadUpstream(MapReader root, ServerConfig* c) {
  MapReader upstream = root.Child("upstream");  // declares the key
  if (!root.Has("upstream")) return;
  UpstreamConfig& u = c->upstream;
  upstream.Required("server", &u.server_address,
                    HostPort(/*allow_empty=*/false));
  ReadClientTls(upstream.Child("tls"), &u.tls);
  upstream.Optional("region", &u.region, NonEmpty());
  ReadReconnect(upstream.Child("reconnect"), &u.reconnect);
  // The upstream decides the rounds and applies the strategy to the sites'
  // updates; the site's share must be its devices' plain example-weighted
  // mean, or the upstream's FedAvg is no longer FedAvg over the devices.
  if (root.Has("rounds")) {
    root.Fail("rounds",
              "a site aggregator (upstream: is set) runs one round for each "
              "round of its upstream until the upstream ends its run; remove "
              "rounds:");
  }
  const StrategyConfig& s = c->strategy;
  if ((s.name != "fedavg" && s.name != "fedprox") ||
      s.server_learning_rate != 1.0) {
    root.Child("strategy")
        .Fail(
            "name",
            absl::StrCat(
                "a site aggregator sends its devices' example-weighted mean "
                "upstream, where the upstream's strategy is applied; use "
                "fedavg or fedprox with server_learning_rate 1 here (got ",
                s.name, ") and choose the strategy in the upstream's config"));
  }
  if (c->privacy.enabled()) {
    root.Child("privacy").Fail(
        "mode",
        "differential privacy is accounted where the model is released: set "
        "it in the upstream's config and mode: none here");
  }
}

// Differential privacy against the rest of the config.
void CheckPrivacy(MapReader root, ServerConfig* c) {
  const PrivacyConfig& p = c->privacy;
  if (!p.enabled()) return;
  MapReader privacy = root.Child("privacy");
  if (p.central() && c->secure_aggregation.enabled) {
    privacy.Fail(
        "mode",
        "central has the server clip each update and add the noise, so the "
        "server must see each update; set secure_aggregation.enabled: false, "
        "or use mode: distributed, where the clients add the noise under "
        "secure aggregation");
  } else if (p.distributed() && !c->secure_aggregation.enabled) {
    privacy.Fail("mode",
                 "distributed needs secure_aggregation.enabled: true (the "
                 "clients' noise shares only add up to the full noise in the "
                 "securely aggregated sum); without it use mode: central");
  }
  if (IsRobustStrategy(c->strategy.name)) {
    root.Child("strategy")
        .Fail("name",
              absl::StrCat(c->strategy.name,
                           " cannot be combined with differential "
                           "privacy, whose noise is calibrated to a sum "
                           "of clipped updates; use fedavg or a server "
                           "optimiser (fedavgm, fedadam, ...)"));
  }
  // Every update counts once: its weight is what the clip bounds.
  c->strategy.max_example_weight = 1;
  c->secure_aggregation.max_weight = 1;
}

void ReadServerConfig(MapReader root, ServerConfig* out, bool simulated) {
  ServerConfig& c = *out;
  ReadRun(root.Child("run"), &c);
  if (!simulated) {
    root.Optional("listen", &c.listen_address, HostPort(/*allow_empty=*/false));
    root.Optional("metrics_listen", &c.metrics_address,
                  HostPort(/*allow_empty=*/true));
    ReadTls(root.Child("tls"), &c.tls);
    root.Child("audit").OptionalPath("signing_key", &c.audit.signing_key,
                                     NonEmpty());
    if (c.audit.signing_key.empty() && !c.tls.ca_cert.empty()) {
      c.audit.signing_key =
          (std::filesystem::path(c.tls.ca_cert).parent_path() / "audit.key")
              .string();
    }
  }
  ReadModelSpec(root.Child("model"), &c.model);
  root.Optional("rounds", &c.rounds, AtLeast<uint32_t>(1));
  ReadCohort(root.Child("cohort"), &c.cohort);
  ReadDeadlines(root.Child("deadlines"), &c.deadlines);
  ReadTraining(root.Child("training"), &c.training);
  ReadStrategy(root.Child("strategy"), &c.strategy);
  ReadSecureAggregation(root.Child("secure_aggregation"),
                        &c.secure_aggregation);
  ReadLimits(root.Child("limits"), &c.limits);
  if (!simulated) {
    root.Child("simulation")
        .Optional("accept_virtual_clients", &c.accept_virtual_clients);
  }
  ReadEvaluation(root.Child("evaluation"), &c.evaluation);
  ReadPrivacy(root.Child("privacy"), &c.privacy);
  ReadCompliance(root.Child("compliance"), &c.compliance);
  if (!simulated) ReadUpstream(root, &c);
  if (IsRobustStrategy(c.strategy.name) && c.secure_aggregation.enabled) {
    root.Child("strategy")
        .Fail("name",
              absl::StrCat(
                  c.strategy.name,
                  " needs each client's update, which secure aggregation hides "
                  "from the server by design; set secure_aggregation.enabled: "
                  "false "
                  "to use it (the server then sees every update), or choose a "
                  "strategy that needs only the sum (fedavg, fedprox, fedavgm, "
                  "fedadagrad, fedadam, fedyogi)"));
  }
  CheckPrivacy(root, &c);
  if ((c.strategy.name == "krum" || c.strategy.name == "multi_krum") &&
      c.cohort.min_clients < 2 * c.strategy.byzantine + 3) {
    root.Child("cohort").Fail(
        "min_clients",
        absl::StrCat(c.strategy.name,
                     " with strategy.byzantine: ", c.strategy.byzantine,
                     " needs at least 2f + 3 = ", 2 * c.strategy.byzantine + 3,
                     " updates a round; raise cohort.min_clients to that or "
                     "lower strategy.byzantine"));
  }
}

std::vector<std::pair<std::string, std::string>> StrategyParameters(
    const StrategyConfig& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const StrategyParameter& p : StrategyParameterTable()) {
    if (Contains(p.strategies, s.name)) out.emplace_back(p.key, p.value(s));
  }
  return out;
}

bool IsRobustStrategy(const std::string& name) {
  return name == "median" || name == "trimmed_mean" || name == "krum" ||
         name == "multi_krum";
}

absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& yaml,
                                               const std::string& origin,
                                               const std::string& base_dir) {
  FEDGE_ASSIGN_OR_RETURN(YamlDocument doc,
                         YamlDocument::Parse(yaml, origin, base_dir));
  ServerConfig c;
  c.source_path = origin;
  c.source_sha256 = crypto::ToHex(crypto::Sha256(yaml));
  ReadServerConfig(doc.root(), &c, /*simulated=*/false);
  FEDGE_RETURN_IF_ERROR(doc.Finish());
  return c;
}

absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path) {
  FEDGE_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParseServerConfig(text, path, ConfigBaseDir(path));
}

}  // namespace fedge::config
