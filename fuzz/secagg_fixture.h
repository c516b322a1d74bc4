#ifndef FEDGE_FUZZ_SECAGG_FIXTURE_H_
#define FEDGE_FUZZ_SECAGG_FIXTURE_H_

// What the two secure aggregation targets share: one small federation (a
// CA and four device certificates, made once per process), the round's
// parameters, each client's input, and the fuzzer's edits of a message.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/secagg/client_state.h"
#include "fedge/v1/secagg.pb.h"
#include "fuzz/fuzz_support.h"

namespace fedge::fuzz {

inline constexpr uint64_t kSecAggRound = 7;

struct SecAggFixture {
  std::string ca_pem;
  std::vector<std::string> cohort;  // sorted
  std::map<std::string, std::string> cert_pem, key_pem;
  v1::SecAggParameters params;
  std::map<std::string, std::vector<uint64_t>> inputs;  // ring values

  secagg::ClientIdentity Identity(const std::string& id) const {
    return {id, key_pem.at(id), ca_pem};
  }
};

// Made on first use (aborts if the PKI cannot be made).
const SecAggFixture& SecAggSetup();

// What the fuzzer does to one message of the party it controls.
enum class Edit {
  kHonest,   // sent as the protocol made it
  kMerge,    // the fuzzer's bytes merged into it (MergeFromString)
  kReplace,  // the fuzzer's bytes parsed instead
  kDrop,     // not sent
};

struct MessageEdit {
  Edit edit = Edit::kHonest;
  bool duplicate = false;  // sent twice
  std::string bytes;
};

// Reads one edit: u8 op (bits 0-1: Edit, bit 2: duplicate) and, unless
// honest or dropped, a u16-length-prefixed byte string.
MessageEdit ReadEdit(FuzzInput& in);

// Applies `edit` to `message`; false if it is not to be sent.
bool ApplyEdit(const MessageEdit& edit, google::protobuf::Message* message);

// Applies `edit` to a packed masked input: merge XORs the bytes in,
// replace substitutes them.
bool ApplyEdit(const MessageEdit& edit, std::string* packed);

}  // namespace fedge::fuzz

#endif  // FEDGE_FUZZ_SECAGG_FIXTURE_H_
