// `fedge client`: runs an edge client, or withdraws its consent.

#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/command_support.h"
#include "cli/flags.h"
#include "cli/signal_watcher.h"
#include "client/edge_client.h"
#include "client/join_request.h"
#include "client/model_descriptor.h"
#include "client/trainer.h"
#include "common/config/client_config.h"
#include "common/data/data_source.h"
#include "common/models/evaluator.h"
#include "common/models/torch_threads.h"
#include "common/util/logging.h"
#include "serve/client_model_server.h"

namespace fedge::cli {
namespace {

constexpr char kCommand[] = "fedge client";

constexpr char kUsage[] =
    "usage: fedge client --config FILE [--serve HOST:PORT] [flags]\n"
    "       fedge client withdraw --config FILE [--reason TEXT]\n"
    "\n"
    "Runs an edge client: joins the federation with the device certificate,\n"
    "trains on the local data when selected and uploads only the weight\n"
    "delta. It reconnects by itself when the server goes away and exits when\n"
    "the server ends the run. `withdraw` ends this device's participation for\n"
    "good (GDPR Art. 7(3)).\n"
    "\n"
    "With --serve (or --serve-grpc) it also answers predictions with the\n"
    "global model it holds, as `fedge serve` does: HTTP POST /v1/predict with\n"
    "JSON, GET /healthz and /metrics (latency), the gRPC fedge.v1.Inference\n"
    "Predict call. Serving starts once the client has a model in its state\n"
    "directory and swaps to each new global model it stores, without failing\n"
    "a request; when the run ends the client fetches the final model and\n"
    "keeps serving it until stopped (Ctrl-C). See docs/serving.md.\n"
    "\n"
    "flags:\n";

const std::vector<FlagDef>& Flags() {
  static const auto* flags = new std::vector<FlagDef>{
      {"config", "FILE", "client config (YAML; see docs/configuration.md)"},
      {"server", "HOST:PORT", "aggregator address (config: server)"},
      {"threads", "N", "LibTorch threads for training (config: threads)"},
      {"serve", "HOST:PORT",
       "also serve the global model over HTTP here (config: serve.listen)"},
      {"serve-grpc", "HOST:PORT",
       "also serve it over gRPC here (config: serve.grpc)"},
      {"insecure-local-demo", "",
       "plaintext gRPC, identifying as --id; for a local demo only"},
      {"id", "ID", "client id in --insecure-local-demo mode"},
      {"reason", "TEXT", "reason recorded with `withdraw`"},
      {"log-level", "LEVEL", "debug, info, warning or error (default: info)"},
      {"help", "", "show this help"},
  };
  return *flags;
}

absl::StatusOr<client::EdgeClientOptions> Options(
    const config::ClientConfig& config, const ParsedFlags& flags) {
  client::EdgeClientOptions options;
  options.server_address = config.server_address;
  options.region = config.region;
  options.consent = config.consent;
  options.backoff.initial = config.reconnect.initial;
  options.backoff.max = config.reconnect.max;
  options.backoff.multiplier = config.reconnect.multiplier;
  options.backoff.jitter = config.reconnect.jitter;
  options.give_up_after = config.reconnect.give_up_after;
  options.torchscript_path = config.torchscript_path;
  options.state_dir = config.state_dir;
  if (flags.Switch("insecure-local-demo")) {
    if (!flags.Has("id")) {
      return absl::InvalidArgumentError(
          "--insecure-local-demo needs --id to name this client");
    }
    options.insecure_client_id = flags.Get("id");
    FEDGE_LOG(Warning, "client")
        << "INSECURE LOCAL DEMO MODE: no TLS; this client claims to be '"
        << options.insecure_client_id << "'";
  } else {
    options.tls = net::ClientTlsFiles{config.tls.ca_cert, config.tls.cert,
                                      config.tls.key, config.tls.server_name};
  }
  return options;
}

}  // namespace

int RunClient(const Args& all_args) {
  Args args = all_args;
  bool withdraw = !args.empty() && args[0] == "withdraw";
  if (withdraw) args.erase(args.begin());
  int exit_code = kExitOk;
  std::optional<ParsedFlags> flags = ParseConfigCommandFlags(
      {kCommand, absl::StrCat(kUsage, FlagsUsage(Flags())), &Flags(),
       /*reject_positional=*/true},
      args, &exit_code);
  if (!flags.has_value()) return exit_code;
  auto config = config::LoadClientConfig(flags->Get("config"));
  if (!config.ok()) return Fail(kCommand, config.status(), kExitUsage);
  if (flags->Has("server")) config->server_address = flags->Get("server");
  if (flags->Has("threads")) {
    if (!absl::SimpleAtoi(flags->Get("threads"), &config->threads)) {
      return Fail(kCommand, "--threads must be a non-negative integer",
                  kExitUsage);
    }
  }
  if (flags->Has("serve")) config->serve.listen = flags->Get("serve");
  if (flags->Has("serve-grpc")) config->serve.grpc = flags->Get("serve-grpc");
  auto options = Options(*config, *flags);
  if (!options.ok()) return Fail(kCommand, options.status(), kExitUsage);
  const bool serving = !withdraw && (!config->serve.listen.empty() ||
                                     !config->serve.grpc.empty());
  if (serving && options->state_dir.empty()) {
    return Fail(kCommand,
                absl::StrCat("--serve serves the model the client keeps in "
                             "its state directory: set state_dir in ",
                             flags->Get("config")),
                kExitUsage);
  }
  // Before the data is read: a malformed or busy address is found now, not
  // when the first model arrives.
  std::unique_ptr<serve::ClientModelServer> server;
  if (serving) {
    serve::ClientModelServerOptions serve_options;
    serve_options.state_dir = options->state_dir;
    serve_options.http_address = config->serve.listen;
    serve_options.grpc_address = config->serve.grpc;
    auto created = serve::ClientModelServer::Create(std::move(serve_options));
    if (!created.ok()) {
      return Fail(kCommand,
                  absl::StrCat("cannot serve predictions (--serve, "
                               "--serve-grpc, config serve:): ",
                               created.status().message()),
                  kExitUsage);
    }
    server = *std::move(created);
  }

  if (withdraw) {
    client::EdgeClient client(*options, nullptr, nullptr, nullptr);
    absl::Status status = client.Leave(
        flags->Get("reason", "consent withdrawn on the device"), true);
    if (!status.ok()) return Fail(kCommand, status, kExitFailure);
    std::cout << "consent withdrawn; the server will refuse this device from "
                 "now on\n";
    return kExitOk;
  }

  auto dataset = data::LoadDataSource(config->data);
  if (!dataset.ok()) return Fail(kCommand, dataset.status(), kExitUsage);
  if (config->threads > 0) {
    models::SetTorchThreads(static_cast<int>(config->threads));
  }
  FEDGE_LOG(Info, "client") << "local data: " << dataset->size()
                            << " examples (they stay on this device)";

  options->data = client::FootprintOf(*dataset);
  const data::Dataset* data = &*dataset;
  client::EdgeClient* running = nullptr;
  absl::Status serve_error;  // the first error that ends serving
  bool signalled = false;    // stopped by SIGINT or SIGTERM
  absl::Mutex mu;
  SignalWatcher watcher([&](const std::string& why) {
    absl::MutexLock lock(&mu);
    std::cerr << "fedge client: " << why << "; stopping\n";
    signalled = true;
    if (running != nullptr) running->Stop();
    if (server != nullptr) server->Shutdown();
  });
  if (server != nullptr) {
    serve::ClientModelServer* s = server.get();
    // An error here means nothing can be served: stop the client with it.
    auto stop_on_error = [&mu, &running, &serve_error](absl::Status status) {
      if (status.ok()) return;
      absl::MutexLock lock(&mu);
      if (serve_error.ok()) serve_error = status;
      if (running != nullptr) running->Stop();
    };
    options->on_joined = [s, stop_on_error](const models::ModelSpec& spec) {
      stop_on_error(s->SetSpec(spec));
    };
    options->on_model_stored = [s, stop_on_error](uint64_t) {
      stop_on_error(s->ModelStored());
    };
    options->fetch_final_model = true;
    // A restarted device serves the model it kept at once, before it
    // reaches the server (which may be away); joining confirms or replaces
    // the architecture.
    auto kept = client::LoadDescriptor(options->state_dir);
    if (!kept.ok()) {
      FEDGE_LOG(Warning, "client") << kept.status();
    } else if (kept->has_value()) {
      auto spec = client::SpecFromDescriptor(**kept, options->torchscript_path);
      if (!spec.ok()) {
        FEDGE_LOG(Warning, "client")
            << "the kept model is not served before joining: " << spec.status();
      } else if (absl::Status started = s->SetSpec(*spec); !started.ok()) {
        return Fail(kCommand, started, kExitFailure);
      }
    }
  }
  client::EdgeClient client(
      *std::move(options),
      [data](const models::ModelSpec& spec) {
        return client::CreateLocalTrainer(spec, data);
      },
      [](const models::ModelSpec& spec) {
        return models::Evaluator::Create(spec);
      },
      data);
  {
    absl::MutexLock lock(&mu);
    running = &client;
  }
  absl::Status status = client.Run();
  {
    absl::MutexLock lock(&mu);
    running = nullptr;
  }
  client::EdgeClientStats stats = client.stats();
  FEDGE_LOG(Info, "client")
      << "done: " << stats.rounds_trained << " rounds trained, "
      << stats.uploads_accepted << " updates accepted, " << stats.bytes_up
      << " bytes up, " << stats.bytes_down << " bytes down";
  {
    absl::MutexLock lock(&mu);
    if (!serve_error.ok()) status = serve_error;
  }
  if (server != nullptr && status.ok()) {
    // The run is over, the model stays useful: serve it until stopped.
    if (std::shared_ptr<const serve::Predictor> model = server->current()) {
      std::cerr << kCommand << ": the run is over; serving model version "
                << model->version() << " until stopped (Ctrl-C)\n";
      server->Wait();
    } else {
      FEDGE_LOG(Warning, "client")
          << "the run is over and this client holds no global model to serve";
    }
  }
  if (server != nullptr) server->Shutdown();
  {
    absl::MutexLock lock(&mu);
    // Stopping on request is an orderly end: the device rejoins when it is
    // started again.
    if (signalled && absl::IsCancelled(status)) status = absl::OkStatus();
  }
  if (!status.ok()) return Fail(kCommand, status, kExitFailure);
  return kExitOk;
}

}  // namespace fedge::cli
