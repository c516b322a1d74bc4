#include "server/run_started.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/net/tls_policy.h"
#include "common/pki/identity.h"

namespace fedge::server {
namespace {

// The settings that shape what a run computes, as the report lists them.
void Settings(const config::ServerConfig& c,
              google::protobuf::Map<std::string, std::string>* out) {
  auto& m = *out;
  m["model.kind"] = c.model.kind;
  m["rounds"] = absl::StrCat(c.rounds);
  m["seed"] = absl::StrCat(c.seed);
  m["strategy.name"] = c.strategy.name;
  m["strategy.max_example_weight"] =
      absl::StrCat(c.strategy.max_example_weight);
  for (const auto& [key, value] : config::StrategyParameters(c.strategy)) {
    m[absl::StrCat("strategy.", key)] = value;
  }
  m["cohort.min_clients"] = absl::StrCat(c.cohort.min_clients);
  m["cohort.available_clients"] = absl::StrCat(c.cohort.available_clients);
  m["cohort.fraction"] = absl::StrCat(c.cohort.fraction);
  m["cohort.max_clients"] = absl::StrCat(c.cohort.max_clients);
  m["training.local_epochs"] = absl::StrCat(c.training.local_epochs);
  m["training.batch_size"] = absl::StrCat(c.training.batch_size);
  m["training.learning_rate"] = absl::StrCat(c.training.learning_rate);
  m["training.momentum"] = absl::StrCat(c.training.momentum);
  m["training.weight_decay"] = absl::StrCat(c.training.weight_decay);
  m["training.max_examples"] = absl::StrCat(c.training.max_examples);
  m["deadlines.training"] = absl::FormatDuration(c.deadlines.training);
  const secagg::SecAggConfig& s = c.secure_aggregation;
  m["secure_aggregation.enabled"] = s.enabled ? "true" : "false";
  if (s.enabled) {
    m["secure_aggregation.threshold"] = absl::StrCat(s.threshold);
    m["secure_aggregation.degree"] = absl::StrCat(s.degree);
    m["secure_aggregation.dropout_rate"] = absl::StrCat(s.dropout_rate);
    m["secure_aggregation.corruption_rate"] = absl::StrCat(s.corruption_rate);
    m["secure_aggregation.clip_range"] = absl::StrCat(s.clip_range);
    m["secure_aggregation.bits"] = absl::StrCat(s.ring_bits);
    m["secure_aggregation.max_weight"] = absl::StrCat(s.max_weight);
  }
  const config::PrivacyConfig& p = c.privacy;
  m["privacy.mode"] = p.mode;
  if (p.enabled()) {
    m["privacy.clip_norm"] = absl::StrCat(p.clip_norm);
    m["privacy.noise_multiplier"] = absl::StrCat(p.noise_multiplier);
    m["privacy.adaptive_clipping"] = p.adaptive_clipping ? "true" : "false";
    if (p.adaptive_clipping) {
      m["privacy.target_quantile"] = absl::StrCat(p.target_quantile);
      m["privacy.clip_learning_rate"] = absl::StrCat(p.clip_learning_rate);
    }
    m["privacy.delta"] = absl::StrCat(p.delta);
    m["privacy.epsilon_budget"] = absl::StrCat(p.epsilon_budget);
  }
}

std::string Fingerprint(const std::string& pem) {
  if (pem.empty()) return "";
  absl::StatusOr<crypto::Sha256Digest> digest = pki::CertificateSha256(pem);
  return digest.ok() ? crypto::DigestBytes(*digest) : "";
}

}  // namespace

v1::AuditEvent RunStartedEvent(const config::ServerConfig& config,
                               const RunStartFacts& facts) {
  v1::AuditEvent event;
  v1::RunStarted* r = event.mutable_run_started();
  r->set_run_id(facts.run_id);
  r->set_config_sha256(absl::HexStringToBytes(config.source_sha256));
  r->set_purpose_id(config.purpose_id);
  r->set_legal_basis(config.compliance.record.legal_basis());
  r->set_software_version(FEDGE_VERSION_STRING);
  r->set_secure_aggregation(config.secure_aggregation.enabled);
  *r->mutable_processing() = config.compliance.record;
  Settings(config, r->mutable_settings());
  if (config.privacy.enabled()) {
    r->set_epsilon_budget(config.privacy.epsilon_budget);
    r->set_delta(config.privacy.delta);
  }
  r->set_model_version(facts.model_version);
  r->set_model_sha256(crypto::DigestBytes(facts.model_sha256));
  r->set_resumed(facts.resumed);
  // TLS 1.3 only, enforced through OpenSSL (common/net/tls_policy.h).
  r->set_tls_min_version(facts.mutual_tls ? net::kTlsMinVersion : "none");
  r->set_mutual_tls(facts.mutual_tls);
  r->set_ca_sha256(Fingerprint(facts.ca_certificate_pem));
  r->set_server_cert_sha256(Fingerprint(facts.server_certificate_pem));
  r->set_revoked_certificates(facts.revoked_certificates);
  r->mutable_allowed_regions()->Assign(config.allowed_regions.begin(),
                                       config.allowed_regions.end());
  r->set_aggregator_region(config.compliance.aggregator_region);
  return event;
}

}  // namespace fedge::server
