#ifndef FEDGE_SERVER_SESSION_REGISTRY_H_
#define FEDGE_SERVER_SESSION_REGISTRY_H_

// The clients currently joined, one session per client id. A new join
// replaces the client's older session. The round driver waits here for
// enough clients with an open task stream, and is told when one goes away.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/util/clock.h"
#include "server/client_session.h"

namespace fedge::server {

class SessionRegistry {
 public:
  using Listener = std::function<void(const std::string& client_id)>;

  explicit SessionRegistry(util::Clock* clock);

  // Called (without locks held) whenever a client's session stops streaming:
  // disconnect, replacement, revocation, withdrawal.
  void SetEndListener(Listener listener);

  // Creates a session for `info.peer.id`, closing any earlier one with
  // ABORTED.
  std::shared_ptr<ClientSession> Create(JoinInfo info);

  std::shared_ptr<ClientSession> FindBySessionId(const std::string& session_id);
  std::shared_ptr<ClientSession> Find(const std::string& client_id);

  // Sessions whose task stream is open, sorted by client id.
  std::vector<std::shared_ptr<ClientSession>> Streaming();
  size_t NumStreaming();

  // Blocks until at least `n` sessions are streaming, `deadline` passes or
  // Interrupt() is called. Returns whether `n` were reached.
  bool AwaitStreaming(size_t n, absl::Time deadline);
  // Blocks until exactly `n` sessions are streaming (or as AwaitStreaming).
  // The fleet simulator waits here until the server sees precisely the
  // virtual clients it brought online, departures included.
  bool AwaitStreamingExactly(size_t n, absl::Time deadline);
  void Interrupt();

  // Closes the client's session (if any) with `status`.
  void Close(const std::string& client_id, const grpc::Status& status);
  // Closes every session with `status` (e.g. the run finished).
  void CloseAll(const grpc::Status& status);

  // The run is over: queues `finished` (a RunFinished task) for every
  // session and closes each with OK once it is written. A client whose task
  // stream opens later (one reconnecting after an outage) is sent it too and
  // closed, so it learns the run ended and leaves instead of retrying for
  // ever.
  void FinishRun(const v1::Task& finished);
  // Blocks until each of `client_ids` has had the RunFinished task queued
  // on a session (FinishRun), `deadline` passes or Interrupt() is called.
  // Returns the clients not told, in the order given.
  std::vector<std::string> AwaitToldFinished(
      const std::vector<std::string>& client_ids, absl::Time deadline);

  // --- Called by sessions ---
  void OnStreamAttached(ClientSession* session);
  void OnSessionEnded(ClientSession* session);

 private:
  // Queues `finished` on `session` and closes it; notes the client as told.
  void TellFinished(ClientSession& session, const v1::Task& finished);

  util::Clock* const clock_;
  Listener listener_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<ClientSession>> by_client_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<ClientSession>> by_session_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<const ClientSession*> streaming_ ABSL_GUARDED_BY(mu_);
  bool interrupted_ ABSL_GUARDED_BY(mu_) = false;
  // Set by FinishRun; the clients it has been queued for since.
  std::optional<v1::Task> finished_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> told_finished_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_SESSION_REGISTRY_H_
