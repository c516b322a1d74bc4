#ifndef FEDGE_CLI_SIGNAL_WATCHER_H_
#define FEDGE_CLI_SIGNAL_WATCHER_H_

// Turns SIGINT and SIGTERM into a callback on a dedicated thread, so that a
// long-running command can stop cleanly (finish the round record, tell the
// clients) instead of dying mid-write. A second signal exits at once.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace fedge::cli {

class SignalWatcher {
 public:
  // Blocks SIGINT/SIGTERM in the calling thread (and threads it creates
  // later); call before starting other threads.
  explicit SignalWatcher(std::function<void(const std::string&)> on_signal);
  ~SignalWatcher();

 private:
  std::function<void(const std::string&)> on_signal_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace fedge::cli

#endif  // FEDGE_CLI_SIGNAL_WATCHER_H_
