// Round overhead: 10 clients whose local training is a no-op, over loopback
// with mutual TLS. Each iteration is one federated round (select, push the
// task, download, upload, validate, aggregate, write checkpoint and store
// record, log the round in the audit log and sign a checkpoint, send the
// receipts); its wall time is what fedge itself costs per round. The figure
// to compare it with is the round trip of one minimal RPC on the same kind
// of connection, measured in the same run.
//   BM_RoundOverhead/secure:0   plaintext FedAvg rounds
//   BM_RoundOverhead/secure:1   secure aggregation (SecAgg+) rounds: two
//                               more stages (advertise and share keys), the
//                               masked input, and the unmask stage

#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "bench/federation_harness.h"
#include "bench/machine_limits.h"
#include "common/net/tls_credentials.h"
#include "common/pki/authority.h"
#include "fedge/v1/federation.grpc.pb.h"

namespace fedge::bench {
namespace {

constexpr int kClients = 10;
constexpr int kRounds = 100;
constexpr int kWarmupRounds = 2;

// p50 of a unary call that the server answers after authenticating the
// caller (ReportEvaluation with no round open is refused at once).
double UnaryRoundTripSeconds(const std::string& pki_dir, int port) {
  pki::PkiPaths paths(pki_dir);
  auto creds =
      net::MakeClientCredentials({paths.ca_cert(), paths.client_cert("bench-0"),
                                  paths.client_key("bench-0"), "localhost"});
  auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                           creds->credentials, creds->args);
  auto stub = v1::Federation::NewStub(channel);
  std::vector<double> times;
  for (int i = 0; i < 300; ++i) {
    grpc::ClientContext context;
    v1::ReportEvaluationResponse response;
    auto start = std::chrono::steady_clock::now();
    stub->ReportEvaluation(&context, v1::EvaluationReport(), &response);
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  times.erase(times.begin(), times.begin() + 20);  // connection set-up
  return Median(times);
}

void BM_RoundOverhead(benchmark::State& state) {
  HarnessOptions options;
  // A small model (45k parameters, 180 kB) so that the round measures the
  // protocol, not bulk transfer (that is model_transfer_bench).
  options.model.kind = "mlp";
  options.model.input_shape = {1, 4, 4};
  options.model.num_classes = 10;
  options.clients = kClients;
  options.rounds = kRounds + kWarmupRounds;
  options.secure_aggregation = state.range(0) != 0;
  FederationHarness harness(options);
  if (!harness.Start()) {
    state.SkipWithError("could not start the federation");
    return;
  }
  harness.WaitForRound(kWarmupRounds);
  std::vector<double> seconds;
  uint64_t round = kWarmupRounds;
  for (auto _ : state) {
    server::RoundReport report = harness.WaitForRound(++round);
    seconds.push_back(report.total_seconds);
    state.SetIterationTime(report.total_seconds);
  }
  harness.Finish();
  double rtt = UnaryRoundTripSeconds(harness.pki_dir(), harness.port());
  state.counters["p50_ms"] = Median(seconds) * 1e3;
  state.counters["p95_ms"] = Percentile(seconds, 95) * 1e3;
  state.counters["clients"] = kClients;
  state.counters["limit_rpc_rtt_ms"] = rtt * 1e3;
  state.counters["p50_in_rpc_rtts"] = Median(seconds) / rtt;
}
BENCHMARK(BM_RoundOverhead)
    ->ArgName("secure")
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Iterations(kRounds)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fedge::bench

BENCHMARK_MAIN();
