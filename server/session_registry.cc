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

void SessionRegistry::Broadcast(const v1::Task& task) {
  for (const auto& session : Streaming()) session->Push(task);
}

void SessionRegistry::OnStreamAttached(ClientSession* session) {
  absl::MutexLock lock(&mu_);
  auto it = by_client_.find(session->client_id());
  // Only the client's current session counts.
  if (it != by_client_.end() && it->second.get() == session) {
    streaming_.insert(session);
  }
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
