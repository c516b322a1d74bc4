// ThreadSanitizer annotations for Debian's Abseil synchronisation (tsan
// preset only; linked into every executable of that build).
//
// Why: Debian's libabsl_synchronization.so is not built with ThreadSanitizer,
// so absl::Mutex, absl::CondVar and absl::Notification lock and wake with
// atomics and futexes that TSan never sees. Without this file every access
// that a mutex protects is reported as a data race (13 reports in
// fedge_common_http_test alone), and gRPC, which uses absl::Mutex for its
// own locks, hides its happens-before edges the same way.
//
// How: this file defines the exported members of those classes again. The
// executable's definitions come first in the dynamic symbol lookup (the
// executable exports them, see cmake/fedge.cmake), so fedge's calls and
// those from libabsl and libgrpc land here; each forwards to the library's
// own definition (dlsym RTLD_NEXT) and tells TSan about the happens-before
// edge: a release on the mutex's address before it is given up, an acquire
// after it is taken. That is what an instrumented Abseil would report,
// without lock-order (deadlock) detection, which TSan then does not do for
// absl::Mutex.
//
// Conditions need one more edge. Abseil evaluates a waiter's Condition
// inside its own calls, with the mutex held but before the call returns: in
// the waiter (woken inside Await or LockWhen) and in the thread that unlocks
// (which tests the waiters' conditions). So each call below records the
// mutex it works on for its thread, and Condition::Eval acquires on it first
// and releases after;
// a waiter releases on the mutex before it waits, which publishes its
// Condition object to the thread that will evaluate it. This edge is wider
// than the real one for LockWhen (the waiter's earlier writes count as
// published to the next holder), which can only hide a race, never invent
// one.
#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

extern "C" {
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
}

namespace {

// The library's definition of `mangled`, cast to the function type F.
template <typename F>
F Real(const char* mangled) {
  void* symbol = dlsym(RTLD_NEXT, mangled);
  if (symbol == nullptr) {
    std::fprintf(stderr,
                 "tsan_absl_sync: %s not found in the Abseil library (%s); "
                 "its ABI changed, update tests/sanitizers/tsan_absl_sync.cc\n",
                 mangled, dlerror());
    std::abort();
  }
  return reinterpret_cast<F>(symbol);
}

// Resolved once per function; the mangled names are those of Debian 12's
// Abseil (inline namespace debian3).
#define FEDGE_REAL(type, mangled) static const auto real = Real<type>(mangled)

void Acquire(const void* addr) { __tsan_acquire(const_cast<void*>(addr)); }
void Release(const void* addr) { __tsan_release(const_cast<void*>(addr)); }

// The mutex this thread's current Abseil call holds or is taking, for
// Condition::Eval.
thread_local const void* current_mutex = nullptr;

// Sets current_mutex for one call into the library.
class InMutexCall {
 public:
  explicit InMutexCall(const void* mu) : saved_(current_mutex) {
    current_mutex = mu;
  }
  ~InMutexCall() { current_mutex = saved_; }
  InMutexCall(const InMutexCall&) = delete;
  InMutexCall& operator=(const InMutexCall&) = delete;

 private:
  const void* saved_;
};

}  // namespace

namespace absl {

// --- Mutex: taken (acquire after) and given up (release before).

void Mutex::Lock() {
  FEDGE_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex4LockEv");
  InMutexCall call(this);
  real(this);
  Acquire(this);
}

bool Mutex::TryLock() {
  FEDGE_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex7TryLockEv");
  InMutexCall call(this);
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

void Mutex::Unlock() {
  FEDGE_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex6UnlockEv");
  Release(this);
  InMutexCall call(this);
  real(this);
}

void Mutex::ReaderLock() {
  FEDGE_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex10ReaderLockEv");
  InMutexCall call(this);
  real(this);
  Acquire(this);
}

bool Mutex::ReaderTryLock() {
  FEDGE_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  InMutexCall call(this);
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

void Mutex::ReaderUnlock() {
  FEDGE_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  Release(this);
  InMutexCall call(this);
  real(this);
}

// --- Waiting for a condition: the mutex is (or is given up and) taken again
// inside; each returns holding it whatever the result.

void Mutex::LockWhen(const Condition& cond) {
  FEDGE_REAL(void (*)(Mutex*, const Condition&),
             "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  Release(this);
  InMutexCall call(this);
  real(this, cond);
  Acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  FEDGE_REAL(bool (*)(Mutex*, const Condition&, Duration),
             "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_"
             "9ConditionENS0_8DurationE");
  Release(this);
  InMutexCall call(this);
  const bool met = real(this, cond, timeout);
  Acquire(this);
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  FEDGE_REAL(bool (*)(Mutex*, const Condition&, Time),
             "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_"
             "9ConditionENS0_4TimeE");
  Release(this);
  InMutexCall call(this);
  const bool met = real(this, cond, deadline);
  Acquire(this);
  return met;
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  FEDGE_REAL(void (*)(Mutex*, const Condition&),
             "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Release(this);
  InMutexCall call(this);
  real(this, cond);
  Acquire(this);
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  FEDGE_REAL(bool (*)(Mutex*, const Condition&, Duration),
             "_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_"
             "9ConditionENS0_8DurationE");
  Release(this);
  InMutexCall call(this);
  const bool met = real(this, cond, timeout);
  Acquire(this);
  return met;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  FEDGE_REAL(bool (*)(Mutex*, const Condition&, Time),
             "_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_"
             "9ConditionENS0_4TimeE");
  Release(this);
  InMutexCall call(this);
  const bool met = real(this, cond, deadline);
  Acquire(this);
  return met;
}

void Mutex::Await(const Condition& cond) {
  FEDGE_REAL(void (*)(Mutex*, const Condition&),
             "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  Release(this);
  InMutexCall call(this);
  real(this, cond);
  Acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  FEDGE_REAL(bool (*)(Mutex*, const Condition&, Duration),
             "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_"
             "9ConditionENS0_8DurationE");
  Release(this);
  InMutexCall call(this);
  const bool met = real(this, cond, timeout);
  Acquire(this);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  FEDGE_REAL(bool (*)(Mutex*, const Condition&, Time),
             "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_"
             "9ConditionENS0_4TimeE");
  Release(this);
  InMutexCall call(this);
  const bool met = real(this, cond, deadline);
  Acquire(this);
  return met;
}

// --- Condition: evaluated inside the calls above, holding their mutex.

bool Condition::Eval() const {
  FEDGE_REAL(bool (*)(const Condition*), "_ZNK4absl7debian39Condition4EvalEv");
  if (current_mutex == nullptr) return real(this);
  // Evaluated holding the mutex but after the call's release and before it
  // gives the mutex up inside (Await blocks): acquire and release around it.
  Acquire(current_mutex);
  const bool result = real(this);
  Release(current_mutex);
  return result;
}

// --- CondVar: gives the mutex up while it waits and takes it again.

void CondVar::Wait(Mutex* mu) {
  FEDGE_REAL(void (*)(CondVar*, Mutex*),
             "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  Release(mu);
  InMutexCall call(mu);
  real(this, mu);
  Acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  FEDGE_REAL(bool (*)(CondVar*, Mutex*, Duration),
             "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_"
             "8DurationE");
  Release(mu);
  InMutexCall call(mu);
  const bool timed_out = real(this, mu, timeout);
  Acquire(mu);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  FEDGE_REAL(bool (*)(CondVar*, Mutex*, Time),
             "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_"
             "4TimeE");
  Release(mu);
  InMutexCall call(mu);
  const bool timed_out = real(this, mu, deadline);
  Acquire(mu);
  return timed_out;
}

// --- Notification: Notify publishes; HasBeenNotified (inline, an
// instrumented acquire load of notified_yet_) and the waits observe it.

void Notification::Notify() {
  FEDGE_REAL(void (*)(Notification*),
             "_ZN4absl7debian312Notification6NotifyEv");
  Release(&notified_yet_);
  real(this);
}

void Notification::WaitForNotification() const {
  FEDGE_REAL(void (*)(const Notification*),
             "_ZNK4absl7debian312Notification19WaitForNotificationEv");
  real(this);
  Acquire(&notified_yet_);
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  FEDGE_REAL(bool (*)(const Notification*, Duration),
             "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutE"
             "NS0_8DurationE");
  const bool notified = real(this, timeout);
  if (notified) Acquire(&notified_yet_);
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  FEDGE_REAL(bool (*)(const Notification*, Time),
             "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadline"
             "ENS0_4TimeE");
  const bool notified = real(this, deadline);
  if (notified) Acquire(&notified_yet_);
  return notified;
}

}  // namespace absl
