#ifndef FEDGE_SERVER_ROUND_DRIVER_H_
#define FEDGE_SERVER_ROUND_DRIVER_H_

// What decides when a server runs its rounds. A root aggregator runs its
// own loop (Coordinator::Run); a site aggregator runs a round whenever its
// upstream asks for one (site/site_link.h). The server never links the
// client runtime, so the site's link is handed in through this interface.

#include "absl/status/status.h"

namespace fedge::server {

class Coordinator;

class RoundDriver {
 public:
  virtual ~RoundDriver() = default;
  // Runs the coordinator's rounds until the run is over and ends the run
  // (Coordinator::Finish); returns what Finish returned, or why the driver
  // could not go on.
  virtual absl::Status Drive(Coordinator& coordinator) = 0;
  // Makes Drive return soon (the coordinator is stopped separately).
  // Thread-safe.
  virtual void Stop() = 0;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_ROUND_DRIVER_H_
