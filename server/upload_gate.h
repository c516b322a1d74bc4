#ifndef FEDGE_SERVER_UPLOAD_GATE_H_
#define FEDGE_SERVER_UPLOAD_GATE_H_

// Bounds how many uploads the server buffers at once. An upload is held
// whole until it is checked (so that a bad or interrupted one changes
// nothing), so without a bound memory would grow with the number of clients
// uploading at the same moment. Uploads beyond the bound wait before their
// first read; gRPC's flow control then holds their senders back.

#include <cstddef>
#include <deque>
#include <functional>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace fedge::server {

class UploadGate {
 public:
  explicit UploadGate(size_t capacity) : capacity_(capacity) {}

  // Takes a slot for `key` now (returns true) or queues it; `resume` is then
  // called, exactly once and without locks held, when the slot is granted.
  bool Acquire(const void* key, std::function<void()> resume);

  // Withdraws a queued `key` (its upload was cancelled): true if it was
  // still waiting, false if it already holds a slot (or never asked).
  bool Cancel(const void* key);

  // Frees a slot and grants it to the longest-waiting upload.
  void Release();

  size_t in_use() const;
  size_t waiting() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  size_t in_use_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::pair<const void*, std::function<void()>>> waiting_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_UPLOAD_GATE_H_
