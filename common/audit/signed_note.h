#ifndef FEDGE_COMMON_AUDIT_SIGNED_NOTE_H_
#define FEDGE_COMMON_AUDIT_SIGNED_NOTE_H_

// Signed notes as C2SP specifies them (c2sp.org/signed-note, the format of
// Go's golang.org/x/mod/sumdb/note and of transparency-log checkpoints), so
// that fedge's signed audit checkpoints can be checked by any tool that
// reads the format, not only by fedge:
//
//   <text, ending in a newline>
//   <blank line>
//   — <key name> <base64(key id || Ed25519 signature of the text)>
//
// The key id is the first 4 bytes (big-endian) of
// SHA-256(key name || 0x0A || 0x01 || public key); 0x01 names Ed25519.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::audit {

uint32_t NoteKeyId(absl::string_view key_name,
                   const crypto::Ed25519PublicKey& public_key);

// The note: `text` signed by `key_name` with `private_key`.
// InvalidArgument if the text does not end in a newline, holds a blank line
// or a control character, or the name is empty or holds a space or '+'.
absl::StatusOr<std::string> SignNote(absl::string_view text,
                                     absl::string_view key_name,
                                     const crypto::SecretBytes& private_key);

// The text of `note` if it carries a valid signature by `key_name` with
// `public_key`; signatures by other keys are ignored. DataLoss if the note
// is malformed; PermissionDenied if the key's signature is missing or does
// not verify.
absl::StatusOr<std::string> OpenNote(
    absl::string_view note, absl::string_view key_name,
    const crypto::Ed25519PublicKey& public_key);

}  // namespace fedge::audit

#endif  // FEDGE_COMMON_AUDIT_SIGNED_NOTE_H_
