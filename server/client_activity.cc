#include "server/client_activity.h"

#include <algorithm>

namespace fedge::server {

ClientActivity::ClientActivity(util::Clock* clock)
    : clock_(clock), last_(clock->Now()) {}

void ClientActivity::Changed() {
  last_ = clock_->Now();
  ++generation_;
}

void ClientActivity::Touch() {
  absl::MutexLock lock(&mu_);
  Changed();
}

void ClientActivity::DownloadStarted() {
  absl::MutexLock lock(&mu_);
  ++downloads_;
  Changed();
}

void ClientActivity::DownloadEnded() {
  absl::MutexLock lock(&mu_);
  --downloads_;
  Changed();
}

int ClientActivity::downloads_in_flight() {
  absl::MutexLock lock(&mu_);
  return downloads_;
}

bool ClientActivity::AwaitQuiet(absl::Duration quiet, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  while (!interrupted_) {
    const absl::Time now = clock_->Now();
    if (downloads_ == 0 && now - last_ >= quiet) return true;
    if (now >= deadline) return false;
    // Wake when the quiet would be reached, or at the deadline while a
    // download runs; any call in between starts the count again.
    const absl::Time wake =
        downloads_ == 0 ? std::min(last_ + quiet, deadline) : deadline;
    const uint64_t seen = generation_;
    auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return interrupted_ || generation_ != seen;
    };
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&changed), wake);
  }
  return false;
}

void ClientActivity::Interrupt() {
  absl::MutexLock lock(&mu_);
  interrupted_ = true;
  ++generation_;
}

}  // namespace fedge::server
