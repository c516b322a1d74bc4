// Differential privacy end to end: the simulator's fleet against the real
// aggregator, with central DP (the server clips and adds noise) and
// distributed DP (the clients add noise shares under secure aggregation).
// Checks what the run reports and logs, and that a privacy budget ends the
// run exactly when the accountant says it must.

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/audit/run_verifier.h"
#include "common/pki/authority.h"
#include "common/privacy/accountant.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simulations/sim_test_run.h"

namespace fedge::sim {
namespace {

using ::testing::HasSubstr;

// 10 clients, 4 a round (q = 0.4), the mlp on 64 examples each.
std::string PrivateConfig(const std::string& privacy, bool secure,
                          uint32_t rounds) {
  return absl::StrFormat(R"(name: private
seed: 9
server:
  model:
    kind: mlp
    input_shape: [1, 28, 28]
    num_classes: 10
    seed: 3
  rounds: %d
  cohort:
    min_clients: 4
    fraction: 0.4
  training:
    local_epochs: 1
    batch_size: 16
    learning_rate: 0.05
    max_examples: 64
  secure_aggregation:
    enabled: %s
  privacy:
%s
  evaluation:
    central_every: 0
fleet:
  clients: 10
  data:
    format: fashion_mnist
    split: test
  partition:
    scheme: iid
)",
                         rounds, secure ? "true" : "false", privacy);
}

struct PrivateRun {
  SimulationResult result;
  std::vector<v1::PrivacySpent> spent;  // from the audit log
  std::string metrics_jsonl;
};

PrivateRun RunPrivate(const std::string& yaml, const std::string& name) {
  PrivateRun run;
  absl::StatusOr<SimulationResult> result = RunTestSimulation(yaml, name);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return run;
  run.result = *result;
  const std::string& dir = result->run_dir;
  // The audit log verifies, invariants (budget never exceeded) included.
  auto key = audit::ReadAuditPublicKey(
      pki::PkiPaths(util::JoinPath(dir, "pki")).audit_pub());
  EXPECT_TRUE(key.ok()) << key.status();
  if (!key.ok()) return run;
  auto verified = audit::VerifyRun(util::JoinPath(dir, "server/audit"), *key);
  EXPECT_TRUE(verified.ok()) << verified.status();
  if (!verified.ok()) return run;
  EXPECT_TRUE(verified->invariants.ok()) << verified->invariants;
  for (const v1::AuditEvent& e : verified->events) {
    if (e.has_privacy_spent()) run.spent.push_back(e.privacy_spent());
  }
  run.metrics_jsonl =
      util::ReadFile(util::JoinPath(dir, "server/metrics.jsonl")).value_or("");
  return run;
}

TEST(PrivacySimulationTest, ABudgetEndsTheRunBeforeItIsExceeded) {
  const double z = 2.0, budget = 3.0, delta = 1e-5, q = 0.4;
  absl::StatusOr<uint64_t> allowed =
      privacy::MaxStepsWithinBudget(q, z, budget, delta);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  ASSERT_GT(*allowed, 0u);
  ASSERT_LT(*allowed, 10u);  // the budget must bind within the 10 rounds
  PrivateRun run = RunPrivate(PrivateConfig(absl::StrFormat(R"(    mode: central
    clip_norm: 0.5
    noise_multiplier: %g
    delta: %g
    epsilon_budget: %g)",
                                                            z, delta, budget),
                                            /*secure=*/false, 10),
                              "dp-budget");
  // Exactly the rounds the accountant allows completed; the next one was
  // not started, and the run ended.
  ASSERT_EQ(run.result.rounds.size(), *allowed + 1);
  for (uint64_t i = 0; i < *allowed; ++i) {
    EXPECT_EQ(run.result.rounds[i].status, "completed") << i;
  }
  EXPECT_EQ(run.result.rounds.back().status, "abandoned");
  EXPECT_THAT(run.result.rounds.back().reason,
              HasSubstr("the privacy budget is spent"));
  // One PrivacySpent entry per committed round, each as the accountant
  // computes it, rising to at most the budget.
  ASSERT_EQ(run.spent.size(), *allowed);
  privacy::RdpAccountant accountant;
  for (const v1::PrivacySpent& spent : run.spent) {
    accountant.Compose(q, z);
    auto expected = accountant.Epsilon(delta);
    ASSERT_TRUE(expected.ok());
    EXPECT_DOUBLE_EQ(spent.epsilon(), expected->epsilon);
    EXPECT_EQ(spent.delta(), delta);
    EXPECT_EQ(spent.noise_multiplier(), z);
    EXPECT_EQ(spent.clip_norm(), 0.5);
    EXPECT_LE(spent.epsilon(), budget);
  }
  // ... and in metrics.jsonl.
  EXPECT_THAT(run.metrics_jsonl, HasSubstr("\"epsilon\":"));
  EXPECT_THAT(run.metrics_jsonl, HasSubstr("\"round_epsilon\":"));
}

TEST(PrivacySimulationTest, AdaptiveClippingMovesTheClipNorm) {
  PrivateRun run = RunPrivate(PrivateConfig(R"(    mode: central
    clip_norm: 5.0
    noise_multiplier: 0.01
    adaptive_clipping: true
    target_quantile: 0.5
    count_noise_stddev: 0.3)",
                                            /*secure=*/false, 4),
                              "dp-adaptive");
  ASSERT_EQ(run.spent.size(), 4u);
  // (The noise is kept tiny so that the model, and with it the update
  // norms, stay as without DP.) Updates of an mlp trained on 64 examples are
  // far shorter than 5, so all
  // four are within the clip norm and it falls round after round, by a
  // factor near e^{-0.2 * (1 - 0.5)}. (The count noise, 0.3 / 4 on the
  // fraction, would need to be 6.7 standard deviations off to reverse a
  // step.) The first round used the configured norm.
  EXPECT_EQ(run.spent[0].clip_norm(), 5.0);
  for (size_t i = 1; i < run.spent.size(); ++i) {
    EXPECT_LT(run.spent[i].clip_norm(), run.spent[i - 1].clip_norm()) << i;
  }
}

TEST(PrivacySimulationTest, DistributedNoiseRunsUnderSecureAggregation) {
  PrivateRun run = RunPrivate(PrivateConfig(R"(    mode: distributed
    clip_norm: 0.5
    noise_multiplier: 0.8)",
                                            /*secure=*/true, 2),
                              "dp-distributed");
  ASSERT_EQ(run.result.rounds.size(), 2u);
  for (const RoundRow& row : run.result.rounds) {
    EXPECT_EQ(row.status, "completed") << row.reason;
  }
  ASSERT_EQ(run.spent.size(), 2u);
  EXPECT_GT(run.spent[1].epsilon(), run.spent[0].epsilon());
  EXPECT_EQ(run.spent[1].noise_multiplier(), 0.8);
}

}  // namespace
}  // namespace fedge::sim
