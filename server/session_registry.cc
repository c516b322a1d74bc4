#include "server/session_registry.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"

namespace fedge::server {
namespace {

// Session ids only tell a client's successive joins apart; they grant
// nothing (identity is the TLS certificate), so they need not be secret.
std::string NewSessionId() {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  absl::MutexLock lock(&mu);
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(*gen),
                         absl::Uniform<uint64_t>(*gen));
}

}  // namespace

SessionRegistry::SessionRegistry(util::Clock* clock) : clock_(clock) {}

void SessionRegistry::SetEndListener(Listener listener) {
  listener_ = std::move(listener);
}

std::shared_ptr<ClientSession> SessionRegistry::Create(JoinInfo info) {
  auto session =
      std::make_shared<ClientSession>(this, NewSessionId(), std::move(info));
  std::shared_ptr<ClientSession> old;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_client_.find(session->client_id());
    if (it != by_client_.end()) {
      old = it->second;
      by_session_.erase(old->session_id());
    }
    by_client_[session->client_id()] = session;
    by_session_[session->session_id()] = session;
  }
  if (old != nullptr) {
    old->Close(grpc::Status(grpc::StatusCode::ABORTED,
                            "replaced by a newer session of the same client"));
  }
  return session;
}

std::shared_ptr<ClientSession> SessionRegistry::FindBySessionId(
    const std::string& session_id) {
  absl::MutexLock lock(&mu_);
  auto it = by_session_.find(session_id);
  return it == by_session_.end() ? nullptr : it->second;
}

std::shared_ptr<ClientSession> SessionRegistry::Find(
    const std::string& client_id) {
  absl::MutexLock lock(&mu_);
  auto it = by_client_.find(client_id);
  return it == by_client_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<ClientSession>> SessionRegistry::Streaming() {
  std::vector<std::shared_ptr<ClientSession>> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, session] : by_client_) {
      if (streaming_.contains(session.get())) out.push_back(session);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a->client_id() < b->client_id();
  });
  return out;
}

size_t SessionRegistry::NumStreaming() {
  absl::MutexLock lock(&mu_);
  return streaming_.size();
}

bool SessionRegistry::AwaitStreaming(size_t n, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto ready = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return streaming_.size() >= n || interrupted_;
  };
  clock_->AwaitWithDeadline(&mu_, absl::Condition(&ready), deadline);
  return streaming_.size() >= n;
}

bool SessionRegistry::AwaitStreamingExactly(size_t n, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto ready = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return streaming_.size() == n || interrupted_;
  };
  clock_->AwaitWithDeadline(&mu_, absl::Condition(&ready), deadline);
  return streaming_.size() == n;
}

void SessionRegistry::Interrupt() {
  absl::MutexLock lock(&mu_);
  interrupted_ = true;
}

void SessionRegistry::Close(const std::string& client_id,
                            const grpc::Status& status) {
  std::shared_ptr<ClientSession> session = Find(client_id);
  if (session != nullptr) session->Close(status);
}

void SessionRegistry::CloseAll(const grpc::Status& status) {
  std::vector<std::shared_ptr<ClientSession>> all;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, session] : by_client_) all.push_back(session);
  }
  for (const auto& session : all) session->Close(status);
}

void SessionRegistry::FinishRun(const v1::Task& finished) {
  std::vector<std::shared_ptr<ClientSession>> all;
  {
    absl::MutexLock lock(&mu_);
    finished_ = finished;
    for (const auto& [id, session] : by_client_) all.push_back(session);
  }
  // A joined session whose stream is not open yet keeps the task queued and
  // writes it when the stream opens.
  for (const auto& session : all) TellFinished(*session, finished);
}

std::vector<std::string> SessionRegistry::AwaitToldFinished(
    const std::vector<std::string>& client_ids, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto all_told = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (interrupted_) return true;
    for (const std::string& id : client_ids) {
      if (!told_finished_.contains(id)) return false;
    }
    return true;
  };
  clock_->AwaitWithDeadline(&mu_, absl::Condition(&all_told), deadline);
  std::vector<std::string> untold;
  for (const std::string& id : client_ids) {
    if (!told_finished_.contains(id)) untold.push_back(id);
  }
  return untold;
}

void SessionRegistry::TellFinished(ClientSession& session,
                                   const v1::Task& finished) {
  if (session.Push(finished)) {
    absl::MutexLock lock(&mu_);
    told_finished_.insert(session.client_id());
  }
  session.Close(grpc::Status::OK);
}

void SessionRegistry::OnStreamAttached(ClientSession* session) {
  std::optional<v1::Task> finished;
  {
    absl::MutexLock lock(&mu_);
    finished = finished_;
    auto it = by_client_.find(session->client_id());
    // Only the client's current session counts, and none once the run is
    // over (no round will wait for it).
    if (!finished.has_value() && it != by_client_.end() &&
        it->second.get() == session) {
      streaming_.insert(session);
    }
  }
  // The run ended before this stream opened: a client back after an outage.
  if (finished.has_value()) TellFinished(*session, *finished);
}

void SessionRegistry::OnSessionEnded(ClientSession* session) {
  bool was_streaming;
  std::string client_id = session->client_id();
  {
    absl::MutexLock lock(&mu_);
    was_streaming = streaming_.erase(session) > 0;
    auto it = by_client_.find(client_id);
    if (it != by_client_.end() && it->second.get() == session) {
      by_client_.erase(it);
      by_session_.erase(session->session_id());
    }
  }
  if (was_streaming && listener_) listener_(client_id);
}

}  // namespace fedge::server
