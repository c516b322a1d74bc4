#ifndef FEDGE_COMMON_SECAGG_KEY_SCHEDULE_H_
#define FEDGE_COMMON_SECAGG_KEY_SCHEDULE_H_

// How the protocol's keys and byte strings are derived, in one place so the
// client and the server cannot disagree. Every derived value is bound to the
// round's context (run and round) and to both parties, with length-prefixed
// fields so that no two inputs encode alike.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::secagg {

// What a client signs with its certificate key when it advertises its two
// public keys.
std::string SignedKeyBytes(absl::string_view context,
                           absl::string_view client_id,
                           absl::string_view encryption_public_key,
                           absl::string_view masking_public_key);

// The AES-256-GCM key for the shares `a` and `b` exchange:
// HKDF-SHA256(X25519(own encryption key, peer's encryption public key)).
absl::StatusOr<crypto::SecretBytes> DeriveShareKey(
    const crypto::SecretBytes& own_private, absl::string_view peer_public,
    absl::string_view context, absl::string_view a, absl::string_view b);

// The 256-bit PRG seed of the pairwise mask between `a` and `b`:
// HKDF-SHA256(X25519(own masking key, peer's masking public key)).
// Symmetric in (a, b).
absl::StatusOr<crypto::SecretBytes> DerivePairwiseSeed(
    const crypto::SecretBytes& own_private, absl::string_view peer_public,
    absl::string_view context, absl::string_view a, absl::string_view b);

// Associated data of the share `sender` encrypts for `recipient`.
std::string ShareAad(absl::string_view context, absl::string_view sender,
                     absl::string_view recipient);

}  // namespace fedge::secagg

#endif  // FEDGE_COMMON_SECAGG_KEY_SCHEDULE_H_
