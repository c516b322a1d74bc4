// Model transfer throughput for a 100 MB model over loopback with mutual TLS:
// a client downloads the global model (chunks, SHA-256 check, parse) and
// uploads an update of the same size (digest, chunks; the server checks
// size, order, digest, layout and finiteness and adds it to the sum). The
// limits printed beside: AES-256-GCM (TLS record encryption), SHA-256 and
// memcpy on this machine, measured in the same run.

#include <benchmark/benchmark.h>

#include "bench/federation_harness.h"
#include "bench/machine_limits.h"

namespace fedge::bench {
namespace {

constexpr int kRounds = 6;

void BM_ModelTransfer100MB(benchmark::State& state) {
  HarnessOptions options;
  // mlp on 352x352 inputs: 352*352*200 + ... = 24.8M parameters, 99.3 MB.
  options.model.kind = "mlp";
  options.model.input_shape = {1, 352, 352};
  options.model.num_classes = 10;
  options.clients = 1;
  options.rounds = kRounds;
  for (auto _ : state) {
    FederationHarness harness(options);
    if (!harness.Start()) {
      state.SkipWithError("could not start the federation");
      return;
    }
    harness.Finish();
    std::vector<double> down, up;
    double bytes = 0;
    for (const client::TransferEvent& e : harness.transfers()) {
      if (!e.ok) continue;
      double rate = static_cast<double>(e.bytes) / e.seconds;
      bytes = static_cast<double>(e.bytes);
      (e.direction == client::TransferEvent::Direction::kDownload ? down : up)
          .push_back(rate);
    }
    state.counters["model_MB"] = bytes / 1e6;
    state.counters["down_MBps_p50"] = Median(down) / 1e6;
    state.counters["up_MBps_p50"] = Median(up) / 1e6;
    state.counters["transfers"] = static_cast<double>(down.size() + up.size());
  }
  state.counters["limit_aes_gcm_MBps"] = AesGcmBytesPerSecond() / 1e6;
  state.counters["limit_sha256_MBps"] = Sha256BytesPerSecond() / 1e6;
  state.counters["limit_memcpy_MBps"] = MemcpyBytesPerSecond() / 1e6;
}
BENCHMARK(BM_ModelTransfer100MB)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace fedge::bench

BENCHMARK_MAIN();
