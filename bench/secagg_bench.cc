// Secure aggregation (SecAgg+, common/secagg) on this machine. The limit
// printed beside each time is how long this machine's masking PRG
// (AES-256-CTR through crypto::AesCtrPrg, measured in the same run) needs to
// expand the PRG bytes the measured step requires; ratio = time / that.
// (Adding the masked inputs expands no PRG bytes; memcpy is its limit.)
// Every unmasked sum is checked against the sum of the survivors' inputs,
// outside the timed part; a wrong sum fails the benchmark.
//   BM_Prg                  the PRG itself, 64 MiB per call
//   BM_MaskingParts         the pieces masking and unmasking are made of
//   BM_ClientMasking/k      SecAggClient::OnMaskedInput, m = 1M, k neighbours
//   BM_ServerUnmask/n/m/d   the server's unmask stage, d% dropped clients
//   BM_UploadSize/m/b       what one client sends (k = 40)
// Every round is driven through the real state machines with real device
// certificates; the setup (keys, shares, the clients' masking) runs on
// kWorkers threads and is not part of the timed figures.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/machine_limits.h"
#include "common/crypto/aes_gcm.h"
#include "common/crypto/prg.h"
#include "common/crypto/shamir.h"
#include "common/crypto/x25519.h"
#include "common/pki/authority.h"
#include "common/secagg/client.h"
#include "common/secagg/key_schedule.h"
#include "common/secagg/parameters.h"
#include "common/secagg/ring.h"
#include "common/secagg/server.h"
#include "common/util/file_util.h"

namespace fedge::bench {
namespace {

using secagg::SecAggClient;
using secagg::SecAggServer;

constexpr int kWorkers = 2;  // the machine's cores
constexpr uint64_t kMillion = 1000000;

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// CPU time of the calling thread: the server's thread shares the cores with
// the workers that mask, so its wall time would include their preemptions.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

// ---------------------------------------------------------------------------
// Device certificates: one federation CA in a temporary directory, one
// certificate per client id (peers check that the CN is the id), issued on
// first use and kept for the process.

class Devices {
 public:
  static Devices& Get() {
    static Devices devices;
    return devices;
  }
  ~Devices() {
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  static std::string Id(int i) { return absl::StrFormat("dev-%04d", i); }
  // The i of Id(i).
  static int Index(const std::string& id) { return std::stoi(id.substr(4)); }

  // Issues certificates to clients 0..n-1 that have none yet.
  absl::Status Ensure(int n) {
    if (dir_.empty()) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "secagg_bench_XXXXXX")
              .string();
      if (mkdtemp(pattern.data()) == nullptr) {
        return absl::InternalError("cannot create a temporary directory");
      }
      dir_ = pattern;
      pki::InitOptions options;
      options.force = true;
      if (absl::Status s = pki::InitFederation(dir_, options); !s.ok()) {
        return s;
      }
      auto ca = util::ReadFile(pki::PkiPaths(dir_).ca_cert());
      if (!ca.ok()) return ca.status();
      ca_pem_ = *ca;
    }
    pki::PkiPaths paths(dir_);
    auto start = std::chrono::steady_clock::now();
    int issued_now = 0;
    for (int i = static_cast<int>(cert_pem_.size()); i < n; ++i) {
      const std::string id = Id(i);
      if (absl::Status s = pki::IssueClient(dir_, id); !s.ok()) return s;
      auto cert = util::ReadFile(paths.client_cert(id));
      auto key = util::ReadFile(paths.client_key(id));
      if (!cert.ok()) return cert.status();
      if (!key.ok()) return key.status();
      cert_pem_.push_back(*cert);
      key_pem_.push_back(*key);
      ++issued_now;
    }
    if (issued_now > 0) {
      double seconds = Since(start);
      issue_seconds_ += seconds;
      std::fprintf(stderr, "issued %d device certificates (P-256) in %.2f s\n",
                   issued_now, seconds);
    }
    return absl::OkStatus();
  }

  secagg::ClientIdentity Identity(int i) const {
    return {Id(i), key_pem_[i], ca_pem_};
  }
  const std::string& cert(int i) const { return cert_pem_[i]; }
  int issued() const { return static_cast<int>(cert_pem_.size()); }
  double issue_seconds() const { return issue_seconds_; }

 private:
  Devices() = default;
  std::string dir_, ca_pem_;
  std::vector<std::string> cert_pem_, key_pem_;
  double issue_seconds_ = 0;
};

// ---------------------------------------------------------------------------
// Running client work on kWorkers threads. The clients are independent; the
// server is not thread-safe and is only ever called from the caller's thread.

// Runs fn(i) for every i in [0, count); the first error, if any.
absl::Status ParallelFor(size_t count,
                         const std::function<absl::Status(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  absl::Status first;
  auto work = [&] {
    for (size_t i = next++; i < count; i = next++) {
      absl::Status s = fn(i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first.ok()) first = s;
        next = count;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kWorkers; ++t) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  return first;
}

// A queue of packed masked inputs from the workers to the server's thread,
// bounded so that at most a few uploads are held in memory at once.
struct Upload {
  size_t client = 0;
  absl::StatusOr<std::string> packed;
};

class UploadQueue {
 public:
  void Push(Upload upload) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return items_.size() < kCapacity; });
    items_.push_back(std::move(upload));
    not_empty_.notify_one();
  }
  Upload Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    Upload upload = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return upload;
  }

 private:
  static constexpr size_t kCapacity = 4;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Upload> items_;
};

// Client `client`'s input: pseudo-random ring values (SplitMix64 of the
// client and the position), so that the expected sum can be recomputed.
void FillInput(int client, uint32_t bits, absl::Span<uint64_t> out) {
  const uint64_t mask = secagg::RingMask(bits);
  uint64_t x = (static_cast<uint64_t>(client) + 1) << 40;
  for (uint64_t& v : out) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    v = (z ^ (z >> 31)) & mask;
  }
}

// ---------------------------------------------------------------------------
// One round, driven to the masked-input stage: every client advertised keys
// and shared them, and holds the request with its neighbours' shares.

struct Round {
  v1::SecAggParameters params;
  int n = 0;
  std::unique_ptr<SecAggServer> server;
  std::vector<std::unique_ptr<SecAggClient>> clients;
  std::vector<v1::SecAggMaskedInputRequest> masked_requests;
  // Serialized sizes of client 0's messages and of the requests it got.
  size_t advertisement_bytes = 0, share_keys_bytes = 0;
  size_t share_keys_request_bytes = 0, masked_input_request_bytes = 0;
  // Median over the clients of OnShareKeys (checking k neighbours'
  // certificates and signatures, splitting and encrypting the shares).
  double client_share_keys_seconds = 0;
};

absl::StatusOr<std::unique_ptr<Round>> StartRound(
    const v1::SecAggParameters& params, int n) {
  Devices& devices = Devices::Get();
  if (absl::Status s = devices.Ensure(n); !s.ok()) return s;
  auto round = std::make_unique<Round>();
  round->params = params;
  round->n = n;
  secagg::ServerSetup setup;
  setup.round = 1;
  setup.params = params;
  for (int i = 0; i < n; ++i) {
    setup.cohort.push_back(Devices::Id(i));
    setup.certificates[Devices::Id(i)] = devices.cert(i);
  }
  auto server = SecAggServer::Create(setup);
  if (!server.ok()) return server.status();
  round->server = std::move(*server);
  SecAggServer& s = *round->server;

  round->clients.resize(n);
  std::vector<v1::SecAggMessage> messages(n);
  absl::Status status = ParallelFor(n, [&](size_t i) -> absl::Status {
    auto client = SecAggClient::Start(devices.Identity(static_cast<int>(i)), 1,
                                      params, &messages[i]);
    if (!client.ok()) return client.status();
    round->clients[i] = std::move(*client);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  round->advertisement_bytes = messages[0].ByteSizeLong();
  for (int i = 0; i < n; ++i) {
    status =
        s.HandleAdvertiseKeys(Devices::Id(i), messages[i].advertise_keys());
    if (!status.ok()) return status;
  }
  auto to_share = s.Close();
  if (!to_share.ok()) return to_share.status();
  round->share_keys_request_bytes =
      to_share->share_keys.at(Devices::Id(0)).ByteSizeLong();
  std::vector<double> share_keys_seconds(n);
  status = ParallelFor(n, [&](size_t i) -> absl::Status {
    auto start = std::chrono::steady_clock::now();
    auto message = round->clients[i]->OnShareKeys(
        to_share->share_keys.at(Devices::Id(static_cast<int>(i))));
    share_keys_seconds[i] = Since(start);
    if (!message.ok()) return message.status();
    messages[i] = std::move(*message);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  round->client_share_keys_seconds = Median(share_keys_seconds);
  to_share->share_keys.clear();
  round->share_keys_bytes = messages[0].ByteSizeLong();
  for (int i = 0; i < n; ++i) {
    status = s.HandleShareKeys(Devices::Id(i), messages[i].share_keys());
    if (!status.ok()) return status;
  }
  auto to_mask = s.Close();
  if (!to_mask.ok()) return to_mask.status();
  for (int i = 0; i < n; ++i) {
    round->masked_requests.push_back(
        std::move(to_mask->masked_input.at(Devices::Id(i))));
  }
  round->masked_input_request_bytes = round->masked_requests[0].ByteSizeLong();
  return round;
}

// What the rest of a round measured.
struct RoundFigures {
  size_t survivors = 0, dropped = 0;
  double add_seconds = 0;  // HandleMaskedInput, every survivor (CPU time)
  double close_masked_seconds = 0;   // Close() of the masked-input stage
  double handle_unmask_seconds = 0;  // HandleUnmask, every survivor
  double unmask_seconds = 0;         // Close() of the unmask stage
  double setup_seconds = 0;          // the clients' masking and unmasking
  double unmask_prg_bytes = 0;       // PRG bytes the unmask stage expands
  size_t masked_input_bytes = 0;     // one upload
  size_t unmask_request_bytes = 0, unmask_bytes = 0;  // first survivor's
};

// Runs the masked-input and unmask stages of `round` with the clients
// marked in `drop` silent from the masked-input stage on (they shared keys,
// so the server removes their pairwise masks), and checks the result
// against the sum of the survivors' inputs: Internal error if it differs.
absl::StatusOr<RoundFigures> FinishRound(Round& round,
                                         const std::vector<bool>& drop) {
  RoundFigures f;
  SecAggServer& server = *round.server;
  const uint32_t bits = round.params.ring_bits();
  const uint64_t m = round.params.num_elements();
  std::vector<size_t> survivors;
  for (int i = 0; i < round.n; ++i) {
    if (!drop[i]) survivors.push_back(i);
  }
  f.survivors = survivors.size();
  f.dropped = round.n - survivors.size();
  // PRG bytes of the unmask stage: one self mask per survivor, and one
  // pairwise mask per (dropped client, surviving neighbour).
  const size_t word = bits <= 32 ? 4 : 8;
  double expansions = static_cast<double>(f.survivors);
  for (int i = 0; i < round.n; ++i) {
    if (!drop[i]) continue;
    for (const std::string& peer :
         server.context()->graph->Neighbours(Devices::Id(i))) {
      if (!drop[Devices::Index(peer)]) expansions += 1;
    }
  }
  f.unmask_prg_bytes = expansions * static_cast<double>(m * word);

  // The workers mask; this thread adds each upload to the server's sum.
  auto setup_start = std::chrono::steady_clock::now();
  UploadQueue queue;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::vector<uint64_t>> expected(kWorkers);
  auto work = [&](int worker) {
    std::vector<uint64_t> input(m);
    expected[worker].assign(m, 0);
    for (size_t j = next++; j < survivors.size(); j = next++) {
      const size_t i = survivors[j];
      Upload upload;
      upload.client = i;
      if (failed) {
        upload.packed = absl::CancelledError("an earlier client failed");
      } else {
        FillInput(static_cast<int>(i), bits, absl::MakeSpan(input));
        for (uint64_t p = 0; p < m; ++p) expected[worker][p] += input[p];
        upload.packed =
            round.clients[i]->OnMaskedInput(round.masked_requests[i], input);
        round.masked_requests[i].Clear();
      }
      queue.Push(std::move(upload));
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kWorkers; ++t) threads.emplace_back(work, t);
  absl::Status status;
  for (size_t j = 0; j < survivors.size(); ++j) {
    Upload upload = queue.Pop();
    if (!status.ok()) continue;
    if (!upload.packed.ok()) {
      status = upload.packed.status();
      failed = true;
      continue;
    }
    f.masked_input_bytes = upload.packed->size();
    const double cpu_start = ThreadCpuSeconds();
    status =
        server.HandleMaskedInput(Devices::Id(upload.client), *upload.packed);
    f.add_seconds += ThreadCpuSeconds() - cpu_start;
    if (!status.ok()) failed = true;
  }
  for (std::thread& t : threads) t.join();
  if (!status.ok()) return status;

  auto start = std::chrono::steady_clock::now();
  auto to_unmask = server.Close();
  f.close_masked_seconds = Since(start);
  if (!to_unmask.ok()) return to_unmask.status();
  std::vector<v1::SecAggMessage> answers(survivors.size());
  status = ParallelFor(survivors.size(), [&](size_t j) -> absl::Status {
    const std::string id = Devices::Id(static_cast<int>(survivors[j]));
    auto answer =
        round.clients[survivors[j]]->OnUnmask(to_unmask->unmask.at(id));
    if (!answer.ok()) return answer.status();
    answers[j] = std::move(*answer);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  f.setup_seconds = Since(setup_start) - f.close_masked_seconds;
  f.unmask_request_bytes =
      to_unmask->unmask.at(Devices::Id(static_cast<int>(survivors[0])))
          .ByteSizeLong();
  f.unmask_bytes = answers[0].ByteSizeLong();
  start = std::chrono::steady_clock::now();
  for (size_t j = 0; j < survivors.size(); ++j) {
    status = server.HandleUnmask(Devices::Id(static_cast<int>(survivors[j])),
                                 answers[j].unmask());
    if (!status.ok()) return status;
  }
  f.handle_unmask_seconds = Since(start);

  start = std::chrono::steady_clock::now();
  auto done = server.Close();
  f.unmask_seconds = Since(start);
  if (!done.ok()) return done.status();

  auto result = server.Result();
  if (!result.ok()) return result.status();
  for (int w = 1; w < kWorkers; ++w) {
    for (uint64_t p = 0; p < m; ++p) expected[0][p] += expected[w][p];
  }
  secagg::Reduce(bits, absl::MakeSpan(expected[0]));
  if (result->sum != expected[0] || result->survivors.size() != f.survivors) {
    return absl::InternalError(
        "the unmasked sum is not the sum of the survivors' inputs");
  }
  return f;
}

absl::StatusOr<v1::SecAggParameters> Parameters(int n, uint64_t m,
                                                uint32_t bits, double dropout,
                                                uint32_t degree) {
  secagg::SecAggConfig config;
  config.dropout_rate = dropout;
  config.corruption_rate = 0.05;
  config.ring_bits = bits;
  config.max_weight = 1;
  config.degree = degree;
  return secagg::DeriveParameters(config, n, m - 1,
                                  absl::StrCat("secagg-bench/", n, "/", m));
}

// The PRG limit: seconds this machine's PRG needs for `bytes`, and its rate.
struct PrgLimit {
  double rate = 0;
  double Seconds(double bytes) const { return bytes / rate; }
};
PrgLimit MeasurePrg() { return {PrgBytesPerSecond(64 << 20, 5)}; }

// ---------------------------------------------------------------------------

void BM_Prg(benchmark::State& state) {
  const size_t bytes = size_t{64} << 20;
  std::vector<uint8_t> out(bytes, 0);
  auto prg = crypto::AesCtrPrg::Create(
      crypto::SecretBytes::Random(crypto::kPrgSeedBytes));
  std::vector<double> seconds;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    (*prg)->Generate(out.data(), bytes);
    benchmark::DoNotOptimize(out.data());
    seconds.push_back(Since(start));
    state.SetIterationTime(seconds.back());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["prg_GBps_p50"] = bytes / Median(seconds) / 1e9;
  state.counters["limit_aes256ctr_GBps"] = AesCtrBytesPerSecond() / 1e9;
  state.counters["limit_memcpy_GBps"] = MemcpyBytesPerSecond() / 1e9;
}
BENCHMARK(BM_Prg)->Iterations(15)->UseManualTime()->Unit(
    benchmark::kMillisecond);

// The pieces masking and unmasking are made of, at m = 1M values of 32
// bits, each the median of kRepeats, to explain where the protocol's time
// goes beyond the PRG. 'apply_mask_vector_add' does ApplyMask's work (64 KiB
// of keystream per PRG call, added to the 64-bit values) with a loop of a
// fixed length, which GCC vectorizes at -O2; it is a measurement, not code
// fedge runs. Shamir reconstruction is measured at the thresholds the
// BM_ServerUnmask grid gets from DeriveParameters.
void BM_MaskingParts(benchmark::State& state) {
  constexpr int kRepeats = 7;
  constexpr size_t m = kMillion;
  auto median_of = [&](const std::function<void()>& fn) {
    std::vector<double> s;
    for (int r = 0; r < kRepeats; ++r) {
      auto start = std::chrono::steady_clock::now();
      fn();
      s.push_back(Since(start));
    }
    return Median(s);
  };
  const crypto::SecretBytes seed =
      crypto::SecretBytes::Random(crypto::kPrgSeedBytes);
  std::vector<uint64_t> values(m), sum(m, 0);
  FillInput(0, 32, absl::MakeSpan(values));
  std::vector<uint8_t> keystream(m * 4);
  std::string packed32 = secagg::Pack(values, 32);
  for (auto _ : state) {
    state.counters["prg_4MB_ms"] =
        1e3 * median_of([&] {
          auto prg = crypto::AesCtrPrg::Create(seed);
          (*prg)->Generate(keystream.data(), keystream.size());
        });
    // As ApplyMask draws it: 64 KiB per call.
    state.counters["prg_4MB_in_64KiB_ms"] =
        1e3 * median_of([&] {
          auto prg = crypto::AesCtrPrg::Create(seed);
          for (size_t off = 0; off < keystream.size(); off += 65536) {
            (*prg)->Generate(keystream.data() + off,
                             std::min<size_t>(65536, keystream.size() - off));
          }
        });
    // ApplyMask's addition alone: 32-bit words added to the 64-bit values.
    state.counters["add_only_ms"] =
        1e3 * median_of([&] {
          const auto* words =
              reinterpret_cast<const uint32_t*>(keystream.data());
          for (size_t i = 0; i < m; ++i) values[i] += words[i];
          benchmark::DoNotOptimize(values.data());
        });
    state.counters["apply_mask_ms"] =
        1e3 * median_of([&] {
          (void)secagg::ApplyMask(seed, false, 32, absl::MakeSpan(values));
        });
    constexpr size_t kBlock = 16384;
    std::vector<uint32_t> block(kBlock);
    state.counters["apply_mask_vector_add_ms"] =
        1e3 * median_of([&] {
          auto prg = crypto::AesCtrPrg::Create(seed);
          size_t start = 0;
          for (; start + kBlock <= m; start += kBlock) {
            (*prg)->Generate(reinterpret_cast<uint8_t*>(block.data()),
                             kBlock * 4);
            uint64_t* out = values.data() + start;
            for (size_t i = 0; i < kBlock; ++i) out[i] += block[i];
          }
          (*prg)->Generate(reinterpret_cast<uint8_t*>(block.data()),
                           (m - start) * 4);
          for (size_t i = 0; start + i < m; ++i) values[start + i] += block[i];
          benchmark::DoNotOptimize(values.data());
        });
    state.counters["pack32_ms"] =
        1e3 *
        median_of([&] { benchmark::DoNotOptimize(secagg::Pack(values, 32)); });
    state.counters["pack20_ms"] =
        1e3 *
        median_of([&] { benchmark::DoNotOptimize(secagg::Pack(values, 20)); });
    state.counters["unpack_add32_ms"] =
        1e3 * median_of([&] {
          (void)secagg::UnpackAdd(packed32, 32, absl::MakeSpan(sum));
        });
    // Per-neighbour key work.
    auto a = *crypto::GenerateX25519KeyPair();
    auto b = *crypto::GenerateX25519KeyPair();
    const std::string b_pub(b.public_key.begin(), b.public_key.end());
    state.counters["pairwise_seed_us"] =
        1e6 * median_of([&] {
          (void)secagg::DerivePairwiseSeed(a.private_key, b_pub, "ctx", "u",
                                           "v");
        });
    crypto::SecretBytes key =
        *secagg::DeriveShareKey(a.private_key, b_pub, "ctx", "u", "v");
    const std::string nonce = crypto::RandomGcmNonce();
    const std::string ciphertext =
        *crypto::AesGcmEncrypt(key, nonce, std::string(160, 'x'), "aad");
    state.counters["share_decrypt_us"] =
        1e6 * median_of([&] {
          auto k =
              secagg::DeriveShareKey(a.private_key, b_pub, "ctx", "u", "v");
          (void)crypto::AesGcmDecrypt(*k, nonce, ciphertext, "aad");
        });
    state.counters["x25519_public_us"] =
        1e6 * median_of([&] {
          (void)crypto::X25519PublicFromPrivate(a.private_key);
        });
    for (int t : {6, 13, 19, 23, 32}) {
      std::vector<uint32_t> xs(t);
      std::iota(xs.begin(), xs.end(), 1);
      auto shares = *crypto::ShamirSplit(seed, t, xs);
      state.counters[absl::StrCat("shamir_reconstruct_t", t, "_us")] =
          1e6 *
          median_of([&] { (void)crypto::ShamirReconstruct(shares, t, 32); });
    }
  }
  const PrgLimit limit = MeasurePrg();
  state.counters["limit_prg_GBps"] = limit.rate / 1e9;
  state.counters["limit_prg_4MB_ms"] = 1e3 * limit.Seconds(m * 4.0);
}
BENCHMARK(BM_MaskingParts)->Iterations(1)->Unit(benchmark::kMillisecond);

// One client's masking: decrypting the k shares it received, k pairwise
// seeds (X25519 + HKDF), k + 1 mask expansions of m values, adding, packing.
// Each iteration times another client of a complete graph on k + 1 clients.
void BM_ClientMasking(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const uint64_t m = kMillion;
  auto params = Parameters(k + 1, m, 32, 0.3, k);
  if (!params.ok()) {
    state.SkipWithError(std::string(params.status().message()).c_str());
    return;
  }
  auto round = StartRound(*params, k + 1);
  if (!round.ok()) {
    state.SkipWithError(std::string(round.status().message()).c_str());
    return;
  }
  std::vector<uint64_t> input(m);
  FillInput(0, 32, absl::MakeSpan(input));
  std::vector<double> seconds;
  size_t next = 0;
  for (auto _ : state) {
    Round& r = **round;
    if (r.masked_requests[next].shares_size() != k) {
      state.SkipWithError("a client did not receive k shares");
      return;
    }
    auto start = std::chrono::steady_clock::now();
    auto packed =
        r.clients[next]->OnMaskedInput(r.masked_requests[next], input);
    seconds.push_back(Since(start));
    state.SetIterationTime(seconds.back());
    if (!packed.ok() || packed->size() != secagg::PackedSize(m, 32)) {
      state.SkipWithError("masking failed or gave the wrong size");
      return;
    }
    ++next;
  }
  const PrgLimit limit = MeasurePrg();
  const double prg_bytes = (k + 1.0) * m * 4;
  const double t = Median(seconds);
  state.counters["k"] = k;
  state.counters["t"] = params->threshold();
  state.counters["m"] = static_cast<double>(m);
  state.counters["masking_s_p50"] = t;
  state.counters["prg_GB"] = prg_bytes / 1e9;
  state.counters["limit_prg_GBps"] = limit.rate / 1e9;
  state.counters["prg_alone_s"] = limit.Seconds(prg_bytes);
  state.counters["ratio"] = t / limit.Seconds(prg_bytes);
}
BENCHMARK(BM_ClientMasking)
    ->Arg(10)
    ->Arg(40)
    ->Arg(100)
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// The server's unmask stage: n clients, m values, d% of the clients drop
// after sharing keys (no masked input), chosen at random. Timed: Close() of
// the unmask stage (Shamir reconstruction of every survivor's self-mask seed
// and every dropped client's masking key, removal of the self masks and of
// the dropped clients' pairwise masks). Reported beside it: the time to add
// all masked inputs (HandleMaskedInput) and to take the unmask messages.
void BM_ServerUnmask(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const uint64_t m = static_cast<uint64_t>(state.range(1));
  const int drop_pct = static_cast<int>(state.range(2));
  auto params = Parameters(n, m, 32, drop_pct / 100.0, 0);
  if (!params.ok()) {
    state.SkipWithError(std::string(params.status().message()).c_str());
    return;
  }
  RoundFigures f;
  double setup_seconds = 0, share_keys_seconds = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    auto round = StartRound(*params, n);
    if (!round.ok()) {
      state.SkipWithError(std::string(round.status().message()).c_str());
      return;
    }
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(static_cast<uint64_t>(n) * 1000003 + m + drop_pct);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<bool> drop(n, false);
    const int dropped = static_cast<int>(n * drop_pct / 100);
    for (int i = 0; i < dropped; ++i) drop[order[i]] = true;
    setup_seconds = Since(start);
    share_keys_seconds = (*round)->client_share_keys_seconds;
    auto figures = FinishRound(**round, drop);
    if (!figures.ok()) {
      state.SkipWithError(std::string(figures.status().message()).c_str());
      return;
    }
    f = *figures;
    setup_seconds += f.setup_seconds;
    state.SetIterationTime(f.unmask_seconds);
  }
  const PrgLimit limit = MeasurePrg();
  const double masked_bytes = static_cast<double>(f.survivors) *
                              static_cast<double>(f.masked_input_bytes);
  const double memcpy_rate = MemcpyBytesPerSecond(64 << 20, 3);
  state.counters["k"] = params->degree();
  state.counters["t"] = params->threshold();
  state.counters["U3"] = static_cast<double>(f.survivors);
  state.counters["dropped"] = static_cast<double>(f.dropped);
  state.counters["unmask_s"] = f.unmask_seconds;
  state.counters["prg_GB"] = f.unmask_prg_bytes / 1e9;
  state.counters["limit_prg_GBps"] = limit.rate / 1e9;
  state.counters["prg_alone_s"] = limit.Seconds(f.unmask_prg_bytes);
  state.counters["ratio"] =
      f.unmask_seconds / limit.Seconds(f.unmask_prg_bytes);
  state.counters["add_inputs_s"] = f.add_seconds;
  state.counters["add_inputs_GBps"] = masked_bytes / f.add_seconds / 1e9;
  state.counters["limit_memcpy_GBps"] = memcpy_rate / 1e9;
  state.counters["close_masked_s"] = f.close_masked_seconds;
  state.counters["handle_unmask_s"] = f.handle_unmask_seconds;
  state.counters["setup_s"] = setup_seconds;
  state.counters["client_share_keys_s_p50"] = share_keys_seconds;
  state.counters["certs_issue_s"] = Devices::Get().issue_seconds();
  state.counters["certs"] = Devices::Get().issued();
}
BENCHMARK(BM_ServerUnmask)
    ->ArgNames({"n", "m", "drop_pct"})
    ->ArgsProduct({{100, 1000}, {100000, 1000000}, {0, 10, 30}})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

// What one client sends, in a complete round of 41 clients (k = 40, no
// dropouts): its packed masked input against m·b/8 bytes, and its three
// protocol messages (serialized SecAggMessage); also the requests it gets.
void BM_UploadSize(benchmark::State& state) {
  const uint64_t m = static_cast<uint64_t>(state.range(0));
  const uint32_t bits = static_cast<uint32_t>(state.range(1));
  constexpr int kClients = 41;
  auto params = Parameters(kClients, m, bits, 0.3, kClients - 1);
  if (!params.ok()) {
    state.SkipWithError(std::string(params.status().message()).c_str());
    return;
  }
  RoundFigures f;
  size_t advertisement = 0, share_keys = 0, share_keys_request = 0,
         masked_input_request = 0;
  for (auto _ : state) {
    auto round = StartRound(*params, kClients);
    if (!round.ok()) {
      state.SkipWithError(std::string(round.status().message()).c_str());
      return;
    }
    advertisement = (*round)->advertisement_bytes;
    share_keys = (*round)->share_keys_bytes;
    share_keys_request = (*round)->share_keys_request_bytes;
    masked_input_request = (*round)->masked_input_request_bytes;
    auto figures = FinishRound(**round, std::vector<bool>(kClients, false));
    if (!figures.ok()) {
      state.SkipWithError(std::string(figures.status().message()).c_str());
      return;
    }
    f = *figures;
  }
  const double ideal = m * bits / 8.0;
  state.counters["k"] = params->degree();
  state.counters["masked_input_B"] = static_cast<double>(f.masked_input_bytes);
  state.counters["m_b_over_8_B"] = ideal;
  state.counters["ratio"] = f.masked_input_bytes / ideal;
  state.counters["limit_ratio"] = 1.02;
  state.counters["advertise_keys_B"] = static_cast<double>(advertisement);
  state.counters["share_keys_B"] = static_cast<double>(share_keys);
  state.counters["unmask_B"] = static_cast<double>(f.unmask_bytes);
  state.counters["share_keys_request_B"] =
      static_cast<double>(share_keys_request);
  state.counters["masked_input_request_B"] =
      static_cast<double>(masked_input_request);
  state.counters["unmask_request_B"] =
      static_cast<double>(f.unmask_request_bytes);
}
BENCHMARK(BM_UploadSize)
    ->ArgNames({"m", "b"})
    ->ArgsProduct({{100000, 1000000}, {16, 20, 32}})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace fedge::bench

BENCHMARK_MAIN();
