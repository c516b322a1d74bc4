#ifndef FEDGE_SERVER_SESSION_TEST_SUPPORT_H_
#define FEDGE_SERVER_SESSION_TEST_SUPPORT_H_

// Test support for the session registry and what builds on it: a task
// stream that stands in for a client's StreamTasks call, and the few steps
// every such test takes to join a client. Tests only.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fedge/v1/federation.pb.h"
#include "gtest/gtest.h"
#include "server/client_session.h"
#include "server/session_registry.h"

namespace fedge::server::session_testing {

// A task stream that completes each write at once, as a fast client would.
// Unlike gRPC, it runs OnWriteDone and OnDone inline.
class FakeStream : public TaskStream {
 public:
  void Bind(ClientSession* session) { session_ = session; }
  void StartWrite(const v1::Task* task) override {
    written.push_back(*task);
    session_->OnWriteDone(true);
  }
  void Finish(const grpc::Status& status) override {
    finished = status;
    session_->OnDone();
  }
  std::vector<v1::Task> written;
  std::optional<grpc::Status> finished;

 private:
  ClientSession* session_ = nullptr;
};

inline JoinInfo Info(const std::string& id) {
  JoinInfo info;
  info.peer.id = id;
  return info;
}

// The task that tells a client the run is over.
inline v1::Task Finished() {
  v1::Task task;
  task.mutable_finished()->set_reason("run finished: 4 rounds completed");
  return task;
}

// Joins `id` and opens its task stream.
inline std::shared_ptr<ClientSession> Connect(SessionRegistry& registry,
                                              const std::string& id,
                                              FakeStream& stream) {
  std::shared_ptr<ClientSession> session = registry.Create(Info(id));
  stream.Bind(session.get());
  EXPECT_TRUE(session->Attach(&stream));
  return session;
}

}  // namespace fedge::server::session_testing

#endif  // FEDGE_SERVER_SESSION_TEST_SUPPORT_H_
