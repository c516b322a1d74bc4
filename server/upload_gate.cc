#include "server/upload_gate.h"

namespace fedge::server {

bool UploadGate::Acquire(const void* key, std::function<void()> resume) {
  absl::MutexLock lock(&mu_);
  if (in_use_ < capacity_) {
    ++in_use_;
    return true;
  }
  waiting_.emplace_back(key, std::move(resume));
  return false;
}

bool UploadGate::Cancel(const void* key) {
  absl::MutexLock lock(&mu_);
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->first == key) {
      waiting_.erase(it);
      return true;
    }
  }
  return false;
}

void UploadGate::Release() {
  std::function<void()> next;
  {
    absl::MutexLock lock(&mu_);
    if (waiting_.empty()) {
      --in_use_;
      return;
    }
    // The slot passes straight to the next upload.
    next = std::move(waiting_.front().second);
    waiting_.pop_front();
  }
  next();
}

size_t UploadGate::in_use() const {
  absl::MutexLock lock(&mu_);
  return in_use_;
}

size_t UploadGate::waiting() const {
  absl::MutexLock lock(&mu_);
  return waiting_.size();
}

}  // namespace fedge::server
