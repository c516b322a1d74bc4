// Hostile and broken input against a real aggregator over mutual TLS: each
// case must end in a clear status, leave an entry in the run's audit log
// where the server's own code refuses it, and corrupt nothing (the round
// still commits exactly the honest sum, the store and log stay intact).
// docs/security.md lists every case with the test that proves it.

#include <fcntl.h>
#include <grpcpp/generic/generic_stub.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/audit/run_verifier.h"
#include "common/crypto/sha256.h"
#include "common/pki/certificate_authority.h"
#include "common/pki/x509_builder.h"
#include "common/secagg/client.h"
#include "common/secagg/quantizer.h"
#include "common/secagg/ring.h"
#include "common/tensor/chunking.h"
#include "common/tensor/serialization.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "fedge/v1/tensor.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_federation.h"

namespace fedge::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

std::unique_ptr<server::FederationServer> StartServer(
    config::ServerConfig config) {
  server::ServerOptions options;
  options.config = std::move(config);
  options.show_progress = false;
  auto server = server::FederationServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

// The run's audit log, verified under the federation's key (integrity and
// invariants), as events.
std::vector<v1::AuditEvent> AuditEvents(const TestPki& pki,
                                        const std::string& run_dir) {
  auto key = audit::ReadAuditPublicKey(pki.paths().audit_pub());
  EXPECT_TRUE(key.ok()) << key.status();
  if (!key.ok()) return {};
  auto run = audit::VerifyRun(util::JoinPath(run_dir, "audit"), *key);
  EXPECT_TRUE(run.ok()) << run.status();
  if (!run.ok()) return {};
  EXPECT_TRUE(run->invariants.ok()) << run->invariants;
  return run->events;
}

// Reasons of the UploadRejected entries for `client` in `round`.
std::vector<std::string> Rejections(const std::vector<v1::AuditEvent>& events,
                                    const std::string& client, uint64_t round) {
  std::vector<std::string> out;
  for (const v1::AuditEvent& e : events) {
    if (e.has_upload_rejected() && e.round() == round &&
        e.upload_rejected().client_id() == client) {
      EXPECT_EQ(e.actor(), client);
      out.push_back(e.upload_rejected().reason());
    }
  }
  return out;
}

size_t Count(const std::vector<v1::AuditEvent>& events,
             v1::AuditEvent::EventCase kind, const std::string& client = "") {
  size_t n = 0;
  for (const v1::AuditEvent& e : events) {
    if (e.event_case() != kind) continue;
    if (!client.empty()) {
      std::string id;
      if (e.has_client_joined()) id = e.client_joined().client_id();
      if (e.has_upload_accepted()) id = e.upload_accepted().client_id();
      if (e.has_client_dropped()) id = e.client_dropped().client_id();
      if (e.has_join_refused()) id = e.join_refused().client_id();
      if (id != client) continue;
    }
    ++n;
  }
  return n;
}

std::vector<std::string> AuthenticationFailures(
    const std::vector<v1::AuditEvent>& events) {
  std::vector<std::string> out;
  for (const v1::AuditEvent& e : events) {
    if (e.has_authentication_failed()) {
      out.push_back(e.authentication_failed().reason());
    }
  }
  return out;
}

const v1::RoundCommitted* Committed(const std::vector<v1::AuditEvent>& events,
                                    uint64_t round) {
  for (const v1::AuditEvent& e : events) {
    if (e.has_round_committed() && e.round() == round) {
      return &e.round_committed();
    }
  }
  return nullptr;
}

// An upload of `blob` in `chunk_size` chunks with a correct header.
std::vector<v1::UpdateChunk> Chunks(uint64_t round, uint64_t model_version,
                                    const std::string& blob,
                                    uint64_t examples = 100,
                                    size_t chunk_size = 64 << 10) {
  std::vector<v1::UpdateChunk> chunks;
  for (tensor::ChunkSlice s : tensor::SliceChunks(blob.size(), chunk_size)) {
    v1::UpdateChunk chunk;
    chunk.set_offset(s.offset);
    chunk.set_data(blob.substr(s.offset, s.size));
    chunks.push_back(std::move(chunk));
  }
  if (chunks.empty()) chunks.emplace_back();
  v1::UpdateHeader* h = chunks[0].mutable_header();
  h->set_round(round);
  h->set_model_version(model_version);
  h->set_total_size(blob.size());
  h->set_sha256(crypto::DigestBytes(crypto::Sha256(blob)));
  h->mutable_metrics()->set_num_examples(examples);
  return chunks;
}

std::vector<v1::UpdateChunk> Chunks(const v1::TrainTask& task,
                                    const std::string& blob,
                                    uint64_t examples = 100) {
  return Chunks(task.round(), task.model().version(), blob, examples);
}

// A delta of the model's layout with every value `value`.
tensor::ParameterSet Filled(const tensor::ParameterSet& model, float value) {
  tensor::ParameterSet p = *tensor::ParameterSet::Zeros(model.specs());
  for (float& v : p.mutable_values()) v = value;
  return p;
}

// A serialized parameter set whose first tensor claims dtype `dtype`.
std::string WithDType(const std::string& blob, int dtype) {
  const size_t kPrefix = tensor::kSerializationMagic.size() + 4;
  uint32_t len = 0;
  for (int i = 3; i >= 0; --i) {
    len = (len << 8) |
          static_cast<uint8_t>(blob[tensor::kSerializationMagic.size() + i]);
  }
  v1::ParameterSetHeader header;
  EXPECT_TRUE(header.ParseFromString(blob.substr(kPrefix, len)));
  const size_t old_padding = (16 - (kPrefix + len) % 16) % 16;
  const std::string values = blob.substr(kPrefix + len + old_padding);
  header.mutable_tensors(0)->set_dtype(static_cast<v1::DType>(dtype));
  const std::string encoded = header.SerializeAsString();
  std::string out(tensor::kSerializationMagic);
  const uint32_t n = static_cast<uint32_t>(encoded.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(n >> (8 * i)));
  out += encoded;
  out.append((16 - out.size() % 16) % 16, '\0');
  return out + values;
}

// The next training task, skipping receipts of the previous round.
v1::Task NextTrain(RawClient& client) {
  for (int i = 0; i < 4; ++i) {
    v1::Task task = client.NextTask();
    if (!task.has_receipt()) return task;
  }
  ADD_FAILURE() << "no training task";
  return v1::Task();
}

grpc::ByteBuffer FromString(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

void* Tag(intptr_t i) { return reinterpret_cast<void*>(i); }

bool Await(grpc::CompletionQueue& cq, intptr_t tag) {
  void* got = nullptr;
  bool ok = false;
  EXPECT_TRUE(cq.Next(&got, &ok));
  EXPECT_EQ(got, Tag(tag));
  return ok;
}

// Sends `bytes` as the request of the unary `method`, unparsed.
grpc::Status RawUnary(std::shared_ptr<grpc::Channel> channel,
                      const std::string& method, const std::string& bytes) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  auto call = stub.PrepareUnaryCall(&context, method, FromString(bytes), &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, Tag(1));
  Await(cq, 1);
  return status;
}

// Sends each of `messages` (raw bytes) on the client stream `method`.
grpc::Status RawClientStream(std::shared_ptr<grpc::Channel> channel,
                             const std::string& method,
                             const std::vector<std::string>& messages) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  auto call = stub.PrepareCall(&context, method, &cq);
  call->StartCall(Tag(1));
  Await(cq, 1);
  intptr_t tag = 2;
  for (const std::string& m : messages) {
    call->Write(FromString(m), Tag(tag));
    if (!Await(cq, tag++)) break;
  }
  call->WritesDone(Tag(tag));
  Await(cq, tag++);
  grpc::ByteBuffer response;
  call->Read(&response, Tag(tag));
  Await(cq, tag++);
  grpc::Status status;
  call->Finish(&status, Tag(tag));
  Await(cq, tag);
  return status;
}

// Hand-driven devices upload known deltas, so the committed models are known
// exactly. Mallory tries every broken upload in round 1 and replays round 1
// in round 2; a device that joined after selection and one that never
// joined try to upload too. Each refusal has its status and its
// UploadRejected entry, and both rounds commit exactly the honest sums.
TEST(HostileInputTest, BrokenUploadsAreRefusedLoggedAndLeaveTheSumExact) {
  TestPki pki = MakePki({"alice", "bob", "mallory", "latecomer", "stranger"});
  const std::string run_dir = MakeTempDir("fedge_run");
  auto server = StartServer(SmallServerConfig(pki, run_dir, 2, 3));
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  RawClient alice(pki, "alice", port);
  RawClient bob(pki, "bob", port);
  RawClient mallory(pki, "mallory", port);
  ASSERT_TRUE(alice.Connect().ok());
  ASSERT_TRUE(bob.Connect().ok());
  ASSERT_TRUE(mallory.Connect().ok());
  v1::Task task = mallory.NextTask();
  ASSERT_TRUE(task.has_train());
  const v1::TrainTask train = task.train();
  ASSERT_EQ(train.round(), 1u);
  ASSERT_TRUE(alice.NextTask().has_train());
  ASSERT_TRUE(bob.NextTask().has_train());
  const tensor::ParameterSet base = ReadCheckpoint(run_dir, 0);
  const std::string good = tensor::Serialize(Filled(base, 0.005f));

  struct Case {
    std::string name;
    std::vector<v1::UpdateChunk> chunks;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  {
    // Bytes that are no parameter set, with a correct digest and size.
    std::string garbage(good.size() / 2, '\x5a');
    cases.push_back({"garbage", Chunks(train, garbage),
                     grpc::StatusCode::INVALID_ARGUMENT,
                     "update is not a valid parameter set"});
  }
  cases.push_back({"wrong dtype", Chunks(train, WithDType(good, 2)),
                   grpc::StatusCode::INVALID_ARGUMENT,
                   "has dtype 2; fedge exchanges float32 only"});
  {
    auto chunks = Chunks(train, good);
    chunks.pop_back();
    cases.push_back({"truncated", chunks, grpc::StatusCode::INVALID_ARGUMENT,
                     "stream ended after"});
  }
  {
    auto chunks = Chunks(train, good);
    ASSERT_GE(chunks.size(), 3u);
    std::swap(chunks[1], chunks[2]);
    cases.push_back({"reordered", chunks, grpc::StatusCode::INVALID_ARGUMENT,
                     "chunks must arrive in order"});
  }
  {
    auto chunks = Chunks(train, good);
    const v1::UpdateChunk again = chunks[1];
    chunks.insert(chunks.begin() + 2, again);
    cases.push_back({"duplicated chunk", chunks,
                     grpc::StatusCode::INVALID_ARGUMENT,
                     "without gaps or repeats"});
  }
  {
    auto chunks = Chunks(train, good);
    chunks[0].mutable_header()->set_sha256(
        crypto::DigestBytes(crypto::Sha256("another update")));
    cases.push_back({"digest mismatch", chunks, grpc::StatusCode::DATA_LOSS,
                     "SHA-256 of the received bytes"});
  }
  {
    auto chunks = Chunks(train, good);
    chunks[0].mutable_header()->set_total_size(1ull << 40);
    cases.push_back({"oversized declaration", chunks,
                     grpc::StatusCode::RESOURCE_EXHAUSTED,
                     "is larger than the model"});
  }
  {
    auto chunks = Chunks(train, good);
    v1::UpdateChunk extra;
    extra.set_offset(good.size());
    extra.set_data(std::string(4096, '\0'));
    chunks.push_back(extra);
    cases.push_back({"stream beyond its declaration", chunks,
                     grpc::StatusCode::RESOURCE_EXHAUSTED,
                     "more than its declared"});
  }
  for (float bad : {std::numeric_limits<float>::quiet_NaN(),
                    -std::numeric_limits<float>::infinity()}) {
    tensor::ParameterSet p = Filled(base, 0.005f);
    p.mutable_values()[777] = bad;
    cases.push_back({std::isnan(bad) ? "NaN" : "Inf",
                     Chunks(train, tensor::Serialize(p)),
                     grpc::StatusCode::INVALID_ARGUMENT,
                     std::isnan(bad) ? "contains NaN at element 777"
                                     : "contains Inf at element 777"});
  }
  cases.push_back({"stale model version", Chunks(1, 5, good),
                   grpc::StatusCode::FAILED_PRECONDITION,
                   "trained from model version 5"});
  cases.push_back({"future round", Chunks(2, 0, good),
                   grpc::StatusCode::FAILED_PRECONDITION,
                   "update is for round 2 but round 1 is open"});
  {
    auto chunks = Chunks(train, good);
    chunks[0].clear_header();
    cases.push_back({"no header", chunks, grpc::StatusCode::INVALID_ARGUMENT,
                     "must carry its header"});
  }
  for (const Case& c : cases) {
    grpc::Status status = mallory.Upload(c.chunks);
    EXPECT_EQ(status.error_code(), c.code)
        << c.name << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.message)) << c.name;
  }
  // The refusals below are not the upload checks' own; the log holds what
  // the upload handler saw of them.
  std::vector<std::string> also_logged;
  // A single message above the server's 4 MiB limit, after the first
  // chunk: gRPC refuses it and ends the call. Whether the upload handler
  // then sees a cancelled call or a stream that ended early is a race in
  // gRPC; either way nothing of it reaches the round, and as the answer
  // never reaches the client neither is recorded as a rejection (the check
  // below still allows one).
  {
    auto chunks = Chunks(train, good);
    chunks[1].set_data(std::string(5 << 20, '\0'));
    chunks.resize(2);
    grpc::Status status = mallory.Upload(chunks);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("larger than max"));
  }
  // Malformed protobuf: bytes that do not parse as the request message.
  const std::string not_protobuf("\xff\xff\xff\xff\x0f", 5);
  {
    // Control: well-formed bytes (an empty JoinRequest) reach the handler,
    // which refuses the missing consent.
    grpc::Status parsed = RawUnary(DeviceChannel(pki, "mallory", port),
                                   "/fedge.v1.Federation/Join", "");
    EXPECT_EQ(parsed.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << parsed.error_message();
    EXPECT_THAT(parsed.error_message(), HasSubstr("consent is for purpose"));
    // gRPC 1.51 answers a request that does not parse with UNIMPLEMENTED
    // and no message, before any fedge code runs.
    grpc::Status status = RawUnary(DeviceChannel(pki, "mallory", port),
                                   "/fedge.v1.Federation/Join", not_protobuf);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
        << status.error_message();
    // The chunk that does not parse ends the stream: nothing was read.
    grpc::Status stream =
        RawClientStream(DeviceChannel(pki, "mallory", port),
                        "/fedge.v1.Federation/UploadUpdate", {not_protobuf});
    EXPECT_EQ(stream.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << stream.error_message();
    EXPECT_THAT(stream.error_message(), HasSubstr("upload carried no chunks"));
    also_logged.push_back("upload carried no chunks");
  }

  // Joined after the cohort was drawn: not selected.
  RawClient latecomer(pki, "latecomer", port);
  ASSERT_TRUE(latecomer.Connect().ok());
  grpc::Status unselected = latecomer.Upload(Chunks(train, good));
  EXPECT_EQ(unselected.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(unselected.error_message(),
              HasSubstr("latecomer was not selected for round 1"));
  ASSERT_TRUE(latecomer.Leave(false, "not needed").ok());
  // A device of the federation that never joined: no session, no round.
  RawClient stranger(pki, "stranger", port);
  grpc::Status unknown = stranger.Upload(Chunks(train, good));
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(unknown.error_message(),
              HasSubstr("stranger was not selected for round 1"));
  {
    auto stub = v1::Federation::NewStub(DeviceChannel(pki, "stranger", port));
    grpc::ClientContext context;
    v1::StreamTasksRequest request;
    request.set_session_id("made-up-session");
    auto reader = stub->StreamTasks(&context, request);
    v1::Task none;
    EXPECT_FALSE(reader->Read(&none));
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(status.error_message(),
                HasSubstr("unknown or expired session"));
  }

  // The honest uploads, then mallory's own, once.
  const std::string alice1 = tensor::Serialize(Filled(base, 0.01f));
  const std::string bob1 = tensor::Serialize(Filled(base, -0.02f));
  ASSERT_TRUE(alice.Upload(Chunks(train, alice1, 100)).ok());
  ASSERT_TRUE(bob.Upload(Chunks(train, bob1, 300)).ok());
  const auto mallory1 = Chunks(train, good, 100);
  grpc::Status accepted = mallory.Upload(mallory1);
  ASSERT_TRUE(accepted.ok()) << accepted.error_message();

  // Round 2: mallory replays its round-1 upload, then sends one trained
  // from round 1's base model.
  v1::Task task2 = NextTrain(mallory);
  ASSERT_TRUE(task2.has_train());
  const v1::TrainTask train2 = task2.train();
  ASSERT_EQ(train2.round(), 2u);
  ASSERT_EQ(train2.model().version(), 1u);
  grpc::Status replayed = mallory.Upload(mallory1);
  EXPECT_EQ(replayed.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(replayed.error_message(),
              HasSubstr("update is for round 1 but round 2 is open"));
  grpc::Status stale = mallory.Upload(Chunks(2, 0, good));
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(stale.error_message(),
              HasSubstr("trained from model version 0 but round 2 "
                        "distributes version 1"));
  ASSERT_TRUE(NextTrain(alice).has_train());
  ASSERT_TRUE(NextTrain(bob).has_train());
  ASSERT_TRUE(alice.Upload(Chunks(train2, alice1, 100)).ok());
  ASSERT_TRUE(bob.Upload(Chunks(train2, bob1, 300)).ok());
  ASSERT_TRUE(mallory.Upload(Chunks(train2, good, 100)).ok());
  // A second upload of the same round: refused, not counted twice.
  grpc::Status duplicate = mallory.Upload(Chunks(train2, good, 100));
  EXPECT_EQ(duplicate.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(duplicate.error_message(), HasSubstr("an update from mallory"));
  ASSERT_TRUE(server->Wait().ok());
  server->Shutdown();

  // Nothing corrupted: each round moved the model by exactly the
  // example-weighted mean of the three accepted deltas.
  const double mean = (100 * 0.01 + 300 * -0.02 + 100 * 0.005) / 500.0;
  tensor::ParameterSet expected = base;
  for (uint64_t round = 1; round <= 2; ++round) {
    std::vector<double> want(expected.num_elements());
    for (size_t i = 0; i < want.size(); ++i) {
      want[i] = expected.values()[i] + mean;
    }
    tensor::ParameterSet got = ReadCheckpoint(run_dir, round);
    EXPECT_LT(MaxAbsDiff(got.values(), want), 1e-6) << "round " << round;
    expected = got;
  }
  auto rounds = server->store().ListRounds();
  ASSERT_TRUE(rounds.ok());
  ASSERT_EQ(rounds->size(), 2u);
  for (const auto& r : *rounds) {
    EXPECT_EQ(r.status, "completed");
    EXPECT_EQ(r.completed, 3u);
  }

  // Each refusal of the server's own checks is in the log, with its reason.
  std::vector<v1::AuditEvent> events = AuditEvents(pki, run_dir);
  // In any order: a stream that ends early is recorded once its call is
  // done (an upload cut off with its connection is no rejection), which
  // can be after the client has sent its next upload.
  std::vector<::testing::Matcher<std::string>> want;
  for (const Case& c : cases) want.push_back(HasSubstr(c.message));
  for (const std::string& m : also_logged) want.push_back(HasSubstr(m));
  std::vector<std::string> logged = Rejections(events, "mallory", 1);
  if (logged.size() == want.size() + 1) {
    // The oversized message, if its end was seen as a stream that ended
    // early rather than as a cancelled call.
    want.push_back(HasSubstr("stream ended after 65536 of its declared"));
  }
  EXPECT_THAT(logged, UnorderedElementsAreArray(want));
  EXPECT_THAT(Rejections(events, "latecomer", 1),
              ElementsAre(HasSubstr("not selected for round 1")));
  EXPECT_THAT(Rejections(events, "stranger", 1),
              ElementsAre(HasSubstr("not selected for round 1")));
  EXPECT_THAT(Rejections(events, "mallory", 2),
              ElementsAre(HasSubstr("update is for round 1 but round 2"),
                          HasSubstr("trained from model version 0"),
                          HasSubstr("an update from mallory")));
  EXPECT_EQ(Count(events, v1::AuditEvent::kUploadAccepted, "mallory"), 2u);
  EXPECT_EQ(Count(events, v1::AuditEvent::kClientJoined, "stranger"), 0u);
  for (uint64_t round = 1; round <= 2; ++round) {
    const v1::RoundCommitted* c = Committed(events, round);
    ASSERT_NE(c, nullptr) << round;
    EXPECT_THAT(c->contributors(),
                UnorderedElementsAre("alice", "bob", "mallory"));
    EXPECT_EQ(c->examples(), 500u);
  }
}

// Writes a device certificate for `id` into `pki`, made as `fedge pki
// issue-client` makes one (same CA, role and SAN) but issued at `issued_at`
// for `days` days.
void IssueAt(const TestPki& pki, const std::string& id, absl::Time issued_at,
             int days) {
  pki::PkiPaths paths = pki.paths();
  auto ca = pki::LoadCertificateAuthority(paths);
  ASSERT_TRUE(ca.ok()) << ca.status();
  pki::GENERAL_NAMESPtr names(sk_GENERAL_NAME_new_null());
  ASSERT_TRUE(pki::AddGeneralName(names.get(), GEN_URI,
                                  absl::StrCat("fedge://device/", id))
                  .ok());
  auto leaf = pki::MakeLeaf(ca->cert.get(), ca->key.get(), ca->organization,
                            ca->not_after, "device", id, "clientAuth",
                            names.get(), days, issued_at);
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  ASSERT_TRUE(util::MakeDirectories(util::JoinPath(pki.dir, "clients")).ok());
  ASSERT_TRUE(pki::WritePrivateKey(paths.client_key(id), leaf->key.get()).ok());
  ASSERT_TRUE(
      pki::WriteCertificate(paths.client_cert(id), leaf->cert.get()).ok());
}

absl::Status JoinWith(std::shared_ptr<grpc::Channel> channel) {
  auto stub = v1::Federation::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::JoinRequest request;
  request.mutable_consent()->set_purpose_id("fedge-training");
  request.mutable_consent()->set_consent_version("1");
  v1::JoinResponse response;
  grpc::Status status = stub->Join(&context, request, &response);
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

// Certificates the federation must not accept: revoked in the CRL, revoked
// by an admin while connected, expired, from another CA; and a device
// certificate on the Admin service.
TEST(HostileInputTest, BadCertificatesAreRefusedAndNothingOfThemIsStored) {
  TestPki pki = MakePki({"good", "crl-revoked", "admin-revoked", "later"});
  TestPki foreign = MakePki({"good"});
  // Valid from 30 to 20 days ago; "fresh" is made the same way, valid now.
  IssueAt(pki, "expired", absl::Now() - absl::Hours(24 * 30), 10);
  IssueAt(pki, "fresh", absl::Now(), 10);
  ASSERT_TRUE(pki::RevokeClient(pki.dir, "crl-revoked").ok());
  const std::string run_dir = MakeTempDir("fedge_run");
  // Five clients needed: the run stays in selection while it is probed.
  auto server = StartServer(SmallServerConfig(pki, run_dir, 1, 5));
  ASSERT_NE(server, nullptr);
  const int port = server->port();

  EXPECT_TRUE(JoinWith(DeviceChannel(pki, "good", port)).ok());
  EXPECT_TRUE(JoinWith(DeviceChannel(pki, "fresh", port)).ok());
  // Refused in the TLS handshake: the call never reaches a handler.
  for (const auto& [name, channel] :
       std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>>{
           {"revoked in the CRL", DeviceChannel(pki, "crl-revoked", port)},
           {"expired", DeviceChannel(pki, "expired", port)},
           {"foreign CA", DeviceChannel(foreign, "good", port)}}) {
    absl::Status s = JoinWith(channel);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << name << ": " << s;
  }

  // The CRL is read again on every connection: revoked while the server
  // runs, refused from the next connection on.
  EXPECT_TRUE(JoinWith(DeviceChannel(pki, "later", port)).ok());
  ASSERT_TRUE(pki::RevokeClient(pki.dir, "later").ok());
  EXPECT_EQ(JoinWith(DeviceChannel(pki, "later", port)).code(),
            absl::StatusCode::kUnavailable);

  // A device certificate calling the Admin service.
  {
    auto stub = v1::Admin::NewStub(DeviceChannel(pki, "good", port));
    grpc::ClientContext context;
    v1::StopRunResponse stopped;
    grpc::Status s = stub->StopRun(&context, v1::StopRunRequest(), &stopped);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(s.error_message(),
                HasSubstr("accepts only admin certificates, and the "
                          "certificate of good has role device"));
    EXPECT_EQ(server->run_state().summary().state, "running");
  }

  // Revoked by an admin while its connection is open: its next call on
  // that same connection is refused by the services.
  auto admin = v1::Admin::NewStub(AdminChannel(pki, port));
  std::shared_ptr<grpc::Channel> open =
      DeviceChannel(pki, "admin-revoked", port);
  EXPECT_TRUE(JoinWith(open).ok());
  {
    grpc::ClientContext context;
    v1::RevokeClientRequest request;
    request.set_client_id("admin-revoked");
    request.set_reason("stolen device");
    v1::RevokeClientResponse response;
    ASSERT_TRUE(admin->RevokeClient(&context, request, &response).ok());
  }
  absl::Status after = JoinWith(open);
  EXPECT_EQ(after.code(), absl::StatusCode::kPermissionDenied) << after;
  EXPECT_THAT(after.message(), HasSubstr("admin-revoked"));
  EXPECT_THAT(after.message(), HasSubstr("is revoked"));
  EXPECT_EQ(JoinWith(DeviceChannel(pki, "admin-revoked", port)).code(),
            absl::StatusCode::kUnavailable);
  // An admin naming a client id that never joined.
  {
    grpc::ClientContext context;
    v1::EraseClientRequest request;
    request.set_client_id("nobody");
    v1::EraseClientResponse response;
    grpc::Status s = admin->EraseClient(&context, request, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(s.error_message(), HasSubstr("nobody never joined this run"));
  }
  {
    grpc::ClientContext context;
    v1::StopRunRequest request;
    request.set_reason("probe done");
    v1::StopRunResponse response;
    ASSERT_TRUE(admin->StopRun(&context, request, &response).ok());
  }
  ASSERT_TRUE(server->Wait().ok());
  server->Shutdown();

  auto clients = server->store().ListClients();
  ASSERT_TRUE(clients.ok());
  std::vector<std::string> ids;
  for (const auto& c : *clients) ids.push_back(c.client_id);
  EXPECT_THAT(ids,
              UnorderedElementsAre("admin-revoked", "fresh", "good", "later"));
  std::vector<v1::AuditEvent> events = AuditEvents(pki, run_dir);
  for (const char* refused : {"crl-revoked", "expired"}) {
    EXPECT_EQ(Count(events, v1::AuditEvent::kClientJoined, refused), 0u)
        << refused;
  }
  // good, fresh, later and admin-revoked, once each.
  EXPECT_EQ(Count(events, v1::AuditEvent::kClientJoined), 4u);
  // The services' refusals, and the handshakes refused for revoked
  // certificates (the first of each caller at once; gRPC's reconnection
  // attempts within a minute are folded into a later entry). Expired and
  // foreign certificates fail inside OpenSSL, before fedge sees them.
  EXPECT_THAT(
      AuthenticationFailures(events),
      UnorderedElementsAre(
          HasSubstr("certificate of good has role device"),
          HasSubstr("certificate of admin-revoked (serial"),
          HasSubstr("TLS handshake: the certificate of crl-revoked (serial"),
          HasSubstr("TLS handshake: the certificate of later (serial"),
          HasSubstr(
              "TLS handshake: the certificate of admin-revoked (serial")));
  bool revoke_logged = false;
  for (const v1::AuditEvent& e : events) {
    if (e.has_admin_action() && e.admin_action().action() == "revoke") {
      revoke_logged = e.admin_action().target() == "admin-revoked" &&
                      e.admin_action().reason() == "stolen device";
    }
  }
  EXPECT_TRUE(revoke_logged);
}

crypto::SecretBytes RoundingSeed(const std::string& id, uint64_t round) {
  return crypto::SecretBytes::Copy(crypto::DigestBytes(
      crypto::Sha256(absl::StrCat("rounding/", id, "/", round))));
}

// Real clients that train, each with a known rounding seed (so the test
// can redo its quantization).
std::vector<std::unique_ptr<ClientThread>> SecureClients(
    const TestPki& pki, const std::vector<std::string>& ids, int port) {
  const data::Dataset& data = FashionMnistTest();
  std::vector<std::unique_ptr<ClientThread>> clients;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string id = ids[i];
    clients.push_back(std::make_unique<ClientThread>(
        pki, id, port, Slice(data, 80 * i, 80),
        [id](client::EdgeClientOptions& o) {
          o.rounding_seed = [id](uint64_t round) {
            return RoundingSeed(id, round);
          };
        }));
  }
  return clients;
}

// The model a secure round must commit from `clients`' training: base plus
// the dequantized ring sum of their quantized, weighted deltas.
std::vector<float> ExpectedSecureModel(
    const tensor::ParameterSet& base, const v1::SecAggParameters& params,
    const std::vector<std::unique_ptr<ClientThread>>& clients,
    const std::vector<std::string>& ids) {
  std::vector<uint64_t> sum(params.num_elements(), 0);
  for (size_t i = 0; i < clients.size(); ++i) {
    auto records = clients[i]->trainer()->records();
    EXPECT_EQ(records.size(), 1u);
    if (records.empty()) return {};
    const auto& rec = records[0];
    tensor::ParameterSet delta = rec.trained;
    absl::Span<float> d = delta.mutable_values();
    for (size_t j = 0; j < d.size(); ++j) d[j] -= rec.global.values()[j];
    auto q = secagg::QuantizeWeighted(delta.values(), rec.num_examples, params,
                                      RoundingSeed(ids[i], 1));
    EXPECT_TRUE(q.ok()) << q.status();
    if (!q.ok()) return {};
    for (size_t j = 0; j < sum.size(); ++j) sum[j] += (*q)[j];
  }
  secagg::Reduce(params.ring_bits(), absl::MakeSpan(sum));
  auto mean = secagg::Dequantize(sum, params);
  EXPECT_TRUE(mean.ok()) << mean.status();
  if (!mean.ok()) return {};
  std::vector<float> out(base.values().begin(), base.values().end());
  for (size_t j = 0; j < out.size(); ++j) out[j] += mean->delta[j];
  return out;
}

grpc::Status Submit(v1::Federation::Stub& stub,
                    const v1::SecAggMessage& message) {
  grpc::ClientContext context;
  v1::SecAggAck ack;
  return stub.SubmitSecAgg(&context, message, &ack);
}

// A device in a secure round sends messages of the wrong stage and round,
// a key advertisement that does not verify, and key shares addressed to a
// non-neighbour or twice to one peer, then vanishes. Each message is
// refused and logged; the round unmasks exactly the honest clients' sum.
TEST(HostileInputTest, SecureAggregationMessagesOutOfOrderOrMisaddressed) {
  const std::vector<std::string> honest = {"c1", "c2", "c3", "c4"};
  std::vector<std::string> all = honest;
  all.push_back("mallory");
  TestPki pki = MakePki(all);
  const std::string run_dir = MakeTempDir("fedge_run");
  // Five are selected; four are enough to commit.
  config::ServerConfig config = SmallServerConfig(pki, run_dir, 1, 4);
  config.cohort.available_clients = 5;
  config.secure_aggregation.enabled = true;
  config.secure_aggregation.clip_range = 0.5;
  config.secure_aggregation.max_weight = 1000;
  auto server = StartServer(config);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  RawClient mallory(pki, "mallory", port);
  ASSERT_TRUE(mallory.Connect().ok());
  auto clients = SecureClients(pki, honest, port);
  for (auto& c : clients) c->Start();

  v1::Task task = mallory.NextTask();
  ASSERT_TRUE(task.has_train());
  ASSERT_TRUE(task.train().has_secagg());
  const uint64_t round = task.train().round();
  auto stub = v1::Federation::NewStub(DeviceChannel(pki, "mallory", port));

  struct Case {
    std::string name;
    v1::SecAggMessage message;
    grpc::StatusCode code;
    std::string text;
  };
  std::vector<Case> cases;
  {
    v1::SecAggMessage m;
    m.set_round(round);
    m.mutable_share_keys();
    cases.push_back({"share keys before advertising", m,
                     grpc::StatusCode::FAILED_PRECONDITION,
                     "a share-keys message is not accepted in stage"});
  }
  {
    v1::SecAggMessage m;
    m.set_round(round);
    m.mutable_unmask();
    cases.push_back({"unmask before advertising", m,
                     grpc::StatusCode::FAILED_PRECONDITION,
                     "an unmask message is not accepted in stage"});
  }
  secagg::ClientIdentity identity;
  identity.client_id = "mallory";
  identity.private_key_pem = *util::ReadFile(pki.paths().client_key("mallory"));
  identity.ca_certificate_pem = *util::ReadFile(pki.paths().ca_cert());
  v1::SecAggMessage advertisement;
  auto client = secagg::SecAggClient::Start(
      identity, round, task.train().secagg(), &advertisement);
  ASSERT_TRUE(client.ok()) << client.status();
  {
    v1::SecAggMessage m = advertisement;
    m.set_round(round + 1);
    cases.push_back(
        {"another round", m, grpc::StatusCode::FAILED_PRECONDITION,
         absl::StrCat("secure aggregation message for round ", round + 1)});
  }
  {
    v1::SecAggMessage m = advertisement;
    std::string key = m.advertise_keys().masking_public_key();
    key[0] = static_cast<char>(key[0] ^ 1);
    m.mutable_advertise_keys()->set_masking_public_key(key);
    cases.push_back({"keys that do not match their signature", m,
                     grpc::StatusCode::PERMISSION_DENIED,
                     "is not signed by its certificate key"});
  }
  for (const Case& c : cases) {
    grpc::Status s = Submit(*stub, c.message);
    EXPECT_EQ(s.error_code(), c.code) << c.name << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.text)) << c.name;
  }
  ASSERT_TRUE(Submit(*stub, advertisement).ok());
  v1::Task share_request = mallory.NextTask();
  ASSERT_TRUE(share_request.has_secagg_share_keys());
  auto shares = (*client)->OnShareKeys(share_request.secagg_share_keys());
  ASSERT_TRUE(shares.ok()) << shares.status();
  ASSERT_GE(shares->share_keys().shares_size(), 2);
  std::vector<Case> misaddressed;
  misaddressed.push_back(
      {"an advertisement after its stage closed", advertisement,
       grpc::StatusCode::FAILED_PRECONDITION,
       "a key advertisement is not accepted in stage 'share keys'"});
  {
    v1::SecAggMessage m = *shares;
    m.mutable_share_keys()->mutable_shares(0)->set_recipient("nobody");
    misaddressed.push_back({"addressed to a stranger", m,
                            grpc::StatusCode::INVALID_ARGUMENT,
                            "addressed shares to nobody, who is not its "
                            "neighbour"});
  }
  {
    v1::SecAggMessage m = *shares;
    m.mutable_share_keys()->mutable_shares(1)->set_recipient(
        m.share_keys().shares(0).recipient());
    misaddressed.push_back(
        {"two shares for one peer", m, grpc::StatusCode::INVALID_ARGUMENT,
         absl::StrCat("sent shares to ", m.share_keys().shares(0).recipient(),
                      " twice")});
  }
  {
    v1::SecAggMessage m = *shares;
    m.mutable_share_keys()->mutable_shares(0)->set_recipient("mallory");
    misaddressed.push_back({"addressed to itself", m,
                            grpc::StatusCode::INVALID_ARGUMENT,
                            "addressed shares to mallory"});
  }
  for (const Case& c : misaddressed) {
    grpc::Status s = Submit(*stub, c.message);
    EXPECT_EQ(s.error_code(), c.code) << c.name << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.text)) << c.name;
    cases.push_back(c);
  }
  mallory.Disconnect();  // vanishes before sharing its keys

  ASSERT_TRUE(server->Wait().ok());
  for (auto& c : clients) EXPECT_TRUE(c->Join().ok());
  server->Shutdown();
  auto rounds = server->store().ListRounds();
  ASSERT_TRUE(rounds.ok());
  ASSERT_EQ(rounds->size(), 1u);
  ASSERT_EQ((*rounds)[0].status, "completed") << (*rounds)[0].reason;
  EXPECT_EQ((*rounds)[0].completed, 4u);

  // Exactly the four honest inputs are in the unmasked sum.
  tensor::ParameterSet base = ReadCheckpoint(run_dir, 0);
  std::vector<float> want =
      ExpectedSecureModel(base, task.train().secagg(), clients, honest);
  tensor::ParameterSet got = ReadCheckpoint(run_dir, 1);
  ASSERT_EQ(want.size(), got.num_elements());
  size_t differing = 0;
  for (size_t j = 0; j < want.size(); ++j) {
    differing += got.values()[j] != want[j];
  }
  EXPECT_EQ(differing, 0u);

  std::vector<v1::AuditEvent> events = AuditEvents(pki, run_dir);
  std::vector<std::string> logged = Rejections(events, "mallory", round);
  ASSERT_EQ(logged.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_THAT(logged[i], HasSubstr(cases[i].text)) << cases[i].name;
  }
  EXPECT_EQ(Count(events, v1::AuditEvent::kClientDropped, "mallory"), 1u);
  const v1::RoundCommitted* committed = Committed(events, round);
  ASSERT_NE(committed, nullptr);
  EXPECT_THAT(committed->contributors(),
              UnorderedElementsAre("c1", "c2", "c3", "c4"));
}

// Redirects this process's stderr (where fedge logs) to a file while alive.
class StderrCapture {
 public:
  explicit StderrCapture(const std::string& path) : path_(path) {
    fflush(stderr);
    saved_ = ::dup(2);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_GE(fd, 0);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~StderrCapture() { Restore(); }
  std::string Restore() {
    if (saved_ >= 0) {
      fflush(stderr);
      ::dup2(saved_, 2);
      ::close(saved_);
      saved_ = -1;
    }
    auto text = util::ReadFile(path_);
    return text.ok() ? *text : "";
  }

 private:
  std::string path_;
  int saved_ = -1;
};

// The base64 lines of a PEM file's body.
std::vector<std::string> PemBodyLines(const std::string& path) {
  auto pem = util::ReadFile(path);
  EXPECT_TRUE(pem.ok()) << pem.status();
  std::vector<std::string> lines;
  for (absl::string_view line :
       absl::StrSplit(pem.ok() ? *pem : "", '\n', absl::SkipEmpty())) {
    if (!absl::StartsWith(line, "-----")) lines.emplace_back(line);
  }
  return lines;
}

// A secure round with a client whose messages are refused, logged at
// debug level: no private key of the federation (device, server, admin, CA,
// audit), in PEM, base64 or hex, appears in the log.
TEST(HostileInputTest, DebugLogOfASecureRoundHoldsNoKeyMaterial) {
  const std::vector<std::string> ids = {"k1", "k2", "k3"};
  TestPki pki = MakePki(ids);
  const std::string run_dir = MakeTempDir("fedge_run");
  config::ServerConfig config = SmallServerConfig(pki, run_dir, 1, 3);
  config.secure_aggregation.enabled = true;
  config.secure_aggregation.clip_range = 0.5;
  const std::string log_path =
      util::JoinPath(MakeTempDir("fedge_log"), "stderr.log");
  const util::LogLevel previous = util::MinLogLevel();
  std::string log;
  {
    StderrCapture capture(log_path);
    util::SetMinLogLevel(util::LogLevel::kDebug);
    auto server = StartServer(config);
    if (server != nullptr) {
      auto clients = SecureClients(pki, ids, server->port());
      for (auto& c : clients) c->Start();
      // A refused secure aggregation message is logged with its reason.
      auto stub =
          v1::Federation::NewStub(DeviceChannel(pki, "k1", server->port()));
      v1::SecAggMessage m;
      m.set_round(1);
      m.mutable_unmask()->add_shares()->set_value(std::string(32, '\x42'));
      (void)Submit(*stub, m);
      EXPECT_TRUE(server->Wait().ok());
      for (auto& c : clients) EXPECT_TRUE(c->Join().ok());
      server->Shutdown();
    }
    util::SetMinLogLevel(previous);
    log = capture.Restore();
  }
  // The capture is real: it holds the round's lines, the refusal included.
  EXPECT_THAT(log, HasSubstr("accepted masked input from k1"));
  EXPECT_THAT(log, HasSubstr("secure aggregation message refused"));
  EXPECT_THAT(log, HasSubstr("client k2 joined from region"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("PRIVATE KEY")));
  // The refused message's share bytes are not echoed, raw or in hex.
  EXPECT_THAT(log, ::testing::Not(HasSubstr(std::string(16, '\x42'))));
  EXPECT_THAT(log, ::testing::Not(HasSubstr(
                       absl::BytesToHexString(std::string(16, '\x42')))));
  pki::PkiPaths p = pki.paths();
  std::vector<std::string> keys = {p.ca_key(), p.server_key(), p.admin_key(),
                                   p.audit_key()};
  for (const std::string& id : ids) keys.push_back(p.client_key(id));
  for (const std::string& key : keys) {
    std::vector<std::string> lines = PemBodyLines(key);
    ASSERT_FALSE(lines.empty()) << key;
    std::string der;
    ASSERT_TRUE(absl::Base64Unescape(absl::StrJoin(lines, ""), &der)) << key;
    for (const std::string& line : lines) {
      EXPECT_THAT(log, ::testing::Not(HasSubstr(line))) << key;
    }
    // The key's last 32 DER bytes hold private scalar bytes for both P-256
    // (SEC1 inside PKCS#8, followed by the public point) and Ed25519; check
    // every 16-byte window of the DER in hex, either case.
    for (size_t at = 0; at + 16 <= der.size(); at += 8) {
      std::string hex = absl::BytesToHexString(der.substr(at, 16));
      EXPECT_THAT(log, ::testing::Not(HasSubstr(hex))) << key << " @" << at;
      EXPECT_THAT(log, ::testing::Not(HasSubstr(absl::AsciiStrToUpper(hex))))
          << key << " @" << at;
    }
  }
}

// Key files others can read, a run directory of another run and a CRL of
// another CA stop the server before it listens; the existing run's log and
// store are left as they were.
TEST(HostileInputTest, ExposedKeysAndForeignFilesStopTheServerAtStart) {
  TestPki pki = MakePki({"c1"});
  const std::string run_dir = MakeTempDir("fedge_run");
  config::ServerConfig config = SmallServerConfig(pki, run_dir, 1, 2);
  {
    auto server = StartServer(config);
    ASSERT_NE(server, nullptr);
    server->Shutdown();
  }
  const size_t entries = AuditEvents(pki, run_dir).size();
  ASSERT_GT(entries, 0u);
  auto start = [](config::ServerConfig c) {
    server::ServerOptions options;
    options.config = std::move(c);
    options.show_progress = false;
    return server::FederationServer::Start(std::move(options));
  };
  pki::PkiPaths p = pki.paths();
  for (const auto& [key, mode] : std::vector<std::pair<std::string, int>>{
           {p.server_key(), 0644}, {p.audit_key(), 0640}}) {
    ASSERT_EQ(::chmod(key.c_str(), mode), 0);
    auto refused = start(config);
    ASSERT_FALSE(refused.ok()) << key;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
        << refused.status();
    EXPECT_THAT(refused.status().message(), HasSubstr(key));
    EXPECT_THAT(refused.status().message(),
                HasSubstr(absl::StrCat("chmod 600 ", key)));
    ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  }
  {
    config::ServerConfig other = config;
    other.run_id = "another-run";
    auto refused = start(other);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(refused.status().message(),
                HasSubstr("belongs to run 'test-run'"));
  }
  {
    TestPki foreign = MakePki({});
    config::ServerConfig other = config;
    other.tls.crl = foreign.paths().crl();
    auto refused = start(other);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
        << refused.status();
  }
  // A device key others can read: the client refuses to use it.
  {
    const std::string key = p.client_key("c1");
    ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
    auto server = StartServer(config);
    ASSERT_NE(server, nullptr);
    ClientThread c1(pki, "c1", server->port(),
                    Slice(FashionMnistTest(), 0, 20));
    c1.Start();
    absl::Status s = c1.Join();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("chmod 600 ", key)));
    server->Shutdown();
    ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  }
  // The run's log still verifies; the refused starts added nothing to it.
  std::vector<v1::AuditEvent> events = AuditEvents(pki, run_dir);
  EXPECT_EQ(Count(events, v1::AuditEvent::kRunStarted), 2u);
}

}  // namespace
}  // namespace fedge::testing
