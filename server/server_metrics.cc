#include "server/server_metrics.h"

namespace fedge::server {

ServerMetrics::ServerMetrics(metrics::Registry* r)
    : joins(r->GetCounter("fedge_server_joins_total", "Accepted joins.")),
      joins_refused(r->GetCounter("fedge_server_joins_refused_total",
                                  "Refused joins (consent, region, "
                                  "revocation, withdrawal).")),
      uploads_accepted(r->GetCounter("fedge_server_uploads_total",
                                     "Update uploads by outcome.",
                                     {{"outcome", "accepted"}})),
      uploads_rejected(r->GetCounter("fedge_server_uploads_total",
                                     "Update uploads by outcome.",
                                     {{"outcome", "rejected"}})),
      bytes_received(r->GetCounter("fedge_server_received_bytes_total",
                                   "Update bytes received from clients.")),
      bytes_sent(r->GetCounter("fedge_server_sent_bytes_total",
                               "Model bytes sent to clients.")),
      rounds_completed(r->GetCounter("fedge_server_rounds_total",
                                     "Rounds by outcome.",
                                     {{"status", "completed"}})),
      rounds_abandoned(r->GetCounter("fedge_server_rounds_total",
                                     "Rounds by outcome.",
                                     {{"status", "abandoned"}})),
      evaluations(r->GetCounter("fedge_server_evaluation_reports_total",
                                "Federated evaluation reports accepted.")),
      connected_clients(r->GetGauge("fedge_server_connected_clients",
                                    "Clients with an open task stream.")),
      current_round(r->GetGauge("fedge_server_round", "Current round.")),
      model_version(r->GetGauge("fedge_server_model_version",
                                "Version of the global model.")),
      accuracy(r->GetGauge("fedge_server_accuracy",
                           "Latest central (else federated) accuracy.")),
      loss(r->GetGauge("fedge_server_loss",
                       "Latest central (else federated) loss.")),
      privacy_epsilon(r->GetGauge(
          "fedge_server_privacy_epsilon",
          "Differential privacy spent by the run so far (epsilon at the "
          "configured delta; 0 when differential privacy is off).")),
      round_seconds(r->GetHistogram(
          "fedge_server_round_seconds", "Wall time of rounds.",
          {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600})) {}

}  // namespace fedge::server
