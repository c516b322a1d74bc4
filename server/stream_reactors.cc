#include "server/stream_reactors.h"

#include <algorithm>

namespace fedge::server {

TaskStreamReactor::TaskStreamReactor(std::shared_ptr<ClientSession> session)
    : session_(std::move(session)) {
  // Attach may write queued tasks or finish the stream right away.
  session_->Attach(this);
}

void TaskStreamReactor::StartWrite(const v1::Task* task) {
  absl::MutexLock lock(&calls_mu_);
  grpc::ServerWriteReactor<v1::Task>::StartWrite(task);
}

void TaskStreamReactor::Finish(const grpc::Status& status) {
  absl::MutexLock lock(&calls_mu_);
  grpc::ServerWriteReactor<v1::Task>::Finish(status);
}

void TaskStreamReactor::OnWriteDone(bool ok) { session_->OnWriteDone(ok); }

void TaskStreamReactor::OnCancel() { session_->OnCancel(); }

void TaskStreamReactor::OnDone() {
  session_->OnDone();
  { absl::MutexLock wait_for_calls(&calls_mu_); }
  delete this;
}

ModelDownloadReactor::ModelDownloadReactor(
    std::shared_ptr<const GlobalModel> model, size_t chunk_size,
    std::function<void(uint64_t)> on_bytes_sent, std::function<void()> on_done)
    : model_(std::move(model)),
      chunk_size_(std::max<size_t>(chunk_size, 1)),
      on_bytes_sent_(std::move(on_bytes_sent)),
      on_done_(std::move(on_done)) {
  absl::MutexLock lock(&mu_);
  WriteNext();
}

void ModelDownloadReactor::WriteNext() {
  const std::string& blob = model_->blob;
  if (!first_ && offset_ >= blob.size()) {
    Finish(grpc::Status::OK);
    return;
  }
  chunk_.Clear();
  if (first_) *chunk_.mutable_model() = model_->Ref();
  size_t n = std::min(chunk_size_, blob.size() - offset_);
  chunk_.set_offset(offset_);
  chunk_.set_data(blob.data() + offset_, n);
  offset_ += n;
  first_ = false;
  StartWrite(&chunk_);
}

void ModelDownloadReactor::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  if (!ok) {
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "download interrupted"));
    return;
  }
  if (on_bytes_sent_) on_bytes_sent_(chunk_.data().size());
  WriteNext();
}

void ModelDownloadReactor::OnDone() {
  {
    absl::MutexLock lock(&mu_);
    if (on_done_) on_done_();
  }
  delete this;
}

}  // namespace fedge::server
