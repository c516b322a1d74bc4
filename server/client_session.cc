#include "server/client_session.h"

#include "server/session_registry.h"

namespace fedge::server {

ClientSession::ClientSession(SessionRegistry* registry, std::string session_id,
                             JoinInfo info)
    : registry_(registry),
      session_id_(std::move(session_id)),
      info_(std::move(info)) {}

bool ClientSession::Push(v1::Task task) {
  Action action;
  {
    absl::MutexLock lock(&mu_);
    if (closing_ || ended_) return false;
    queue_.push_back(std::move(task));
    action = NextLocked();
  }
  Perform(action);
  return true;
}

void ClientSession::Close(const grpc::Status& status) {
  Action action;
  {
    absl::MutexLock lock(&mu_);
    if (closing_ || finished_) return;
    closing_ = true;
    close_status_ = status;
    action = NextLocked();
  }
  Perform(action);
}

bool ClientSession::streaming() const {
  absl::MutexLock lock(&mu_);
  return stream_ != nullptr && !closing_ && !ended_;
}

bool ClientSession::Attach(TaskStream* stream) {
  Action action;
  bool accepted;
  {
    absl::MutexLock lock(&mu_);
    if (had_stream_ || ended_) {
      accepted = false;
    } else {
      accepted = true;
      had_stream_ = true;
      stream_ = stream;
      action = NextLocked();
      action.attached = !closing_;
    }
  }
  if (!accepted) {
    stream->Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                "this session already has a task stream or "
                                "has ended; join again"));
    return false;
  }
  Perform(action);
  return true;
}

void ClientSession::OnWriteDone(bool ok) {
  Action action;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) ended_ = true;
    action = NextLocked();
  }
  Perform(action);
}

void ClientSession::OnCancel() {
  Action action;
  {
    absl::MutexLock lock(&mu_);
    ended_ = true;
    action = NextLocked();
  }
  Perform(action);
}

void ClientSession::OnDone() {
  Action action;
  {
    absl::MutexLock lock(&mu_);
    stream_ = nullptr;
    ended_ = true;
    if (!end_reported_) {
      end_reported_ = true;
      action.ended = true;
    }
  }
  Perform(action);
}

ClientSession::Action ClientSession::NextLocked() {
  Action action;
  action.stream = stream_;
  if (stream_ == nullptr || writing_ || finished_) {
    if (ended_ && !end_reported_ && stream_ == nullptr && had_stream_) {
      end_reported_ = true;
      action.ended = true;
    }
    return action;
  }
  if (ended_) {
    // The peer went away: finish now (no write is outstanding).
    finished_ = true;
    action.finish = grpc::Status(grpc::StatusCode::CANCELLED, "stream ended");
  } else if (!queue_.empty()) {
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    action.write = &in_flight_;
  } else if (closing_) {
    finished_ = true;
    action.finish = close_status_;
  }
  if ((ended_ || closing_) && !end_reported_) {
    end_reported_ = true;
    action.ended = true;
  }
  return action;
}

void ClientSession::Perform(const Action& action) {
  if (action.attached) registry_->OnStreamAttached(this);
  if (action.ended) registry_->OnSessionEnded(this);
  if (action.write != nullptr) action.stream->StartWrite(action.write);
  if (action.finish.has_value()) action.stream->Finish(*action.finish);
}

}  // namespace fedge::server
