#ifndef FEDGE_COMMON_UTIL_CLOCK_H_
#define FEDGE_COMMON_UTIL_CLOCK_H_

// Every access to time goes through a Clock, so that tests and the fleet
// simulator can control it.

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace fedge::util {

class Clock {
 public:
  virtual ~Clock() = default;

  // The current time.
  virtual absl::Time Now() = 0;

  // Blocks until `condition` holds or `deadline` passes, with `mu` held on
  // entry and on return. Returns whether the condition holds.
  virtual bool AwaitWithDeadline(absl::Mutex* mu,
                                 const absl::Condition& condition,
                                 absl::Time deadline) = 0;

  // Sleeps for `duration`.
  virtual void SleepFor(absl::Duration duration) = 0;

  // The process-wide real-time clock.
  static Clock* Real();
};

}  // namespace fedge::util

#endif  // FEDGE_COMMON_UTIL_CLOCK_H_
