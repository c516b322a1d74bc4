// `fedge serve`: answers predictions with the current global model, at the
// edge or anywhere a model file is.

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/command.h"
#include "cli/command_support.h"
#include "cli/flags.h"
#include "cli/signal_watcher.h"
#include "common/models/torch_threads.h"
#include "serve/inference_server.h"

namespace fedge::cli {
namespace {

constexpr char kCommand[] = "fedge serve";

constexpr char kUsage[] =
    "usage: fedge serve --model PATH [--listen HOST:PORT] [--grpc HOST:PORT]\n"
    "                   [--kind mlp|cnn|torchscript] [--torchscript FILE]\n"
    "                   [--input-shape C,H,W] [--num-classes N]\n"
    "\n"
    "Serves the global model at PATH: HTTP POST /v1/predict with JSON\n"
    "({\"instances\": [{\"values\": [...]}]}), the gRPC fedge.v1.Inference\n"
    "Predict call, GET /healthz and GET /metrics. PATH is a checkpoint file,\n"
    "a server's checkpoint directory (its newest round is served) or a\n"
    "client's state directory; when the model there changes, the new one is\n"
    "swapped in without failing a request. `fedge client --serve` does the\n"
    "same inside the edge client that trains the model. See docs/serving.md.\n"
    "\n"
    "flags:\n";

const std::vector<FlagDef>& Flags() {
  static const auto* flags = new std::vector<FlagDef>{
      {"model", "PATH",
       "checkpoint file, checkpoint directory or client state directory"},
      {"listen", "HOST:PORT",
       "HTTP address (default 127.0.0.1:8080; \"\" turns HTTP off)"},
      {"grpc", "HOST:PORT", "gRPC address (default: none)"},
      {"kind", "KIND", "mlp, cnn (default) or torchscript"},
      {"torchscript", "FILE", "the TorchScript file (with --kind torchscript)"},
      {"input-shape", "DIMS", "one example's shape (default 1,28,28)"},
      {"num-classes", "N", "number of classes (default 10)"},
      {"threads", "N", "LibTorch threads per prediction (default 1)"},
      {"wait", "SECONDS",
       "wait this long for a first model to appear (default 0)"},
      {"log-level", "LEVEL", "debug, info, warning or error (default: info)"},
      {"help", "", "show this help"},
  };
  return *flags;
}

bool ParseShape(const std::string& text, std::vector<int64_t>* shape) {
  shape->clear();
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int64_t d = 0;
    if (!absl::SimpleAtoi(part, &d) || d <= 0) return false;
    shape->push_back(d);
  }
  return !shape->empty();
}

}  // namespace

int RunServe(const Args& args) {
  const std::string usage = absl::StrCat(kUsage, FlagsUsage(Flags()));
  auto flags = ParseFlags(Flags(), args, kCommand);
  if (!flags.ok()) return UsageError(flags.status().message(), usage);
  if (flags->Switch("help")) {
    std::cout << usage;
    return kExitOk;
  }
  if (absl::Status s = ApplyLogLevel(*flags); !s.ok()) {
    return UsageError(s.message(), usage);
  }
  if (absl::Status s = RequireFlag(*flags, "model", kCommand); !s.ok()) {
    return UsageError(s.message(), usage);
  }
  serve::InferenceServerOptions options;
  options.model_path = flags->Get("model");
  options.http_address = flags->Get("listen", "127.0.0.1:8080");
  options.grpc_address = flags->Get("grpc");
  options.spec.kind = flags->Get("kind", "cnn");
  options.spec.torchscript_path = flags->Get("torchscript");
  if (options.spec.kind != "mlp" && options.spec.kind != "cnn" &&
      options.spec.kind != "torchscript") {
    return UsageError(absl::StrCat(kCommand,
                                   ": --kind must be mlp, cnn or "
                                   "torchscript, got '",
                                   options.spec.kind, "'"),
                      usage);
  }
  if ((options.spec.kind == "torchscript") !=
      !options.spec.torchscript_path.empty()) {
    return UsageError(absl::StrCat(kCommand,
                                   ": --torchscript FILE goes with --kind "
                                   "torchscript, and only with it"),
                      usage);
  }
  if (flags->Has("input-shape") &&
      !ParseShape(flags->Get("input-shape"), &options.spec.input_shape)) {
    return UsageError(absl::StrCat(kCommand,
                                   ": --input-shape must be positive integers "
                                   "separated by commas, e.g. 1,28,28"),
                      usage);
  }
  int threads = 1;
  double wait = 0;
  if ((flags->Has("num-classes") &&
       (!absl::SimpleAtoi(flags->Get("num-classes"),
                          &options.spec.num_classes) ||
        options.spec.num_classes < 2)) ||
      (flags->Has("threads") &&
       (!absl::SimpleAtoi(flags->Get("threads"), &threads) || threads < 1)) ||
      (flags->Has("wait") &&
       (!absl::SimpleAtod(flags->Get("wait"), &wait) || !(wait >= 0)))) {
    return UsageError(absl::StrCat(kCommand,
                                   ": --num-classes (>= 2), --threads (>= 1) "
                                   "and --wait (seconds >= 0) take numbers"),
                      usage);
  }
  options.wait_for_model = absl::Seconds(wait);
  models::SetTorchThreads(threads);

  serve::InferenceServer* running = nullptr;
  absl::Mutex mu;
  SignalWatcher watcher([&](const std::string& why) {
    absl::MutexLock lock(&mu);
    std::cerr << kCommand << ": " << why << "; stopping\n";
    if (running != nullptr) running->Shutdown();
  });
  auto server = serve::InferenceServer::Start(std::move(options));
  if (!server.ok()) return Fail(kCommand, server.status(), kExitFailure);
  {
    absl::MutexLock lock(&mu);
    running = server->get();
  }
  std::shared_ptr<const serve::Predictor> model = (*server)->current();
  std::cerr << kCommand << ": serving model version " << model->version();
  if ((*server)->http_port() != 0) {
    std::cerr << "; HTTP on port " << (*server)->http_port();
  }
  if ((*server)->grpc_port() != 0) {
    std::cerr << "; gRPC on port " << (*server)->grpc_port();
  }
  std::cerr << "\n";
  (*server)->Wait();
  {
    absl::MutexLock lock(&mu);
    running = nullptr;
  }
  (*server)->Shutdown();
  return kExitOk;
}

}  // namespace fedge::cli
