#include "fuzz/secagg_fixture.h"

#include "absl/strings/str_cat.h"
#include "common/pki/authority.h"
#include "common/secagg/parameters.h"
#include "common/secagg/ring.h"
#include "common/util/file_util.h"

namespace fedge::fuzz {
namespace {

constexpr int kClients = 4;
constexpr uint64_t kElements = 6;  // five values and the weight
constexpr uint32_t kRingBits = 16;

std::string ReadOrDie(const std::string& path) {
  absl::StatusOr<std::string> text = util::ReadFile(path);
  if (!text.ok()) Fail(__FILE__, __LINE__, text.status().ToString());
  return *text;
}

}  // namespace

const SecAggFixture& SecAggSetup() {
  static const SecAggFixture* fixture = [] {
    auto* f = new SecAggFixture;
    const std::string dir = TempDir() + "/pki";
    pki::InitOptions options;
    options.force = true;
    if (absl::Status s = pki::InitFederation(dir, options); !s.ok()) {
      Fail(__FILE__, __LINE__, s.ToString());
    }
    pki::PkiPaths paths(dir);
    f->ca_pem = ReadOrDie(paths.ca_cert());
    for (int i = 0; i < kClients; ++i) {
      const std::string id = absl::StrCat("dev-", 10 + i);
      if (absl::Status s = pki::IssueClient(dir, id); !s.ok()) {
        Fail(__FILE__, __LINE__, s.ToString());
      }
      f->cohort.push_back(id);
      f->cert_pem[id] = ReadOrDie(paths.client_cert(id));
      f->key_pem[id] = ReadOrDie(paths.client_key(id));
      std::vector<uint64_t> input(kElements);
      for (uint64_t j = 0; j < kElements; ++j) {
        input[j] = ((i + 1) * 1000 + j * 17) & secagg::RingMask(kRingBits);
      }
      f->inputs[id] = std::move(input);
    }
    secagg::SecAggConfig config;
    config.ring_bits = kRingBits;
    config.max_weight = 1;
    absl::StatusOr<v1::SecAggParameters> params =
        secagg::DeriveParameters(config, kClients, kElements - 1, "fuzz-run/7");
    if (!params.ok()) Fail(__FILE__, __LINE__, params.status().ToString());
    f->params = *params;
    return f;
  }();
  return *fixture;
}

MessageEdit ReadEdit(FuzzInput& in) {
  MessageEdit edit;
  const uint8_t op = in.U8();
  edit.edit = static_cast<Edit>(op & 3);
  edit.duplicate = (op & 4) != 0;
  if (edit.edit == Edit::kMerge || edit.edit == Edit::kReplace) {
    edit.bytes = std::string(in.LengthPrefixed());
  }
  return edit;
}

bool ApplyEdit(const MessageEdit& edit, google::protobuf::Message* message) {
  switch (edit.edit) {
    case Edit::kHonest:
      return true;
    case Edit::kMerge:
      return message->MergeFromString(edit.bytes);
    case Edit::kReplace:
      return message->ParseFromString(edit.bytes);
    case Edit::kDrop:
      return false;
  }
  return false;
}

bool ApplyEdit(const MessageEdit& edit, std::string* packed) {
  switch (edit.edit) {
    case Edit::kHonest:
      return true;
    case Edit::kMerge:
      for (size_t i = 0; i < edit.bytes.size() && i < packed->size(); ++i) {
        (*packed)[i] ^= edit.bytes[i];
      }
      return true;
    case Edit::kReplace:
      *packed = edit.bytes;
      return true;
    case Edit::kDrop:
      return false;
  }
  return false;
}

}  // namespace fedge::fuzz
