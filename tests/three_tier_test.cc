// Three tiers end to end: a root aggregator, two site aggregators (each a
// `fedge server` with an `upstream:` section, driven by site::SiteLink) and
// three edge devices under each site, all over loopback gRPC with mutual
// TLS, each site running secure aggregation with its devices.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/audit/run_verifier.h"
#include "common/secagg/parameters.h"
#include "common/secagg/quantizer.h"
#include "gtest/gtest.h"
#include "server/audit_trail.h"
#include "site/site_link.h"
#include "tests/test_federation.h"

namespace fedge::testing {
namespace {

constexpr uint32_t kRounds = 2;

struct Site {
  std::string id;  // its identity at the root
  std::vector<std::string> devices;
  TestPki pki;  // the site's own federation (its devices, its server)
  std::string run_dir;
  config::ServerConfig config;
  std::unique_ptr<site::SiteLink> link;
  std::unique_ptr<server::FederationServer> server;
  std::vector<std::unique_ptr<ClientThread>> clients;
};

config::ServerConfig SiteConfig(const Site& s, const TestPki& root_pki,
                                int root_port) {
  config::ServerConfig c = SmallServerConfig(s.pki, s.run_dir, kRounds, 3);
  c.run_id = absl::StrCat("site-run-", s.id);
  c.cohort.available_clients = 3;
  c.secure_aggregation.enabled = true;
  c.secure_aggregation.clip_range = 0.5;
  c.secure_aggregation.max_weight = 1000;
  pki::PkiPaths root = root_pki.paths();
  c.upstream.server_address = absl::StrCat("127.0.0.1:", root_port);
  c.upstream.tls.ca_cert = root.ca_cert();
  c.upstream.tls.cert = root.client_cert(s.id);
  c.upstream.tls.key = root.client_key(s.id);
  c.upstream.tls.server_name = "localhost";
  c.upstream.region = "eu-west";
  c.upstream.reconnect.initial = absl::Milliseconds(50);
  c.upstream.reconnect.max = absl::Milliseconds(200);
  c.upstream.reconnect.give_up_after = absl::Seconds(60);
  return c;
}

TEST(ThreeTierTest, TwoSitesOfThreeDevicesGiveTheRootFedAvgOverAllSix) {
  std::vector<Site> sites(2);
  sites[0].id = "site-north";
  sites[0].devices = {"phone-n1", "phone-n2", "phone-n3"};
  sites[1].id = "site-south";
  sites[1].devices = {"phone-s1", "phone-s2", "phone-s3"};

  TestPki root_pki = MakePki({sites[0].id, sites[1].id});
  std::string root_run = MakeTempDir("fedge_root");
  config::ServerConfig root_config =
      SmallServerConfig(root_pki, root_run, kRounds, 2);
  root_config.run_id = "root-run";
  root_config.cohort.available_clients = 2;
  root_config.deadlines.training = absl::Seconds(120);
  server::ServerOptions root_options;
  root_options.config = root_config;
  root_options.show_progress = false;
  auto root = server::FederationServer::Start(std::move(root_options));
  ASSERT_TRUE(root.ok()) << root.status();

  const data::Dataset& data = FashionMnistTest();
  std::map<std::string, uint64_t> examples;
  size_t offset = 0;
  for (Site& s : sites) {
    s.pki = MakePki(s.devices);
    s.run_dir = MakeTempDir("fedge_site");
    s.config = SiteConfig(s, root_pki, (*root)->port());
    s.link = std::make_unique<site::SiteLink>(s.config);
    server::ServerOptions options;
    options.config = s.config;
    options.show_progress = false;
    options.driver = s.link.get();
    auto site_server = server::FederationServer::Start(std::move(options));
    ASSERT_TRUE(site_server.ok()) << s.id << ": " << site_server.status();
    s.server = std::move(*site_server);
    for (size_t i = 0; i < s.devices.size(); ++i) {
      const std::string& id = s.devices[i];
      const uint64_t n = 60 + 15 * examples.size();
      examples[id] = n;
      s.clients.push_back(std::make_unique<ClientThread>(
          s.pki, id, s.server->port(), Slice(data, offset, examples[id])));
      offset += examples[id];
    }
  }
  for (Site& s : sites) {
    for (auto& c : s.clients) c->Start();
  }

  ASSERT_TRUE((*root)->Wait().ok());
  for (Site& s : sites) {
    EXPECT_TRUE(s.server->Wait().ok()) << s.id;
    for (size_t i = 0; i < s.clients.size(); ++i) {
      absl::Status st = s.clients[i]->Join();
      EXPECT_TRUE(st.ok()) << s.devices[i] << ": " << st;
    }
    EXPECT_EQ(s.link->stats().uploads_accepted, kRounds) << s.id;
  }

  auto rounds = (*root)->store().ListRounds();
  ASSERT_TRUE(rounds.ok()) << rounds.status();
  ASSERT_EQ(rounds->size(), kRounds);
  for (const server::RoundRecord& r : *rounds) {
    ASSERT_EQ(r.status, "completed") << r.reason;
    EXPECT_EQ(r.completed, 2u);  // the two sites, not their six devices
  }

  // Each root round: every device trained from the root's previous model,
  // and the root's new model is FedAvg over all six devices' trained states,
  // within one quantization step of the sites' secure aggregation.
  auto params =
      secagg::DeriveParameters(sites[0].config.secure_aggregation, 3,
                               ReadCheckpoint(root_run, 0).num_elements(),
                               absl::StrCat(sites[0].config.run_id, "/1"));
  ASSERT_TRUE(params.ok()) << params.status();
  const double step = secagg::QuantizationStep(*params);
  for (uint32_t round = 1; round <= kRounds; ++round) {
    tensor::ParameterSet previous = ReadCheckpoint(root_run, round - 1);
    tensor::ParameterSet got = ReadCheckpoint(root_run, round);
    std::vector<std::pair<const tensor::ParameterSet*, uint64_t>> trained;
    std::vector<std::vector<RecordingTrainer::Record>> keep;
    for (Site& s : sites) {
      for (size_t i = 0; i < s.clients.size(); ++i) {
        keep.push_back(s.clients[i]->trainer()->records());
        ASSERT_EQ(keep.back().size(), kRounds) << s.devices[i];
        const RecordingTrainer::Record& rec = keep.back()[round - 1];
        EXPECT_TRUE(rec.global.values() == previous.values())
            << s.devices[i] << " did not start round " << round
            << " from the root's model";
        EXPECT_EQ(rec.num_examples, examples[s.devices[i]]);
      }
    }
    for (const auto& records : keep) {
      trained.push_back(
          {&records[round - 1].trained, records[round - 1].num_examples});
    }
    std::vector<double> fedavg = WeightedMean(trained);
    EXPECT_LE(MaxAbsDiff(got.values(), fedavg), step + 1e-5)
        << "root round " << round << " is not FedAvg over the six devices";
    EXPECT_GT(MaxAbsDiff(previous.values(), fedavg), 1e-3)
        << "round " << round << " learned nothing";
  }

  // The root's audit log verifies, and names the sites, never a device.
  auto key = audit::ReadAuditPublicKey(root_pki.paths().audit_pub());
  ASSERT_TRUE(key.ok()) << key.status();
  auto verified = audit::VerifyRun(server::AuditTrail::DirFor(root_run), *key);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->invariants.ok()) << verified->invariants;
  std::string all_events;
  for (const v1::AuditEvent& e : verified->events) {
    all_events += e.DebugString();
  }
  for (const Site& s : sites) {
    EXPECT_NE(all_events.find(s.id), std::string::npos)
        << "the root's audit log does not name " << s.id;
    for (const std::string& device : s.devices) {
      EXPECT_EQ(all_events.find(device), std::string::npos)
          << "the root's audit log names " << s.id << "'s device " << device;
    }
  }
  // Each site's own log names its devices (the site is where they are
  // accountable).
  for (const Site& s : sites) {
    auto site_key = audit::ReadAuditPublicKey(s.pki.paths().audit_pub());
    ASSERT_TRUE(site_key.ok()) << site_key.status();
    auto site_log =
        audit::VerifyRun(server::AuditTrail::DirFor(s.run_dir), *site_key);
    ASSERT_TRUE(site_log.ok()) << s.id << ": " << site_log.status();
    EXPECT_TRUE(site_log->invariants.ok())
        << s.id << ": " << site_log->invariants;
    size_t adopted = 0;
    for (const v1::AuditEvent& e : site_log->events) {
      adopted += e.has_upstream_model();
    }
    EXPECT_EQ(adopted, kRounds) << s.id << " logged no adopted upstream model";
    std::string site_events;
    for (const v1::AuditEvent& e : site_log->events) {
      site_events += e.DebugString();
    }
    for (const std::string& device : s.devices) {
      EXPECT_NE(site_events.find(device), std::string::npos)
          << s.id << "'s audit log does not name " << device;
    }
  }
}

}  // namespace
}  // namespace fedge::testing
