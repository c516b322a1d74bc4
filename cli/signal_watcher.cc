#include "cli/signal_watcher.h"

#include <csignal>
#include <cstdlib>
#include <ctime>

namespace fedge::cli {

SignalWatcher::SignalWatcher(std::function<void(const std::string&)> on_signal)
    : on_signal_(std::move(on_signal)) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    int received = 0;
    while (!done_.load()) {
      timespec timeout{0, 200 * 1000 * 1000};
      int sig = sigtimedwait(&set, nullptr, &timeout);
      if (sig <= 0) continue;
      if (++received > 1) std::_Exit(130);
      on_signal_(sig == SIGINT ? "interrupted (SIGINT)"
                               : "terminated (SIGTERM)");
    }
  });
}

SignalWatcher::~SignalWatcher() {
  done_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace fedge::cli
