#ifndef FEDGE_SERVER_CLIENT_ACTIVITY_H_
#define FEDGE_SERVER_CLIENT_ACTIVITY_H_

// When a client last called in, and how many model downloads are in flight.
// After its run ends the server keeps answering until the edge has gone
// quiet, so that clients told the run ended can still fetch the final model.

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/util/clock.h"

namespace fedge::server {

class ClientActivity {
 public:
  explicit ClientActivity(util::Clock* clock);

  ClientActivity(const ClientActivity&) = delete;
  ClientActivity& operator=(const ClientActivity&) = delete;

  // A client called in (a join, a task stream).
  void Touch();
  // A model download started / ended (each counts as a call too).
  void DownloadStarted();
  void DownloadEnded();

  // Blocks until no download has been in flight and no client has called in
  // for `quiet`, until `deadline`, or until Interrupt(). Returns whether the
  // quiet was reached.
  bool AwaitQuiet(absl::Duration quiet, absl::Time deadline);
  // Ends every wait, now and later.
  void Interrupt();

  int downloads_in_flight();

 private:
  void Changed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  util::Clock* const clock_;
  absl::Mutex mu_;
  absl::Time last_ ABSL_GUARDED_BY(mu_);
  int downloads_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool interrupted_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_CLIENT_ACTIVITY_H_
