// The round driver's entries in the audit log: what it decided (cohort,
// secure aggregation outcome, commit, evaluation) and, at the end of each
// round, the signed checkpoint and the contributors' receipts. The rounds
// log their members' outcomes themselves (round.cc).

#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"
#include "server/coordinator.h"

namespace fedge::server {

void Coordinator::Audit(uint64_t round, v1::AuditEvent event) {
  if (deps_.audit == nullptr) return;
  (void)deps_.audit->Record(round, kServerActor, std::move(event));
}

void Coordinator::AuditSelection(const Round& round) {
  v1::AuditEvent event;
  v1::CohortSelected* selected = event.mutable_cohort_selected();
  for (const std::string& id : round.cohort()) selected->add_client_ids(id);
  selected->set_model_version(round.base().version);
  selected->set_model_sha256(crypto::DigestBytes(round.base().sha256));
  Audit(round.number(), std::move(event));
}

void Coordinator::AuditSecureClose(const Round& round) {
  v1::AuditEvent event;
  v1::SecureAggregationClosed* closed = event.mutable_secure_aggregation();
  const RoundOptions& options = round.options();
  closed->set_threshold(options.secagg->threshold());
  closed->set_degree(options.secagg->degree());
  // Every accepted masked input is in the unmasked sum: the survivors of
  // the masked-input stage (later dropouts' masks are recovered from
  // their neighbours' shares).
  for (const std::string& id : round.AcceptedClients()) {
    closed->add_survivors(id);
  }
  Audit(round.number(), std::move(event));
}

void Coordinator::AuditCommit(const Round& round, const GlobalModel& model,
                              uint64_t examples) {
  v1::AuditEvent committed;
  v1::RoundCommitted* c = committed.mutable_round_committed();
  c->set_model_version(model.version);
  c->set_model_sha256(crypto::DigestBytes(model.sha256));
  for (const std::string& id : round.AcceptedClients()) c->add_contributors(id);
  c->set_examples(examples);
  Audit(round.number(), std::move(committed));
  // Uploads are folded into the running sum as they arrive and their
  // buffers freed; nothing per client outlives the round.
  v1::AuditEvent deleted;
  deleted.mutable_buffers_deleted()->set_clients(round.num_accepted());
  deleted.mutable_buffers_deleted()->set_bytes(round.bytes_up());
  Audit(round.number(), std::move(deleted));
}

void Coordinator::AuditEvaluation(uint64_t round, uint64_t model_version,
                                  const std::string& source, double loss,
                                  double accuracy, uint64_t examples) {
  v1::AuditEvent event;
  v1::ModelEvaluated* e = event.mutable_model_evaluated();
  e->set_model_version(model_version);
  e->set_source(source);
  e->set_loss(loss);
  e->set_accuracy(accuracy);
  e->set_examples(examples);
  Audit(round, std::move(event));
}

absl::Status Coordinator::SignRound(const Round* committed) {
  if (deps_.audit == nullptr) return absl::OkStatus();
  FEDGE_RETURN_IF_ERROR(deps_.audit->Checkpoint().status());
  if (committed == nullptr) return absl::OkStatus();
  for (const AuditedUpload& upload : committed->AuditedUploads()) {
    absl::StatusOr<v1::AuditReceipt> receipt =
        deps_.audit->Receipt(upload.index, upload.entry);
    if (!receipt.ok()) {
      FEDGE_LOG(Error, "audit")
          << "no receipt for " << upload.client_id << ": " << receipt.status();
      continue;
    }
    // A client that is gone misses its receipt; the log still holds its
    // entry, and `fedge audit verify` proves it.
    v1::Task task;
    *task.mutable_receipt() = std::move(*receipt);
    if (auto session = deps_.sessions->Find(upload.client_id)) {
      session->Push(task);
    }
  }
  return absl::OkStatus();
}

}  // namespace fedge::server
