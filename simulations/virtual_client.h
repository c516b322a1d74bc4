#ifndef FEDGE_SIMULATIONS_VIRTUAL_CLIENT_H_
#define FEDGE_SIMULATIONS_VIRTUAL_CLIENT_H_

// One simulated device. While idle it is a few hundred bytes and an open
// task stream (asynchronous: no thread); its data partition and model exist
// only while it works on a task. Its work is the deployed client's
// ClientCore, over a connection shared with other virtual clients and
// authenticated by the simulator's certificate, each call naming the
// virtual client.

#include <grpcpp/channel.h>
#include <grpcpp/support/client_callback.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "client/client_core.h"
#include "client/server_connection.h"
#include "common/pki/memory_issuer.h"
#include "simulations/device_model.h"

namespace fedge::sim {

class Fleet;

class VirtualClient {
 public:
  VirtualClient(Fleet* fleet, size_t index, std::string id,
                DeviceProfile profile);
  ~VirtualClient();

  const std::string& id() const { return id_; }
  size_t index() const { return index_; }
  const DeviceProfile& profile() const { return profile_; }
  // The device certificate and key (issued at the first GoOnline).
  const pki::IssuedIdentity& identity() const { return identity_; }

  // Joins (over the fleet's connection for this client) and opens the task
  // stream. No-op if online or finished.
  absl::Status GoOnline();
  // Closes the task stream (the device went away) and waits until it is
  // closed. No-op if offline.
  void GoOffline();
  bool online() const;
  // True once the server said the run finished.
  bool finished() const;
  client::EdgeClientStats stats() const { return core_->stats(); }

  // Runs queued tasks (called by the fleet's compute pool).
  void Work();

  // --- From the task stream ---
  void OnTask(v1::Task task);
  void OnStreamEnded(const grpc::Status& status);

 private:
  class TaskReader;
  // Whether the device vanishes (or is too slow) for `task`; if so it goes
  // offline and the reason is counted.
  bool Misses(const v1::Task& task);

  Fleet* const fleet_;
  const size_t index_;
  const std::string id_;
  const DeviceProfile profile_;

  // Held while the client works on a task or joins, so that a join never
  // rebuilds the core under a task in progress.
  absl::Mutex work_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  pki::IssuedIdentity identity_;
  const std::unique_ptr<client::ClientCore> core_;
  std::unique_ptr<client::ServerConnection> conn_;
  // Of the last training task: the model's size, examples to train on.
  uint64_t model_bytes_ = 0;
  uint64_t examples_ = 0;

  mutable absl::Mutex mu_;
  std::unique_ptr<TaskReader> reader_ ABSL_GUARDED_BY(mu_);
  bool online_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool scheduled_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<v1::Task> tasks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::sim

#endif  // FEDGE_SIMULATIONS_VIRTUAL_CLIENT_H_
