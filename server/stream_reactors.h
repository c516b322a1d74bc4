#ifndef FEDGE_SERVER_STREAM_REACTORS_H_
#define FEDGE_SERVER_STREAM_REACTORS_H_

// Server-streaming reactors of the Federation service. Each deletes itself
// in OnDone, as gRPC's callback API expects.
//
// gRPC may run a reactor's reactions, and its OnDone, on different threads,
// and orders them in its core library, where a race detector cannot see it.
// So the reactors with state hold a mutex of their own in every reaction and
// call, and OnDone takes it before the delete: the order becomes explicit,
// and a call still returning on another thread finishes before the delete.
// The mutex is never contended in practice. gRPC never runs OnWriteDone or
// OnDone inline in a write reactor's StartWrite or Finish, so holding it
// across those calls cannot deadlock.

#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "fedge/v1/federation.pb.h"
#include "server/client_session.h"
#include "server/global_model.h"

namespace fedge::server {

// A stream refused before it started.
template <typename T>
class FinishedWriteReactor final : public grpc::ServerWriteReactor<T> {
 public:
  explicit FinishedWriteReactor(const grpc::Status& status) {
    this->Finish(status);
  }
  void OnDone() override { delete this; }
};

// A client's task channel, driven by its ClientSession. The session calls
// StartWrite and Finish on whichever thread pushed a task or closed it, so
// OnDone can come while such a call is still returning; calls_mu_ makes the
// delete wait for it.
class TaskStreamReactor final : public grpc::ServerWriteReactor<v1::Task>,
                                public TaskStream {
 public:
  explicit TaskStreamReactor(std::shared_ptr<ClientSession> session);

  // TaskStream
  void StartWrite(const v1::Task* task) override;
  void Finish(const grpc::Status& status) override;

  // grpc::ServerWriteReactor
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  std::shared_ptr<ClientSession> session_;
  absl::Mutex calls_mu_;
};

// Streams a model's bytes in chunks; the first chunk carries its ModelRef.
class ModelDownloadReactor final
    : public grpc::ServerWriteReactor<v1::ModelChunk> {
 public:
  ModelDownloadReactor(std::shared_ptr<const GlobalModel> model,
                       size_t chunk_size,
                       std::function<void(uint64_t)> on_bytes_sent,
                       std::function<void()> on_done = nullptr);

  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  void WriteNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;  // held by the constructor and each reaction
  std::shared_ptr<const GlobalModel> model_;
  size_t chunk_size_;
  std::function<void(uint64_t)> on_bytes_sent_;
  std::function<void()> on_done_;
  size_t offset_ = 0;
  bool first_ = true;
  v1::ModelChunk chunk_;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_STREAM_REACTORS_H_
