// Guards the data-minimisation promise of the wire contract: no message of
// fedge.v1 can carry training examples, labels or features. Every field of
// every message is listed here with the reason it is safe; a new field fails
// this test until someone reviews it and adds it with its reason.

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "fedge/v1/admin.pb.h"
#include "fedge/v1/audit.pb.h"
#include "fedge/v1/federation.pb.h"
#include "fedge/v1/secagg.pb.h"
#include "fedge/v1/tensor.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

// Fields that hold raw bytes. Each is either a digest or a chunk of a
// serialized parameter set whose names and shapes the receiver checks
// against the global model.
const std::set<std::string>& AllowedBytesFields() {
  static const auto* fields = new std::set<std::string>{
      "fedge.v1.ModelRef.sha256",                     // digest
      "fedge.v1.ModelDescriptor.torchscript_sha256",  // digest
      "fedge.v1.ModelChunk.data",              // global model, server to client
      "fedge.v1.UpdateHeader.sha256",          // digest
      "fedge.v1.UpdateChunk.data",             // model-shaped delta, checked
      "fedge.v1.UploadUpdateResponse.sha256",  // digest
      // Secure aggregation: public keys, signatures, nonces, and Shamir
      // shares of per-round random keys (encrypted end to end, or revealed
      // only as the protocol allows). None derives from training data.
      "fedge.v1.SecAggAdvertiseKeys.encryption_public_key",
      "fedge.v1.SecAggAdvertiseKeys.masking_public_key",
      "fedge.v1.SecAggAdvertiseKeys.signature",
      "fedge.v1.SecAggEncryptedShare.nonce",
      "fedge.v1.SecAggEncryptedShare.ciphertext",
      "fedge.v1.SecAggIncomingShare.nonce",
      "fedge.v1.SecAggIncomingShare.ciphertext",
      "fedge.v1.SecAggRevealedShare.value",
      "fedge.v1.SecAggSharePayload.masking_key_share",
      "fedge.v1.SecAggSharePayload.self_mask_seed_share",
      // The audit log's entries and receipts (audit.proto): digests of
      // configs, models, certificates and uploads, and Merkle hashes. An
      // entry (AuditReceipt.entry) is an encoded AuditEvent, itself made
      // only of the fields listed here and in the other lists.
      "fedge.v1.RunStarted.config_sha256",
      "fedge.v1.RunStarted.model_sha256",
      "fedge.v1.RunStarted.ca_sha256",
      "fedge.v1.RunStarted.server_cert_sha256",
      "fedge.v1.ClientJoined.cert_sha256",
      "fedge.v1.CohortSelected.model_sha256",
      "fedge.v1.UploadAccepted.sha256",
      "fedge.v1.RoundCommitted.model_sha256",
      "fedge.v1.UpstreamModelAdopted.model_sha256",
      "fedge.v1.AuditReceipt.upload_sha256",
      "fedge.v1.AuditReceipt.entry",
      "fedge.v1.AuditReceipt.proof",
      "fedge.v1.ConsistencyEvidence.proof",
  };
  return *fields;
}

// Repeated numeric fields: shapes only, never values.
const std::set<std::string>& AllowedRepeatedNumbers() {
  static const auto* fields = new std::set<std::string>{
      "fedge.v1.TensorSpec.shape",
      "fedge.v1.ModelDescriptor.input_shape",
      // Model version numbers (an erasure's affected models).
      "fedge.v1.EraseClientResponse.model_versions",
      "fedge.v1.ErasureRequested.model_versions",
  };
  return *fields;
}

void CollectFields(const Descriptor* message, std::set<std::string>* all,
                   std::set<const Descriptor*>* seen) {
  if (!seen->insert(message).second) return;
  for (int i = 0; i < message->field_count(); ++i) {
    const FieldDescriptor* field = message->field(i);
    all->insert(field->full_name());
    if (field->message_type() != nullptr &&
        field->message_type()->file()->package() == "fedge.v1") {
      CollectFields(field->message_type(), all, seen);
    }
  }
}

std::vector<const Descriptor*> AllMessages() {
  std::vector<const Descriptor*> out;
  for (const FileDescriptor* file : {v1::JoinRequest::descriptor()->file(),
                                     v1::RunStatus::descriptor()->file(),
                                     v1::TensorSpec::descriptor()->file(),
                                     v1::SecAggMessage::descriptor()->file(),
                                     v1::AuditEvent::descriptor()->file()}) {
    for (int i = 0; i < file->message_type_count(); ++i) {
      out.push_back(file->message_type(i));
    }
  }
  return out;
}

TEST(WireContractTest, OnlyDigestsAndModelShapedChunksAreBytes) {
  for (const Descriptor* message : AllMessages()) {
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor* field = message->field(i);
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        EXPECT_TRUE(AllowedBytesFields().count(field->full_name()))
            << field->full_name()
            << " is a bytes field: it could carry raw data. If it cannot, "
               "add it to AllowedBytesFields with the reason.";
      }
      bool numeric = field->cpp_type() != FieldDescriptor::CPPTYPE_STRING &&
                     field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE &&
                     field->cpp_type() != FieldDescriptor::CPPTYPE_BOOL &&
                     field->cpp_type() != FieldDescriptor::CPPTYPE_ENUM;
      if (field->is_repeated() && numeric) {
        EXPECT_TRUE(AllowedRepeatedNumbers().count(field->full_name()))
            << field->full_name()
            << " is a repeated number: it could carry features or labels.";
      }
    }
  }
}

// The complete list of fields a client can send to the server, each
// reviewed: identifiers, metadata, counts, aggregate metrics, digests and
// model-shaped chunks. Changing a client-to-server message fails here first.
TEST(WireContractTest, ClientToServerFieldsAreExactlyTheReviewedOnes) {
  const std::set<std::string> reviewed = {
      // Join: who and under which consent, never what data.
      "fedge.v1.JoinRequest.capabilities",
      "fedge.v1.JoinRequest.region",
      "fedge.v1.JoinRequest.consent",
      // How much data the device holds: two counts, never the data.
      "fedge.v1.JoinRequest.data",
      "fedge.v1.DataFootprint.examples",
      "fedge.v1.DataFootprint.bytes",
      "fedge.v1.Capabilities.runtime_version",
      "fedge.v1.Capabilities.cpu_cores",
      "fedge.v1.Capabilities.memory_bytes",
      "fedge.v1.Capabilities.model_formats",
      "fedge.v1.ConsentRecord.purpose_id",
      "fedge.v1.ConsentRecord.consent_version",
      "fedge.v1.ConsentRecord.given_at",
      "google.protobuf.Timestamp.seconds",
      "google.protobuf.Timestamp.nanos",
      "fedge.v1.StreamTasksRequest.session_id",
      "fedge.v1.DownloadModelRequest.version",
      // Upload: the header (counts, aggregate metrics, digest) and chunks.
      "fedge.v1.UpdateChunk.header",
      "fedge.v1.UpdateChunk.offset",
      "fedge.v1.UpdateChunk.data",
      "fedge.v1.UpdateHeader.round",
      "fedge.v1.UpdateHeader.model_version",
      "fedge.v1.UpdateHeader.total_size",
      "fedge.v1.UpdateHeader.sha256",
      "fedge.v1.UpdateHeader.metrics",
      "fedge.v1.TrainMetrics.loss",
      "fedge.v1.TrainMetrics.accuracy",
      "fedge.v1.TrainMetrics.num_examples",
      "fedge.v1.TrainMetrics.train_seconds",
      // Evaluation: aggregates only.
      "fedge.v1.EvaluationReport.round",
      "fedge.v1.EvaluationReport.model_version",
      "fedge.v1.EvaluationReport.num_examples",
      "fedge.v1.EvaluationReport.loss",
      "fedge.v1.EvaluationReport.accuracy",
      "fedge.v1.LeaveRequest.reason",
      "fedge.v1.LeaveRequest.withdraw_consent",
      // Upload of a masked input: a flag in the header; the data is the
      // masked, quantized update (UpdateChunk.data).
      "fedge.v1.UpdateHeader.masked",
      // Secure aggregation stages: public keys, signatures and encrypted or
      // protocol-released shares of random per-round keys.
      "fedge.v1.SecAggMessage.round",
      "fedge.v1.SecAggMessage.advertise_keys",
      "fedge.v1.SecAggMessage.share_keys",
      "fedge.v1.SecAggMessage.unmask",
      "fedge.v1.SecAggAdvertiseKeys.encryption_public_key",
      "fedge.v1.SecAggAdvertiseKeys.masking_public_key",
      "fedge.v1.SecAggAdvertiseKeys.signature",
      "fedge.v1.SecAggShareKeys.shares",
      "fedge.v1.SecAggEncryptedShare.recipient",
      "fedge.v1.SecAggEncryptedShare.nonce",
      "fedge.v1.SecAggEncryptedShare.ciphertext",
      "fedge.v1.SecAggUnmask.shares",
      "fedge.v1.SecAggRevealedShare.owner",
      "fedge.v1.SecAggRevealedShare.self_mask_seed",
      "fedge.v1.SecAggRevealedShare.value",
  };
  std::set<std::string> sent;
  std::set<const Descriptor*> seen;
  for (const Descriptor* request :
       {v1::JoinRequest::descriptor(), v1::StreamTasksRequest::descriptor(),
        v1::DownloadModelRequest::descriptor(), v1::UpdateChunk::descriptor(),
        v1::EvaluationReport::descriptor(), v1::LeaveRequest::descriptor(),
        v1::SecAggMessage::descriptor()}) {
    CollectFields(request, &sent, &seen);
  }
  // CollectFields stays in fedge.v1; the one foreign type is Timestamp.
  sent.insert("google.protobuf.Timestamp.seconds");
  sent.insert("google.protobuf.Timestamp.nanos");
  std::vector<std::string> unreviewed, gone;
  std::set_difference(sent.begin(), sent.end(), reviewed.begin(),
                      reviewed.end(), std::back_inserter(unreviewed));
  std::set_difference(reviewed.begin(), reviewed.end(), sent.begin(),
                      sent.end(), std::back_inserter(gone));
  EXPECT_THAT(unreviewed, ::testing::IsEmpty())
      << "fields a client can send that nobody reviewed";
  EXPECT_THAT(gone, ::testing::IsEmpty()) << "reviewed fields that vanished";
}

TEST(WireContractTest, ServiceMethodsAreTheDocumentedOnes) {
  const auto* federation =
      v1::JoinRequest::descriptor()->file()->FindServiceByName("Federation");
  ASSERT_NE(federation, nullptr);
  std::set<std::string> methods;
  for (int i = 0; i < federation->method_count(); ++i) {
    methods.insert(federation->method(i)->name());
  }
  EXPECT_EQ(methods, (std::set<std::string>{
                         "Join", "StreamTasks", "DownloadModel", "UploadUpdate",
                         "ReportEvaluation", "Leave", "SubmitSecAgg"}));
}

}  // namespace
}  // namespace fedge
