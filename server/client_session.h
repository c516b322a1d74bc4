#ifndef FEDGE_SERVER_CLIENT_SESSION_H_
#define FEDGE_SERVER_CLIENT_SESSION_H_

// A joined client and its task stream. The server pushes tasks into the
// session; the session writes them to the client's open StreamTasks call one
// at a time, in order, as soon as the previous write completes (no polling
// anywhere). When the stream ends for any reason the registry is told once,
// so the round can drop the client immediately.

#include <grpcpp/support/status.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/pki/identity.h"
#include "fedge/v1/federation.pb.h"

namespace fedge::server {

class SessionRegistry;

// The server end of a StreamTasks call (a gRPC write reactor in production).
class TaskStream {
 public:
  virtual ~TaskStream() = default;
  virtual void StartWrite(const v1::Task* task) = 0;
  virtual void Finish(const grpc::Status& status) = 0;
};

struct JoinInfo {
  pki::PeerIdentity peer;
  std::string region;
  v1::ConsentRecord consent;
  v1::Capabilities capabilities;
  absl::Time joined_at;
};

class ClientSession {
 public:
  ClientSession(SessionRegistry* registry, std::string session_id,
                JoinInfo info);

  const std::string& client_id() const { return info_.peer.id; }
  const std::string& session_id() const { return session_id_; }
  const JoinInfo& info() const { return info_; }

  // Queues `task` for the stream. False if the session is closing or its
  // stream has ended (the task is dropped).
  bool Push(v1::Task task);

  // Ends the stream with `status` once queued tasks are written. Idempotent.
  void Close(const grpc::Status& status);

  // True while the task stream is attached and neither closing nor ended.
  bool streaming() const;

  // --- Called by the stream (reactor) ---
  // Attaches the stream; false (and the stream is finished with an error) if
  // this session already had one or was closed.
  bool Attach(TaskStream* stream);
  void OnWriteDone(bool ok);
  void OnCancel();
  void OnDone();

 private:
  // Decides the next action under the lock; performs it after unlocking.
  struct Action {
    const v1::Task* write = nullptr;
    std::optional<grpc::Status> finish;
    TaskStream* stream = nullptr;
    bool attached = false;
    bool ended = false;
  };
  Action NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Perform(const Action& action);

  SessionRegistry* const registry_;
  const std::string session_id_;
  const JoinInfo info_;

  mutable absl::Mutex mu_;
  TaskStream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool had_stream_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<v1::Task> queue_ ABSL_GUARDED_BY(mu_);
  v1::Task in_flight_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status close_status_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // Finish() called
  bool ended_ ABSL_GUARDED_BY(mu_) = false;     // stream unusable
  bool end_reported_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_CLIENT_SESSION_H_
