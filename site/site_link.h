#ifndef FEDGE_SITE_SITE_LINK_H_
#define FEDGE_SITE_SITE_LINK_H_

// A site aggregator's link to its upstream (the `upstream:` section of a
// server config; docs/three-tiers.md). The site joins the upstream as one
// edge client, with a device certificate of the upstream's federation. For
// each of the upstream's training tasks it runs one round with its own
// devices (secure aggregation included), starting from the upstream's
// model, and uploads the difference between its committed model and that
// model, weighted by the examples behind it. The site's round is FedAvg
// (base + the example-weighted mean delta), so the upstream's FedAvg over
// sites is FedAvg over every site's devices. The upstream sees the site as
// one client: it never learns the site's devices or their updates.
//
// The link lives in its own library because it joins the two runtimes: the
// server never links the client.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "client/edge_client.h"
#include "common/config/server_config.h"
#include "server/coordinator.h"
#include "server/round_driver.h"

namespace fedge::site {

class SiteLink final : public server::RoundDriver {
 public:
  // config.upstream must be set.
  explicit SiteLink(config::ServerConfig config);

  // Joins the upstream and serves its tasks until it ends its run, then
  // ends the site's run. An error says why the upstream refused this site.
  absl::Status Drive(server::Coordinator& coordinator) override;
  void Stop() override;

  // The upstream client's counters (rounds trained, uploads accepted, ...).
  client::EdgeClientStats stats() const;

 private:
  const config::ServerConfig config_;
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  client::EdgeClient* client_ ABSL_GUARDED_BY(mu_) = nullptr;
  client::EdgeClientStats stats_ ABSL_GUARDED_BY(mu_);
};

// The client options of the site's upstream connection (tested on their
// own): the upstream's address, this site's certificate, region and
// reconnect policy; consent to the config's purpose; receipts kept in
// RUN_DIR/upstream.
client::EdgeClientOptions UpstreamClientOptions(
    const config::ServerConfig& config);

}  // namespace fedge::site

#endif  // FEDGE_SITE_SITE_LINK_H_
