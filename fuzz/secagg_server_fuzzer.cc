// A malicious client against the secure aggregation server's state machine
// (common/secagg/server.h). Four real clients run SecAgg+ through a real
// SecAggServer; the fuzzer controls what the last of them (dev-13) sends at
// each stage: its message as made, edited (fuzz bytes merged in), replaced,
// dropped or sent twice, under its own name, an honest peer's or a stranger's,
// plus messages of the wrong stage. The server parses nothing itself (gRPC
// hands it the protos), so these protos are its outside bytes.
//
// Checks: honest clients' messages are always accepted and honest clients
// never fail a stage on what the server forwards from a validated peer; an
// honest client's unmask response never reveals both secrets of one peer;
// when the adversary only follows the protocol or drops out, a completed
// round's sum is exactly the ring sum of the survivors' inputs.
//
// Input: u8 flags (bits 0-1: the adversary's name: its own, "dev-10", a
// stranger; bit 2: it sends before the honest clients), then per stage a
// message edit (secagg_fixture.h) and u8 extra (bit 0: also send the edit's
// bytes as every other stage's message).

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/secagg/client.h"
#include "common/secagg/ring.h"
#include "common/secagg/server.h"
#include "fuzz/secagg_fixture.h"

namespace {

using fedge::fuzz::ApplyEdit;
using fedge::fuzz::Edit;
using fedge::fuzz::MessageEdit;
namespace secagg = fedge::secagg;
namespace v1 = fedge::v1;

const char kAdversary[] = "dev-13";

// Sends `bytes` as each kind of stage message: all but the open stage's must
// be refused, and the open stage's is an ordinary (edited) message.
void SendAsEveryStage(secagg::SecAggServer& server, const std::string& sender,
                      const std::string& bytes) {
  v1::SecAggAdvertiseKeys advertise;
  if (advertise.ParseFromString(bytes)) {
    server.HandleAdvertiseKeys(sender, advertise).IgnoreError();
  }
  v1::SecAggShareKeys share;
  if (share.ParseFromString(bytes)) {
    server.HandleShareKeys(sender, share).IgnoreError();
  }
  if (server.CheckMaskedInput(sender).ok()) {
    server.HandleMaskedInput(sender, bytes).IgnoreError();
  }
  v1::SecAggUnmask unmask;
  if (unmask.ParseFromString(bytes)) {
    server.HandleUnmask(sender, unmask).IgnoreError();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fedge::fuzz::SecAggFixture& f = fedge::fuzz::SecAggSetup();
  fedge::fuzz::FuzzInput in(data, size);
  const uint8_t flags = in.U8();
  const std::string sender = (flags & 3) == 1   ? "dev-10"
                             : (flags & 3) == 2 ? "mallory"
                                                : kAdversary;
  const bool adversary_first = (flags & 4) != 0;
  // Impersonating a peer can legitimately get that peer's messages refused.
  const bool impersonating = sender == "dev-10";
  MessageEdit edits[4];
  bool extra[4];
  bool honest = true;
  for (int s = 0; s < 4; ++s) {
    edits[s] = fedge::fuzz::ReadEdit(in);
    extra[s] = (in.U8() & 1) != 0;
    honest &= edits[s].edit == Edit::kHonest || edits[s].edit == Edit::kDrop;
    honest &= !extra[s];
  }
  honest &= sender == kAdversary;

  secagg::ServerSetup setup;
  setup.round = fedge::fuzz::kSecAggRound;
  setup.params = f.params;
  setup.cohort = f.cohort;
  setup.certificates = f.cert_pem;
  auto created = secagg::SecAggServer::Create(setup);
  FEDGE_FUZZ_CHECK(created.ok());
  secagg::SecAggServer& server = **created;

  // The adversary's turn at stage `s`: `send` delivers one message.
  auto adversary_turn = [&](int s, const std::function<void()>& send) {
    send();
    if (edits[s].duplicate) send();
    if (extra[s]) SendAsEveryStage(server, sender, edits[s].bytes);
  };

  // Stage 0: advertise keys.
  std::map<std::string, std::unique_ptr<secagg::SecAggClient>> clients;
  std::map<std::string, v1::SecAggMessage> ads;
  for (const std::string& id : f.cohort) {
    auto client = secagg::SecAggClient::Start(
        f.Identity(id), fedge::fuzz::kSecAggRound, f.params, &ads[id]);
    FEDGE_FUZZ_CHECK(client.ok());
    clients[id] = std::move(*client);
  }
  auto adversary_advertises = [&] {
    v1::SecAggAdvertiseKeys m = ads[kAdversary].advertise_keys();
    if (!ApplyEdit(edits[0], &m)) return;
    adversary_turn(
        0, [&] { server.HandleAdvertiseKeys(sender, m).IgnoreError(); });
  };
  if (adversary_first) adversary_advertises();
  for (const std::string& id : f.cohort) {
    if (id == kAdversary) continue;
    absl::Status s = server.HandleAdvertiseKeys(id, ads[id].advertise_keys());
    FEDGE_FUZZ_CHECK(s.ok() || (impersonating && adversary_first));
  }
  if (!adversary_first) adversary_advertises();
  auto t1 = server.Close();
  if (!t1.ok()) {
    FEDGE_FUZZ_CHECK(server.aborted());
    return 0;
  }

  // Stage 1: share keys.
  for (auto& [id, request] : t1->share_keys) {
    auto msg = clients[id]->OnShareKeys(request);
    if (id != kAdversary) {
      // The server forwarded only keys it checked against certificates.
      FEDGE_FUZZ_CHECK(msg.ok());
      server.HandleShareKeys(id, msg->share_keys()).IgnoreError();
      continue;
    }
    if (!msg.ok()) continue;
    v1::SecAggShareKeys m = msg->share_keys();
    if (!ApplyEdit(edits[1], &m)) continue;
    adversary_turn(1, [&] { server.HandleShareKeys(sender, m).IgnoreError(); });
  }
  auto t2 = server.Close();
  if (!t2.ok()) return 0;

  // Stage 2: masked input.
  std::set<std::string> delivered;
  for (auto& [id, request] : t2->masked_input) {
    auto packed = clients[id]->OnMaskedInput(request, f.inputs.at(id));
    if (!packed.ok()) {
      // Only the adversary's shares can be bad.
      FEDGE_FUZZ_CHECK(!honest);
      continue;
    }
    if (id != kAdversary) {
      if (server.CheckMaskedInput(id).ok() &&
          server.HandleMaskedInput(id, *packed).ok()) {
        delivered.insert(id);
      }
      continue;
    }
    std::string m = *packed;
    if (!ApplyEdit(edits[2], &m)) continue;
    adversary_turn(2, [&] {
      if (server.CheckMaskedInput(sender).ok() &&
          server.HandleMaskedInput(sender, m).ok()) {
        delivered.insert(sender);
      }
    });
  }
  auto t3 = server.Close();
  if (!t3.ok()) return 0;

  // Stage 3: unmask.
  for (auto& [id, request] : t3->unmask) {
    auto msg = clients[id]->OnUnmask(request);
    if (!msg.ok()) continue;
    std::set<std::string> owners;
    for (const v1::SecAggRevealedShare& share : msg->unmask().shares()) {
      FEDGE_FUZZ_CHECK(owners.insert(share.owner()).second);
    }
    if (id != kAdversary) {
      server.HandleUnmask(id, msg->unmask()).IgnoreError();
      continue;
    }
    v1::SecAggUnmask m = msg->unmask();
    if (!ApplyEdit(edits[3], &m)) continue;
    adversary_turn(3, [&] { server.HandleUnmask(sender, m).IgnoreError(); });
  }
  auto t4 = server.Close();
  if (!t4.ok()) return 0;

  auto result = server.Result();
  FEDGE_FUZZ_CHECK(result.ok());
  FEDGE_FUZZ_CHECK(result->sum.size() == f.params.num_elements());
  for (const std::string& id : result->survivors) {
    FEDGE_FUZZ_CHECK(delivered.count(id) == 1);
  }
  if (honest) {
    std::vector<uint64_t> expected(f.params.num_elements(), 0);
    for (const std::string& id : result->survivors) {
      for (size_t i = 0; i < expected.size(); ++i) {
        expected[i] += f.inputs.at(id)[i];
      }
    }
    secagg::Reduce(f.params.ring_bits(), absl::MakeSpan(expected));
    FEDGE_FUZZ_CHECK(result->sum == expected);
  }
  return 0;
}
