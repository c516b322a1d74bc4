#ifndef FEDGE_SERVER_SERVER_METRICS_H_
#define FEDGE_SERVER_SERVER_METRICS_H_

// The aggregator's Prometheus metrics, created once and shared by the
// handlers and the round driver.

#include "common/metrics/registry.h"

namespace fedge::server {

struct ServerMetrics {
  explicit ServerMetrics(metrics::Registry* registry);

  metrics::Counter* joins;
  metrics::Counter* joins_refused;
  metrics::Counter* uploads_accepted;
  metrics::Counter* uploads_rejected;
  metrics::Counter* bytes_received;
  metrics::Counter* bytes_sent;
  metrics::Counter* rounds_completed;
  metrics::Counter* rounds_abandoned;
  metrics::Counter* evaluations;
  metrics::Gauge* connected_clients;
  metrics::Gauge* current_round;
  metrics::Gauge* model_version;
  metrics::Gauge* accuracy;
  metrics::Gauge* loss;
  // Differential privacy: epsilon spent so far (0 when off).
  metrics::Gauge* privacy_epsilon;
  metrics::Histogram* round_seconds;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_SERVER_METRICS_H_
