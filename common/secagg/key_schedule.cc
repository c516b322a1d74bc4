#include "common/secagg/key_schedule.h"

#include <cstdint>

#include "absl/base/internal/endian.h"
#include "common/crypto/hkdf.h"
#include "common/crypto/x25519.h"

namespace fedge::secagg {
namespace {

void AppendField(std::string* out, absl::string_view field) {
  char len[4];
  absl::little_endian::Store32(len, static_cast<uint32_t>(field.size()));
  out->append(len, 4);
  out->append(field.data(), field.size());
}

// The pair in a fixed order, so both ends derive the same bytes.
std::string PairInfo(absl::string_view label, absl::string_view context,
                     absl::string_view a, absl::string_view b) {
  if (b < a) std::swap(a, b);
  std::string info;
  AppendField(&info, label);
  AppendField(&info, context);
  AppendField(&info, a);
  AppendField(&info, b);
  return info;
}

absl::StatusOr<crypto::SecretBytes> Derive(
    absl::string_view label, const crypto::SecretBytes& own_private,
    absl::string_view peer_public, absl::string_view context,
    absl::string_view a, absl::string_view b) {
  auto shared = crypto::X25519Agree(
      own_private,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(peer_public.data()),
                          peer_public.size()));
  if (!shared.ok()) return shared.status();
  return crypto::HkdfSha256(*shared, /*salt=*/"",
                            PairInfo(label, context, a, b), 32);
}

}  // namespace

std::string SignedKeyBytes(absl::string_view context,
                           absl::string_view client_id,
                           absl::string_view encryption_public_key,
                           absl::string_view masking_public_key) {
  std::string out;
  AppendField(&out, "fedge secagg advertised keys v1");
  AppendField(&out, context);
  AppendField(&out, client_id);
  AppendField(&out, encryption_public_key);
  AppendField(&out, masking_public_key);
  return out;
}

absl::StatusOr<crypto::SecretBytes> DeriveShareKey(
    const crypto::SecretBytes& own_private, absl::string_view peer_public,
    absl::string_view context, absl::string_view a, absl::string_view b) {
  return Derive("fedge secagg share encryption v1", own_private, peer_public,
                context, a, b);
}

absl::StatusOr<crypto::SecretBytes> DerivePairwiseSeed(
    const crypto::SecretBytes& own_private, absl::string_view peer_public,
    absl::string_view context, absl::string_view a, absl::string_view b) {
  return Derive("fedge secagg pairwise mask v1", own_private, peer_public,
                context, a, b);
}

std::string ShareAad(absl::string_view context, absl::string_view sender,
                     absl::string_view recipient) {
  std::string out;
  AppendField(&out, "fedge secagg share v1");
  AppendField(&out, context);
  AppendField(&out, sender);
  AppendField(&out, recipient);
  return out;
}

}  // namespace fedge::secagg
