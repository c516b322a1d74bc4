#ifndef FEDGE_BENCH_MACHINE_LIMITS_H_
#define FEDGE_BENCH_MACHINE_LIMITS_H_

// Limits of this machine, measured in the same run as a benchmark so that its
// figures can be read as ratios (the machine is shared and noisy; absolute
// numbers drift, ratios much less).

#include <cstddef>
#include <vector>

namespace fedge::bench {

// Median over `repeats` of the throughput in bytes per second of:
double MemcpyBytesPerSecond(size_t bytes = 64 << 20, int repeats = 5);
double Sha256BytesPerSecond(size_t bytes = 64 << 20, int repeats = 5);
// AES-256-GCM encryption (what TLS 1.3 spends most of its time on).
double AesGcmBytesPerSecond(size_t bytes = 64 << 20, int repeats = 5);
// AES-256-CTR encryption through OpenSSL's EVP API in one call, the raw
// cipher under the masking PRG.
double AesCtrBytesPerSecond(size_t bytes = 64 << 20, int repeats = 5);
// The secure aggregation masking PRG: crypto::AesCtrPrg::Generate writing
// `bytes` of keystream in one call (a fresh 256-bit seed each repeat).
double PrgBytesPerSecond(size_t bytes = 64 << 20, int repeats = 5);

// Median of `values` (copied, not modified) and the p-th percentile
// (nearest rank, p in [0, 100]).
double Median(std::vector<double> values);
double Percentile(std::vector<double> values, double p);

}  // namespace fedge::bench

#endif  // FEDGE_BENCH_MACHINE_LIMITS_H_
