// The audit log (common/audit) at the sizes a large simulated fleet makes:
// one entry per join, selection, upload outcome and commit, so about
// 10,000 + 200 per round for 10,000 clients and 100 per round. Each time
// is set against a limit measured in the same run (ratio = time / limit):
//   BM_Append/bytes       append an entry, written but not synced;
//                         limit: a bare write(2) of the same frame
//   BM_SignCheckpoint/n   sync, compute the root and sign, n entries;
//                         limit: fsync(2) after a small write plus one
//                         Ed25519 signature
//   BM_Receipt/n          an inclusion proof for the last entry; limit:
//                         SHA-256 over one 65-byte node per tree level (a
//                         ratio below 1 means the path came from cached
//                         subtree roots, with no hashing at all)
//   BM_VerifyLog/n        VerifyAuditLog over n entries, 1 checkpoint per
//                         100; limit: SHA-256 over every leaf and node

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/machine_limits.h"
#include "common/audit/audit_log.h"
#include "common/crypto/ed25519.h"

namespace fedge::bench {
namespace {

double Sha256Rate() {
  static const double rate = Sha256BytesPerSecond(16 << 20, 5);
  return rate;
}

// Median seconds of `step` over `repeats` runs.
template <typename Step>
double MedianSeconds(int repeats, Step step) {
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    step();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  return Median(times);
}

// A bare write(2) of `bytes`, and fsync(2) after a write of 64 bytes, on
// the temp directory's file system.
double WriteSeconds(size_t bytes, bool sync) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "fedge_audit_bench_limit")
          .string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const std::string data(sync ? 64 : bytes, 'w');
  const double seconds = MedianSeconds(sync ? 201 : 20001, [&] {
    if (::write(fd, data.data(), data.size()) < 0) std::abort();
    if (sync && ::fsync(fd) != 0) std::abort();
  });
  ::close(fd);
  std::filesystem::remove(path);
  return seconds;
}

std::string TempDir(const std::string& name) {
  std::string dir = (std::filesystem::temp_directory_path() /
                     absl::StrCat("fedge_audit_bench_", name))
                        .string();
  std::filesystem::remove_all(dir);
  return dir;
}

crypto::Ed25519KeyPair Key() {
  static const auto* key =
      new crypto::Ed25519KeyPair(*crypto::GenerateEd25519KeyPair());
  return *key;
}

// A log of `n` entries of `bytes` each; checkpoints every `every` entries
// (0: none).
std::unique_ptr<audit::AuditLogWriter> MakeLog(const std::string& dir,
                                               int64_t n, size_t bytes,
                                               int64_t every) {
  auto log =
      *audit::AuditLogWriter::Open(dir, "fedge/bench", Key().private_key);
  for (int64_t i = 0; i < n; ++i) {
    std::string entry = absl::StrCat(i, ":", std::string(bytes, 'e'));
    entry.resize(bytes);
    (void)log->Append(entry, audit::RecordLogWriter::Durability::kWritten);
    if (every > 0 && (i + 1) % every == 0) (void)log->SignCheckpoint({});
  }
  return log;
}

// Times each iteration of `step`; reports the limit (seconds) and
// time / limit.
template <typename Step>
void RunAgainst(benchmark::State& state, double limit, Step step) {
  double seconds = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    step();
    seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
  }
  const double per_iteration =
      seconds / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  state.counters["limit_us"] = limit * 1e6;
  state.counters["ratio"] = per_iteration / limit;
}

// As RunAgainst, the limit being SHA-256 over `bytes_hashed`.
template <typename Step>
void Run(benchmark::State& state, double bytes_hashed, Step step) {
  RunAgainst(state, bytes_hashed / Sha256Rate(), step);
}

void BM_Append(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0));
  const std::string dir = TempDir("append");
  auto log =
      *audit::AuditLogWriter::Open(dir, "fedge/bench", Key().private_key);
  const std::string entry(bytes, 'e');
  // A frame is 8 bytes of length and checksum, then the entry.
  RunAgainst(state, WriteSeconds(bytes + 8, /*sync=*/false), [&] {
    benchmark::DoNotOptimize(
        log->Append(entry, audit::RecordLogWriter::Durability::kWritten));
  });
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Append)->Arg(160)->Unit(benchmark::kMicrosecond);

void BM_SignCheckpoint(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::string dir = TempDir("sign");
  auto log = MakeLog(dir, n, 160, 0);
  const crypto::SecretBytes key = Key().private_key;
  const double sign = MedianSeconds(
      201, [&] { benchmark::DoNotOptimize(crypto::Ed25519Sign(key, "note")); });
  RunAgainst(state, WriteSeconds(64, /*sync=*/true) + sign,
             [&] { benchmark::DoNotOptimize(log->SignCheckpoint({})); });
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SignCheckpoint)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

void BM_Receipt(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::string dir = TempDir("receipt");
  auto log = MakeLog(dir, n, 160, 0);
  (void)log->SignCheckpoint({});
  // The limit: one node hash per level of the path.
  Run(state, 65.0 * std::ceil(std::log2(static_cast<double>(n))), [&] {
    benchmark::DoNotOptimize(log->MakeReceipt(static_cast<uint64_t>(n - 1)));
  });
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Receipt)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMicrosecond);

void BM_VerifyLog(benchmark::State& state) {
  const int64_t n = state.range(0);
  const std::string dir = TempDir("verify");
  MakeLog(dir, n, 160, 100);
  // The limit: every entry hashed once as a leaf, and n - 1 nodes.
  Run(state, static_cast<double>(n) * (161 + 65), [&] {
    auto verified = audit::VerifyAuditLog(dir, "fedge/bench", Key().public_key);
    if (!verified.ok()) state.SkipWithError("the log did not verify");
    benchmark::DoNotOptimize(verified);
  });
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_VerifyLog)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fedge::bench

BENCHMARK_MAIN();
