// Load (issue 7): many client connections held by one aggregator, measured
// end to end. Not a Google Benchmark program: a scenario in three phases that
// prints its figures (docs/performance.md, "Load").
//
// The aggregator (the real FederationServer: mutual TLS, secure aggregation,
// SQLite store, audit log) runs in a child process, this same executable
// started with --server, so that its RSS and CPU are read from /proc apart
// from the load generator's. The load generator (this process) runs N edge
// clients (client::EdgeClient, the deployed runtime, with a no-op trainer),
// each with its own device certificate and its own gRPC channel, so N
// distinct TLS connections, each with its task stream open.
//
//   phase 1, idle:  N connections held for --idle_seconds; server RSS, CPU.
//   phase 2, load:  --rounds secure rounds, --cohort of the N selected each;
//                   round time, server CPU, server peak RSS.
//   phase 3, soak:  --soak_rounds more rounds; server RSS after each round,
//                   first / median / last and the least-squares slope.
//
// The parent drives the server's rounds through a line protocol on the
// child's stdin/stdout: the server stops before each round's selection
// ("ready R") until told "go", so the idle phase is idle and each round's
// RSS sample is taken at the same point of the server's life.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/federation_harness.h"
#include "bench/machine_limits.h"
#include "bench/process_stats.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"

extern char** environ;

namespace fedge::bench {
namespace {

struct Flags {
  uint32_t clients = 1000;
  uint32_t cohort = 200;
  int idle_seconds = 60;
  uint32_t rounds = 10;
  uint32_t soak_rounds = 100;
  // Seconds between samples of the server while idle.
  double sample_seconds = 2;
  int connect_timeout_seconds = 900;
  bool keep_dirs = false;
  // Runs the server under this command (space-separated), e.g. "heaptrack"
  // or "valgrind --tool=massif", to find where its memory goes.
  std::string server_wrapper;
  // Child role.
  bool server = false;
  std::string pki_dir;
  std::string run_dir;
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    std::pair<std::string, std::string> kv =
        absl::StrSplit(argv[i], absl::MaxSplits('=', 1));
    const std::string& k = kv.first;
    const std::string& v = kv.second;
    bool ok = true;
    if (k == "--clients") {
      ok = absl::SimpleAtoi(v, &f->clients) && f->clients >= 2;
    } else if (k == "--cohort") {
      ok = absl::SimpleAtoi(v, &f->cohort) && f->cohort >= 2;
    } else if (k == "--idle_seconds") {
      ok = absl::SimpleAtoi(v, &f->idle_seconds);
    } else if (k == "--rounds") {
      ok = absl::SimpleAtoi(v, &f->rounds);
    } else if (k == "--soak_rounds") {
      ok = absl::SimpleAtoi(v, &f->soak_rounds);
    } else if (k == "--sample_seconds") {
      ok = absl::SimpleAtod(v, &f->sample_seconds) && f->sample_seconds > 0;
    } else if (k == "--connect_timeout_seconds") {
      ok = absl::SimpleAtoi(v, &f->connect_timeout_seconds);
    } else if (k == "--server_wrapper") {
      f->server_wrapper = v;
    } else if (k == "--keep_dirs") {
      f->keep_dirs = true;
    } else if (k == "--server") {
      f->server = true;
    } else if (k == "--pki_dir") {
      f->pki_dir = v;
    } else if (k == "--run_dir") {
      f->run_dir = v;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "load_scenario: bad flag %s\n"
                   "usage: load_scenario [--clients=1000] [--cohort=200] "
                   "[--idle_seconds=60] [--rounds=10] [--soak_rounds=100] "
                   "[--sample_seconds=2] [--connect_timeout_seconds=900] "
                   "[--keep_dirs] [--server_wrapper=CMD]\n",
                   argv[i]);
      return false;
    }
  }
  if (f->cohort > f->clients) {
    std::fprintf(stderr, "load_scenario: --cohort exceeds --clients\n");
    return false;
  }
  return true;
}

// A small model (45k parameters, 180 kB) so that the rounds measure the
// server's handling of many clients, not bulk transfer.
models::ModelSpec SmallModel() {
  models::ModelSpec spec;
  spec.kind = "mlp";
  spec.input_shape = {1, 4, 4};
  spec.num_classes = 10;
  return spec;
}

HarnessOptions ScenarioHarnessOptions(const Flags& f) {
  HarnessOptions h;
  h.model = SmallModel();
  h.clients = f.clients;
  // One more than are run, so that the server waits before the selection
  // of a round after the last one measured (the soak's last RSS sample is
  // taken there, as every other).
  h.rounds = f.rounds + f.soak_rounds + 1;
  h.secure_aggregation = true;
  return h;
}

// ---------------------------------------------------------------------------
// The server process.

class ServerControl final : public server::RunObserver {
 public:
  void Emit(const std::string& line) {
    absl::MutexLock lock(&out_mu_);
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  // Before each round's selection: waits for "go".
  void BeforeSelection(uint64_t round) {
    Emit(absl::StrCat("ready ", round));
    absl::MutexLock lock(&mu_);
    auto released = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return go_ >= round;
    };
    mu_.Await(absl::Condition(&released));
    go_time_ = absl::Now();
  }

  void Go() {
    absl::MutexLock lock(&mu_);
    ++go_;
  }
  void ReleaseAll() {
    absl::MutexLock lock(&mu_);
    go_ = UINT64_MAX;
  }

  void OnRound(const server::RoundReport& r) override {
    absl::Time go;
    {
      absl::MutexLock lock(&mu_);
      go = go_time_;
    }
    // From "go" (the end of the wait) to the round's report: selection,
    // the secure aggregation stages, uploads, aggregation, commit, audit,
    // receipts.
    Emit(absl::StrFormat("round %d %s %d %d %d %.6f %.6f %.6f %d %d %s",
                         r.round, r.status, r.selected, r.completed, r.dropped,
                         absl::ToDoubleSeconds(absl::Now() - go),
                         r.training_seconds, r.aggregation_seconds, r.bytes_up,
                         r.bytes_down, r.reason));
  }
  void OnRunFinished(const std::string& outcome) override {
    Emit(absl::StrCat("finished ", outcome));
  }

 private:
  absl::Mutex out_mu_;
  absl::Mutex mu_;
  uint64_t go_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time go_time_ ABSL_GUARDED_BY(mu_);
};

int RunServer(const Flags& f) {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  RaiseOpenFileLimit();
  ServerControl control;
  server::ServerOptions options =
      BenchServerOptions(ScenarioHarnessOptions(f), f.pki_dir, f.run_dir);
  config::ServerConfig& c = options.config;
  // All N connected before every selection; cohort of exactly --cohort;
  // the round completes with up to a quarter of it lost.
  c.cohort.available_clients = f.clients;
  c.cohort.fraction =
      static_cast<double>(f.cohort) / static_cast<double>(f.clients);
  c.cohort.max_clients = f.cohort;
  c.cohort.min_clients = std::max<uint32_t>(2, f.cohort * 3 / 4);
  c.deadlines.selection = absl::Hours(24);
  options.observer = &control;
  options.before_selection = [&control](uint64_t round) {
    control.BeforeSelection(round);
  };
  auto started = server::FederationServer::Start(std::move(options));
  if (!started.ok()) {
    control.Emit(absl::StrCat("error ", started.status().ToString()));
    return 1;
  }
  std::unique_ptr<server::FederationServer> server = std::move(*started);
  // Our own pid: under --server_wrapper the parent's child is the wrapper.
  control.Emit(absl::StrCat("port ", server->port(), " ", ::getpid()));

  // Commands from the parent, one a line.
  std::thread commands([&] {
    std::string line;
    while (std::getline(std::cin, line)) {
      std::vector<std::string> words = absl::StrSplit(line, ' ');
      if (words[0] == "go") {
        control.Go();
      } else if (words[0] == "count") {
        control.Emit(absl::StrCat("streaming ", server->connected_clients()));
      } else if (words[0] == "await" && words.size() == 3) {
        size_t n = 0;
        int seconds = 0;
        if (!absl::SimpleAtoi(words[1], &n) ||
            !absl::SimpleAtoi(words[2], &seconds)) {
          continue;
        }
        const bool ok = server->AwaitConnectedClients(
            n, absl::Now() + absl::Seconds(seconds));
        control.Emit(absl::StrCat("await ", ok ? "ok " : "timeout ",
                                  server->connected_clients()));
      } else if (words[0] == "stop") {
        break;
      }
    }
    // "stop", or the parent went away.
    server->Stop("load scenario finished");
    control.ReleaseAll();
  });
  absl::Status status = server->Wait();
  server->Shutdown();
  control.Emit(absl::StrCat("done ", status.ok() ? "ok" : status.ToString()));
  // The command thread may still be blocked reading stdin.
  std::fflush(stdout);
  std::_Exit(status.ok() ? 0 : 1);
}

// ---------------------------------------------------------------------------
// The load generator.

// The server child and its pipes.
class ServerProcess {
 public:
  bool Spawn(const Flags& f, const std::string& log_path) {
    int to_child[2], from_child[2];
    if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) return false;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addclose(&actions, to_child[1]);
    posix_spawn_file_actions_addclose(&actions, from_child[0]);
    char self[4096];
    const ssize_t len = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len <= 0) return false;
    self[len] = '\0';
    std::vector<std::string> args;
    if (!f.server_wrapper.empty()) {
      args = absl::StrSplit(f.server_wrapper, ' ', absl::SkipEmpty());
    }
    args.insert(args.end(),
                {self, "--server", absl::StrCat("--pki_dir=", f.pki_dir),
                 absl::StrCat("--run_dir=", f.run_dir),
                 absl::StrCat("--clients=", f.clients),
                 absl::StrCat("--cohort=", f.cohort),
                 absl::StrCat("--rounds=", f.rounds),
                 absl::StrCat("--soak_rounds=", f.soak_rounds)});
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc =
        posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    if (rc != 0) return false;
    in_ = ::fdopen(to_child[1], "w");
    out_ = ::fdopen(from_child[0], "r");
    return in_ != nullptr && out_ != nullptr;
  }

  void Send(const std::string& command) {
    std::fprintf(in_, "%s\n", command.c_str());
    std::fflush(in_);
  }

  // The next line starting with `prefix` (other lines are skipped);
  // nullopt if the server exited first.
  std::optional<std::vector<std::string>> Expect(const std::string& prefix) {
    char* buffer = nullptr;
    size_t size = 0;
    std::optional<std::vector<std::string>> result;
    while (::getline(&buffer, &size, out_) > 0) {
      std::string line(buffer);
      if (!line.empty() && line.back() == '\n') line.pop_back();
      if (line.rfind("error ", 0) == 0) {
        std::fprintf(stderr, "server: %s\n", line.c_str() + 6);
        break;
      }
      if (line.rfind(prefix + " ", 0) == 0) {
        result = absl::StrSplit(line, ' ');
        break;
      }
    }
    std::free(buffer);
    return result;
  }

  // Closes its stdin (the server stops) and waits for it to exit.
  int Finish() {
    if (in_ != nullptr) {
      std::fclose(in_);
      in_ = nullptr;
    }
    int status = 0;
    if (pid_ > 0) ::waitpid(pid_, &status, 0);
    if (out_ != nullptr) std::fclose(out_);
    out_ = nullptr;
    pid_ = -1;
    return status;
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      Finish();
    }
  }

  // The server's own process, measured: the child, or the process the
  // child (a --server_wrapper) runs, once the server said so.
  pid_t pid() const { return server_pid_ > 0 ? server_pid_ : pid_; }
  void set_server_pid(pid_t pid) { server_pid_ = pid; }

 private:
  pid_t pid_ = -1;  // the child spawned
  pid_t server_pid_ = -1;
  FILE* in_ = nullptr;
  FILE* out_ = nullptr;
};

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Sockets the process holds (entries of /proc/PID/fd that are sockets).
int CountSockets(pid_t pid) {
  const std::string dir = absl::StrCat("/proc/", pid, "/fd");
  std::error_code error;
  std::filesystem::directory_iterator entries(dir, error);
  if (error) return -1;
  int n = 0;
  char target[64];
  for (const auto& entry : entries) {
    const std::string path = entry.path().string();
    ssize_t len = ::readlink(path.c_str(), target, sizeof(target) - 1);
    if (len <= 0) continue;
    target[len] = '\0';
    if (std::strncmp(target, "socket:", 7) == 0) ++n;
  }
  return n;
}

struct RoundFigures {
  uint64_t round = 0;
  std::string status;
  int selected = 0, completed = 0, dropped = 0;
  double seconds = 0;
  double server_cpu_seconds = 0;
  double client_cpu_seconds = 0;
  double rss_after_kib = 0;  // server, waiting before the next selection
};

double MiB(double kib) { return kib / 1024.0; }

// Runs rounds [first, last]; returns their figures (empty on failure).
std::vector<RoundFigures> RunRounds(ServerProcess& server, uint64_t first,
                                    uint64_t last, const char* phase) {
  std::vector<RoundFigures> out;
  const pid_t self = ::getpid();
  for (uint64_t r = first; r <= last; ++r) {
    std::optional<ProcessSample> s0 = SampleProcess(server.pid());
    std::optional<ProcessSample> c0 = SampleProcess(self);
    server.Send("go");
    auto line = server.Expect("round");
    std::optional<ProcessSample> s1 = SampleProcess(server.pid());
    std::optional<ProcessSample> c1 = SampleProcess(self);
    if (!line || line->size() < 11 || !s0 || !s1) {
      std::fprintf(stderr, "%s: the server went away in round %d\n", phase,
                   static_cast<int>(r));
      return {};
    }
    RoundFigures fig;
    const std::vector<std::string>& w = *line;
    (void)absl::SimpleAtoi(w[1], &fig.round);
    fig.status = w[2];
    (void)absl::SimpleAtoi(w[3], &fig.selected);
    (void)absl::SimpleAtoi(w[4], &fig.completed);
    (void)absl::SimpleAtoi(w[5], &fig.dropped);
    (void)absl::SimpleAtod(w[6], &fig.seconds);
    fig.server_cpu_seconds = s1->cpu_seconds - s0->cpu_seconds;
    fig.client_cpu_seconds = c1->cpu_seconds - c0->cpu_seconds;
    // The server is idle again once it waits before the next selection.
    if (!server.Expect("ready")) return {};
    std::optional<ProcessSample> s2 = SampleProcess(server.pid());
    fig.rss_after_kib = s2 ? s2->rss_kib : 0;
    if (fig.status != "completed") {
      std::string reason;
      for (size_t i = 11; i < w.size(); ++i)
        absl::StrAppend(&reason, " ", w[i]);
      std::fprintf(stderr, "%s: round %d %s:%s\n", phase, static_cast<int>(r),
                   fig.status.c_str(), reason.c_str());
    }
    std::fprintf(stderr,
                 "%s: round %d %s, %d/%d uploads, %.2f s, server %.2f CPU-s, "
                 "clients %.2f CPU-s, server RSS %.1f MiB\n",
                 phase, static_cast<int>(r), fig.status.c_str(), fig.completed,
                 fig.selected, fig.seconds, fig.server_cpu_seconds,
                 fig.client_cpu_seconds, MiB(fig.rss_after_kib));
    out.push_back(fig);
  }
  return out;
}

// Samples a process every `period` seconds on its own thread until stopped.
class Sampler {
 public:
  Sampler(pid_t pid, double period)
      : thread_([this, pid, period] {
          while (!stop_.load()) {
            if (auto s = SampleProcess(pid)) {
              absl::MutexLock lock(&mu_);
              samples_.push_back(*s);
            }
            absl::SleepFor(absl::Seconds(period));
          }
        }) {}
  std::vector<ProcessSample> Stop() {
    stop_ = true;
    thread_.join();
    absl::MutexLock lock(&mu_);
    return samples_;
  }

 private:
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  std::vector<ProcessSample> samples_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

int RunScenario(Flags f) {
  const long nofile = RaiseOpenFileLimit();
  // Each process holds one socket per client, plus its own files.
  if (nofile < static_cast<long>(f.clients) + 64) {
    std::fprintf(stderr,
                 "load_scenario: the open-file limit is %ld, too low for %d "
                 "connections; raise it (ulimit -Hn)\n",
                 nofile, static_cast<int>(f.clients));
    return 1;
  }
  std::fprintf(stderr, "open-file limit (soft, raised to hard): %ld\n", nofile);
  const std::string load_at_start = LoadAverage();
  std::fprintf(stderr, "load average (1, 5, 15 min): %s\n",
               load_at_start.c_str());
  f.pki_dir = TempDir("fedge_load_pki");
  f.run_dir = TempDir("fedge_load_run");

  double t = Now();
  if (absl::Status s = MakeBenchPki(f.pki_dir, f.clients); !s.ok()) {
    std::fprintf(stderr, "pki: %s\n", s.ToString().c_str());
    return 1;
  }
  const double pki_seconds = Now() - t;
  std::fprintf(stderr, "PKI with %d device certificates: %.1f s\n",
               static_cast<int>(f.clients), pki_seconds);

  ServerProcess server;
  const std::string log_path = util::JoinPath(f.run_dir, "server.log");
  if (!server.Spawn(f, log_path)) {
    std::fprintf(stderr, "cannot start the server process\n");
    return 1;
  }
  auto port_line = server.Expect("port");
  if (!port_line) {
    std::fprintf(stderr, "the server did not start; see %s\n",
                 log_path.c_str());
    return 1;
  }
  const std::string address = absl::StrCat("127.0.0.1:", (*port_line)[1]);
  int server_pid = 0;
  if (port_line->size() >= 3 &&
      absl::SimpleAtoi((*port_line)[2], &server_pid)) {
    server.set_server_pid(server_pid);
  }
  std::optional<ProcessSample> server_started = SampleProcess(server.pid());
  std::fprintf(stderr, "server pid %d on %s, RSS %.1f MiB before clients\n",
               static_cast<int>(server.pid()), address.c_str(),
               MiB(server_started ? server_started->rss_kib : 0));

  // --- Connect N clients.
  EdgeClientPoolOptions pool_options;
  pool_options.server_address = address;
  pool_options.pki_dir = f.pki_dir;
  pool_options.count = f.clients;
  EdgeClientPool pool(std::move(pool_options));
  t = Now();
  pool.Start();
  server.Send(
      absl::StrCat("await ", f.clients, " ", f.connect_timeout_seconds));
  auto awaited = server.Expect("await");
  const double connect_seconds = Now() - t;
  if (!awaited || (*awaited)[1] != "ok") {
    std::fprintf(stderr, "not all %d clients connected within %d s\n",
                 static_cast<int>(f.clients), f.connect_timeout_seconds);
    return 1;
  }
  std::fprintf(
      stderr, "%d clients streaming after %.1f s; server holds %d sockets\n",
      static_cast<int>(f.clients), connect_seconds, CountSockets(server.pid()));

  // --- Phase 1: idle.
  std::vector<double> idle_rss, idle_cpu, client_idle_cpu;
  double idle_cpu_mean = 0, client_idle_rss = 0, client_idle_cpu_mean = 0;
  int idle_sockets = 0;
  std::string idle_streaming = "-";
  int idle_threads = 0;
  if (f.idle_seconds > 0) {
    absl::SleepFor(absl::Seconds(5));  // let the joins' work settle
    const pid_t self = ::getpid();
    std::optional<ProcessSample> first = SampleProcess(server.pid());
    std::optional<ProcessSample> cfirst = SampleProcess(self);
    std::optional<ProcessSample> prev = first, cprev = cfirst;
    const double end = Now() + f.idle_seconds;
    while (Now() < end) {
      absl::SleepFor(absl::Seconds(f.sample_seconds));
      std::optional<ProcessSample> s = SampleProcess(server.pid());
      std::optional<ProcessSample> c = SampleProcess(self);
      if (!s || !c) return 1;
      idle_rss.push_back(s->rss_kib);
      idle_cpu.push_back(CpuPercent(*prev, *s));
      client_idle_cpu.push_back(CpuPercent(*cprev, *c));
      idle_threads = s->threads;
      prev = s;
      cprev = c;
    }
    idle_cpu_mean = CpuPercent(*first, *prev);
    client_idle_cpu_mean = CpuPercent(*cfirst, *cprev);
    client_idle_rss = cprev->rss_kib;
    idle_sockets = CountSockets(server.pid());
    server.Send("count");
    if (auto count = server.Expect("streaming")) idle_streaming = (*count)[1];
    std::fprintf(stderr,
                 "idle %d s: server RSS median %.1f MiB, CPU median %.2f%% "
                 "(mean %.3f%%), %s streaming\n",
                 f.idle_seconds, MiB(Median(idle_rss)), Median(idle_cpu),
                 idle_cpu_mean, idle_streaming.c_str());
  }

  // --- Phase 2: rounds with --cohort selected.
  std::vector<RoundFigures> load;
  double load_peak_kib = 0, load_cpu_percent = 0;
  std::vector<double> load_rss_samples;
  if (f.rounds > 0) {
    const bool reset = ResetPeakRss(server.pid());
    std::optional<ProcessSample> s0 = SampleProcess(server.pid());
    Sampler sampler(server.pid(), 0.2);
    load = RunRounds(server, 1, f.rounds, "load");
    std::vector<ProcessSample> samples = sampler.Stop();
    if (load.empty()) return 1;
    std::optional<ProcessSample> s = SampleProcess(server.pid());
    for (const ProcessSample& p : samples) {
      load_rss_samples.push_back(p.rss_kib);
      load_peak_kib = std::max(load_peak_kib, p.rss_kib);
    }
    if (reset && s) load_peak_kib = std::max(load_peak_kib, s->hwm_kib);
    // From before the first "go" to after the last round: the samples of
    // the 0.2-s sampler may miss both ends of a short phase.
    if (s0 && s) load_cpu_percent = CpuPercent(*s0, *s);
  }

  // --- Phase 3: soak.
  std::vector<RoundFigures> soak;
  if (f.soak_rounds > 0) {
    soak = RunRounds(server, f.rounds + 1, f.rounds + f.soak_rounds, "soak");
    if (soak.empty()) return 1;
  }

  server.Send("stop");
  server.Expect("done");
  // Clients told the run finished have returned; one that was reconnecting
  // when the server stopped (a keepalive timeout under load) would retry
  // for ever.
  pool.Stop();
  pool.Join();
  const int exit_status = server.Finish();

  // --- Report.
  std::printf(
      "\nLoad scenario: %d clients (own certificate and TLS "
      "connection each), cohort %d, secure aggregation on, model "
      "mlp 45k parameters\n",
      static_cast<int>(f.clients), static_cast<int>(f.cohort));
  std::printf("machine: %u cores; PKI %.1f s; all %d streaming after %.1f s\n",
              std::thread::hardware_concurrency(), pki_seconds,
              static_cast<int>(f.clients), connect_seconds);
  std::printf("load average (1, 5, 15 min) at start: %s; at end: %s\n",
              load_at_start.c_str(), LoadAverage().c_str());
  std::printf("\n| phase | figure | value |\n|---|---|---|\n");
  if (server_started) {
    std::printf("| start | server RSS before clients | %.1f MiB |\n",
                MiB(server_started->rss_kib));
  }
  if (!idle_rss.empty()) {
    std::printf(
        "| idle %d s | clients streaming (server's count) / server "
        "sockets | %s / %d |\n",
        f.idle_seconds, idle_streaming.c_str(), idle_sockets);
    std::printf(
        "| idle | server RSS median (min-max) | %.1f MiB (%.1f-%.1f) "
        "|\n",
        MiB(Median(idle_rss)),
        MiB(*std::min_element(idle_rss.begin(), idle_rss.end())),
        MiB(*std::max_element(idle_rss.begin(), idle_rss.end())));
    std::printf(
        "| idle | server CPU, median of %zu %.0f-s samples (mean) | "
        "%.2f%% (%.3f%%) of one core |\n",
        idle_cpu.size(), f.sample_seconds, Median(idle_cpu), idle_cpu_mean);
    std::printf("| idle | server threads | %d |\n", idle_threads);
    std::printf(
        "| idle | load generator RSS / CPU mean | %.1f MiB / %.2f%% "
        "|\n",
        MiB(client_idle_rss), client_idle_cpu_mean);
  }
  auto col = [](const std::vector<RoundFigures>& v,
                double RoundFigures::*field) {
    std::vector<double> out;
    for (const RoundFigures& r : v) out.push_back(r.*field);
    return out;
  };
  if (!load.empty()) {
    int completed = 0;
    for (const RoundFigures& r : load) completed += r.status == "completed";
    std::vector<double> secs = col(load, &RoundFigures::seconds);
    std::vector<double> scpu = col(load, &RoundFigures::server_cpu_seconds);
    std::vector<double> ccpu = col(load, &RoundFigures::client_cpu_seconds);
    std::vector<double> share;
    for (const RoundFigures& r : load) {
      share.push_back((r.server_cpu_seconds + r.client_cpu_seconds) /
                      (r.seconds * std::thread::hardware_concurrency()));
    }
    std::printf("| load | rounds completed | %d of %zu (%d selected each) |\n",
                completed, load.size(), load.front().selected);
    std::printf(
        "| load | round time median (min-max) | %.2f s (%.2f-%.2f) "
        "|\n",
        Median(secs), *std::min_element(secs.begin(), secs.end()),
        *std::max_element(secs.begin(), secs.end()));
    std::printf(
        "| load | server CPU per round, median | %.2f CPU-s (%.0f%% "
        "of one core over the round) |\n",
        Median(scpu), 100.0 * Median(scpu) / Median(secs));
    std::printf(
        "| load | load generator CPU per round, median | %.2f CPU-s "
        "|\n",
        Median(ccpu));
    std::printf(
        "| load | limit: machine busy (server + clients CPU) / "
        "(cores x round time), median | %.2f |\n",
        Median(share));
    std::printf("| load | server CPU over the phase | %.0f%% of one core |\n",
                load_cpu_percent);
    std::printf(
        "| load | server RSS peak (VmHWM, 0.2-s samples) | %.1f MiB "
        "|\n",
        MiB(load_peak_kib));
    std::printf("| load | server RSS median of 0.2-s samples | %.1f MiB |\n",
                MiB(Median(load_rss_samples)));
  }
  if (!soak.empty()) {
    int completed = 0;
    for (const RoundFigures& r : soak) completed += r.status == "completed";
    std::vector<double> rss = col(soak, &RoundFigures::rss_after_kib);
    std::vector<double> x;
    for (const RoundFigures& r : soak)
      x.push_back(static_cast<double>(r.round));
    const double slope = LeastSquaresSlope(x, rss);
    // The second half alone: growth that continues after the warm-up.
    std::vector<double> x2(x.begin() + x.size() / 2, x.end());
    std::vector<double> rss2(rss.begin() + rss.size() / 2, rss.end());
    std::vector<double> secs = col(soak, &RoundFigures::seconds);
    std::printf("| soak | rounds completed | %d of %zu (%d selected each) |\n",
                completed, soak.size(), soak.front().selected);
    std::printf("| soak | round time median | %.2f s |\n", Median(secs));
    std::printf(
        "| soak | server RSS after round first / median / last | %.1f "
        "/ %.1f / %.1f MiB |\n",
        MiB(rss.front()), MiB(Median(rss)), MiB(rss.back()));
    std::printf("| soak | server RSS min / max | %.1f / %.1f MiB |\n",
                MiB(*std::min_element(rss.begin(), rss.end())),
                MiB(*std::max_element(rss.begin(), rss.end())));
    std::printf(
        "| soak | RSS slope, least squares, all rounds | %+.1f KiB per "
        "round |\n",
        slope);
    std::printf("| soak | RSS slope, second half | %+.1f KiB per round |\n",
                LeastSquaresSlope(x2, rss2));
    std::printf("\nsoak RSS after each round (KiB):");
    for (size_t i = 0; i < rss.size(); ++i) {
      std::printf("%s%.0f", i % 10 == 0 ? "\n  " : " ", rss[i]);
    }
    std::printf("\n");
  }
  size_t not_completed = 0;
  for (const std::vector<RoundFigures>* phase : {&load, &soak}) {
    for (const RoundFigures& r : *phase)
      not_completed += r.status != "completed";
  }
  std::printf(
      "\nrounds not completed: %zu; client failures: %zu; server exit status "
      "%d; run dir %s%s\n",
      not_completed, pool.failures(), exit_status, f.run_dir.c_str(),
      f.keep_dirs ? "" : " (removed)");
  if (!f.keep_dirs) {
    std::error_code error;
    std::filesystem::remove_all(f.pki_dir, error);
    std::filesystem::remove_all(f.run_dir, error);
  }
  // Figures are printed either way; the exit status says whether the run
  // was clean, so that the smoke test (bench/CMakeLists.txt) checks it.
  return not_completed == 0 && pool.failures() == 0 && exit_status == 0 ? 0 : 1;
}

}  // namespace
}  // namespace fedge::bench

int main(int argc, char** argv) {
  fedge::bench::Flags flags;
  if (!fedge::bench::ParseFlags(argc, argv, &flags)) return 2;
  if (flags.server) return fedge::bench::RunServer(flags);
  // N clients logging each round at info would bury the scenario's own
  // lines; FEDGE_LOG_LEVEL, if set, still wins. The server's log (info)
  // goes to server.log in the run directory.
  if (std::getenv("FEDGE_LOG_LEVEL") == nullptr) {
    fedge::util::SetMinLogLevel(fedge::util::LogLevel::kWarning);
  }
  return fedge::bench::RunScenario(flags);
}
