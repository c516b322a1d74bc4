// A malicious server against the secure aggregation client's state machine
// (common/secagg/client.h). Four real clients run SecAgg+ through a real
// SecAggServer; the fuzzer edits what the server sends the first client
// (dev-10): the round's parameters, its share-keys, masked-input and unmask
// requests (as made, fuzz bytes merged in, replaced, or sent twice). These
// requests are the client's outside bytes (gRPC hands it the protos).
//
// Checks: the client never reveals both secrets of one peer, nor anything of
// itself, in one unmask response; a client that failed a stage refuses every
// later one; a masked input has the packed size; when nothing is edited, every
// stage succeeds and the round's sum is exact.
//
// Input: four message edits (secagg_fixture.h): parameters, share keys,
// masked input, unmask.

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

const char kVictim[] = "dev-10";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fedge::fuzz::SecAggFixture& f = fedge::fuzz::SecAggSetup();
  fedge::fuzz::FuzzInput in(data, size);
  MessageEdit edits[4];
  bool untouched = true;
  for (MessageEdit& e : edits) {
    e = fedge::fuzz::ReadEdit(in);
    untouched &= e.edit == Edit::kHonest && !e.duplicate;
  }

  secagg::ServerSetup setup;
  setup.round = fedge::fuzz::kSecAggRound;
  setup.params = f.params;
  setup.cohort = f.cohort;
  setup.certificates = f.cert_pem;
  auto created = secagg::SecAggServer::Create(setup);
  FEDGE_FUZZ_CHECK(created.ok());
  secagg::SecAggServer& server = **created;

  // Whether the victim failed a stage: it must refuse the rest.
  bool victim_failed = false;
  auto victim_result = [&](bool ok) {
    if (victim_failed) FEDGE_FUZZ_CHECK(!ok);
    if (!ok) victim_failed = true;
    if (untouched) FEDGE_FUZZ_CHECK(ok);
    return ok;
  };

  // Stage 0: parameters (edited for the victim), advertise keys.
  std::map<std::string, std::unique_ptr<secagg::SecAggClient>> clients;
  for (const std::string& id : f.cohort) {
    v1::SecAggParameters params = f.params;
    if (id == kVictim && !ApplyEdit(edits[0], &params)) continue;
    v1::SecAggMessage ad;
    auto client = secagg::SecAggClient::Start(
        f.Identity(id), fedge::fuzz::kSecAggRound, params, &ad);
    if (id == kVictim) {
      if (!victim_result(client.ok())) continue;
    } else {
      FEDGE_FUZZ_CHECK(client.ok());
    }
    server.HandleAdvertiseKeys(id, ad.advertise_keys()).IgnoreError();
    clients[id] = std::move(*client);
  }
  auto t1 = server.Close();
  if (!t1.ok()) return 0;

  // Sends `request` (edited for the victim) to each client; `handle` returns
  // whether the client accepted it.
  auto deliver = [&](auto& requests, int stage, auto handle) {
    for (auto& [id, request] : requests) {
      if (!clients.count(id)) continue;
      if (id != kVictim) {
        handle(id, request);
        continue;
      }
      auto edited = request;
      if (!ApplyEdit(edits[stage], &edited)) continue;
      const bool ok = handle(id, edited);
      victim_result(ok);
      if (edits[stage].duplicate) FEDGE_FUZZ_CHECK(!handle(id, edited));
    }
  };

  // Stage 1: share keys.
  deliver(t1->share_keys, 1,
          [&](const std::string& id, const v1::SecAggShareKeysRequest& r) {
            auto msg = clients[id]->OnShareKeys(r);
            if (msg.ok()) {
              server.HandleShareKeys(id, msg->share_keys()).IgnoreError();
            }
            return msg.ok();
          });
  auto t2 = server.Close();
  if (!t2.ok()) return 0;

  // Stage 2: masked input.
  deliver(t2->masked_input, 2,
          [&](const std::string& id, const v1::SecAggMaskedInputRequest& r) {
            auto packed = clients[id]->OnMaskedInput(r, f.inputs.at(id));
            if (!packed.ok()) return false;
            FEDGE_FUZZ_CHECK(packed->size() ==
                             secagg::PackedSize(f.params.num_elements(),
                                                f.params.ring_bits()));
            if (server.CheckMaskedInput(id).ok()) {
              server.HandleMaskedInput(id, *packed).IgnoreError();
            }
            return true;
          });
  auto t3 = server.Close();
  if (!t3.ok()) return 0;

  // Stage 3: unmask.
  deliver(
      t3->unmask, 3,
      [&](const std::string& id, const v1::SecAggUnmaskRequest& r) {
        auto msg = clients[id]->OnUnmask(r);
        if (!msg.ok()) return false;
        std::set<std::string> owners;
        for (const v1::SecAggRevealedShare& share : msg->unmask().shares()) {
          FEDGE_FUZZ_CHECK(share.owner() != id);
          FEDGE_FUZZ_CHECK(owners.insert(share.owner()).second);
        }
        server.HandleUnmask(id, msg->unmask()).IgnoreError();
        return true;
      });
  auto t4 = server.Close();
  if (untouched) {
    FEDGE_FUZZ_CHECK(t4.ok());
    auto result = server.Result();
    FEDGE_FUZZ_CHECK(result.ok());
    std::vector<uint64_t> expected(f.params.num_elements(), 0);
    for (const std::string& id : result->survivors) {
      for (size_t i = 0; i < expected.size(); ++i) {
        expected[i] += f.inputs.at(id)[i];
      }
    }
    secagg::Reduce(f.params.ring_bits(), absl::MakeSpan(expected));
    FEDGE_FUZZ_CHECK(result->sum == expected);
    FEDGE_FUZZ_CHECK(result->survivors.size() == f.cohort.size());
  }
  return 0;
}
