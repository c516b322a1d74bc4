#include "simulations/virtual_client.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/join_request.h"
#include "common/net/grpc_status.h"
#include "common/secagg/ring.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"
#include "simulations/fleet.h"

namespace fedge::sim {

// The client's task stream, read asynchronously: tasks go to the client's
// queue, the end of the stream to the client.
class VirtualClient::TaskReader final
    : public grpc::ClientReadReactor<v1::Task> {
 public:
  TaskReader(VirtualClient* client, client::ServerConnection* conn,
             const std::string& session_id)
      : client_(client) {
    conn->Prepare(&context_, std::nullopt, /*with_deadline=*/false);
    request_.set_session_id(session_id);
    conn->stub().async()->StreamTasks(&context_, &request_, this);
    StartRead(&task_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    client_->OnTask(std::move(task_));
    task_.Clear();
    StartRead(&task_);
  }

  // The last callback: once done_ is set the owner may destroy the reader.
  void OnDone(const grpc::Status& status) override {
    client_->OnStreamEnded(status);
    absl::MutexLock lock(&mu_);
    done_ = true;
  }

  void Cancel() { context_.TryCancel(); }

  void AwaitDone() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

 private:
  VirtualClient* client_;
  grpc::ClientContext context_;
  v1::StreamTasksRequest request_;
  v1::Task task_;
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

VirtualClient::VirtualClient(Fleet* fleet, size_t index, std::string id,
                             DeviceProfile profile)
    : fleet_(fleet),
      index_(index),
      id_(std::move(id)),
      profile_(profile),
      core_(fleet->MakeCore(*this)) {}

VirtualClient::~VirtualClient() { GoOffline(); }

bool VirtualClient::online() const {
  absl::MutexLock lock(&mu_);
  return online_;
}

bool VirtualClient::finished() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

absl::Status VirtualClient::GoOnline() {
  absl::MutexLock work(&work_mu_);
  std::unique_ptr<TaskReader> old;
  {
    absl::MutexLock lock(&mu_);
    if (online_ || finished_) return absl::OkStatus();
    // A stream that ended by itself leaves its reader behind; reap it.
    old = std::move(reader_);
  }
  if (old != nullptr) old->AwaitDone();
  old.reset();
  if (conn_ == nullptr) {
    FEDGE_ASSIGN_OR_RETURN(identity_, fleet_->IssueIdentity(id_));
    conn_ = client::ServerConnection::Virtual(fleet_->ChannelFor(index_), id_,
                                              identity_.certificate_pem,
                                              absl::Seconds(60));
  }
  config::ConsentConfig consent;
  consent.purpose_id = fleet_->purpose_id();
  consent.version = "simulated";
  v1::JoinRequest join = client::MakeJoinRequest(
      "simulated", consent,
      client::FootprintOf(fleet_->examples_of(index_), fleet_->example_size()));
  v1::JoinResponse joined;
  grpc::ClientContext context;
  conn_->Prepare(&context);
  FEDGE_RETURN_IF_ERROR(
      net::FromGrpcStatus(conn_->stub().Join(&context, join, &joined)));
  FEDGE_RETURN_IF_ERROR(core_->OnJoined(joined.client_id(), joined.model()));
  core_->CountJoin();
  absl::MutexLock lock(&mu_);
  online_ = true;
  tasks_.clear();
  reader_ =
      std::make_unique<TaskReader>(this, conn_.get(), joined.session_id());
  return absl::OkStatus();
}

void VirtualClient::GoOffline() {
  TaskReader* reader = nullptr;
  {
    absl::MutexLock lock(&mu_);
    reader = reader_.get();
    online_ = false;
    tasks_.clear();
  }
  if (reader == nullptr) return;
  reader->Cancel();
  reader->AwaitDone();
}

void VirtualClient::OnTask(v1::Task task) {
  bool schedule = false;
  {
    absl::MutexLock lock(&mu_);
    if (task.has_finished()) {
      finished_ = true;
      tasks_.clear();
      return;
    }
    tasks_.push_back(std::move(task));
    if (!scheduled_) {
      scheduled_ = true;
      schedule = true;
    }
  }
  if (schedule) fleet_->Schedule(this);
}

void VirtualClient::OnStreamEnded(const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    online_ = false;
  }
  fleet_->OnStreamEnded(this);
}

bool VirtualClient::Misses(const v1::Task& task) {
  Stage stage;
  uint64_t round;
  if (task.has_train()) {
    round = task.train().round();
    model_bytes_ = task.train().model().size_bytes();
    examples_ = fleet_->examples_of(index_);
    const v1::TrainingConfig& tc = task.train().config();
    if (tc.max_examples() > 0)
      examples_ = std::min(examples_, tc.max_examples());
    examples_ *= std::max<uint32_t>(tc.local_epochs(), 1);
    stage = task.train().has_secagg() ? Stage::kAdvertise : Stage::kTraining;
  } else if (task.has_secagg_share_keys()) {
    round = task.secagg_share_keys().round();
    stage = Stage::kShare;
  } else if (task.has_secagg_masked_input()) {
    round = task.secagg_masked_input().round();
    stage = Stage::kTraining;
  } else if (task.has_secagg_unmask()) {
    round = task.secagg_unmask().round();
    stage = Stage::kUnmask;
  } else {
    return false;
  }
  if (VanishesAt(fleet_->config(), fleet_->seed(), id_, round, stage)) {
    fleet_->CountVanished(round);
    return true;
  }
  if (stage != Stage::kTraining) return false;
  // Would this device finish in time? Download the model, train, upload
  // one value per parameter (masked or not, about the same size).
  const double seconds =
      SimulatedTrainingSeconds(profile_, model_bytes_, model_bytes_, examples_);
  if (seconds > absl::ToDoubleSeconds(fleet_->training_deadline())) {
    fleet_->CountStraggler(round);
    return true;
  }
  if (fleet_->config().time_scale > 0 && seconds > 0) {
    absl::SleepFor(absl::Seconds(seconds * fleet_->config().time_scale));
  }
  return false;
}

void VirtualClient::Work() {
  absl::MutexLock work(&work_mu_);
  while (true) {
    v1::Task task;
    {
      absl::MutexLock lock(&mu_);
      if (tasks_.empty() || !online_) {
        scheduled_ = false;
        tasks_.clear();
        return;
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    absl::Status status;
    if (Misses(task)) {
      status = absl::CancelledError("vanished");
    } else {
      status = core_->HandleTask(*conn_, task);
      if (!status.ok()) {
        FEDGE_LOG(Warning, "sim")
            << "virtual client " << id_ << " cannot go on: " << status;
      }
    }
    if (!status.ok()) {
      GoOffline();
      absl::MutexLock lock(&mu_);
      scheduled_ = false;
      return;
    }
  }
}

}  // namespace fedge::sim
