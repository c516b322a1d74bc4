#include "common/audit/signed_note.h"

#include <vector>

#include "absl/base/internal/endian.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/sha256.h"

namespace fedge::audit {
namespace {

constexpr char kEd25519Algorithm = 0x01;
// U+2014 EM DASH and a space: how every signature line starts.
constexpr char kSignaturePrefix[] = "\xE2\x80\x94 ";

absl::Status CheckName(absl::string_view name) {
  if (name.empty() || absl::StrContains(name, ' ') ||
      absl::StrContains(name, '+') || absl::StrContains(name, '\n')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key name '", name, "' must be non-empty, without spaces or '+'"));
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("a note's text must end in a newline");
  }
  if (absl::StrContains(text, "\n\n")) {
    return absl::InvalidArgumentError(
        "a note's text may not hold a blank line");
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') {
      return absl::InvalidArgumentError(
          "a note's text may not hold control characters");
    }
  }
  return absl::OkStatus();
}

}  // namespace

uint32_t NoteKeyId(absl::string_view key_name,
                   const crypto::Ed25519PublicKey& public_key) {
  crypto::Sha256Hasher hasher;
  hasher.Update(key_name);
  hasher.Update("\n");
  hasher.Update(absl::string_view(&kEd25519Algorithm, 1));
  hasher.Update(absl::string_view(
      reinterpret_cast<const char*>(public_key.data()), public_key.size()));
  const crypto::Sha256Digest digest = hasher.Finish();
  return absl::big_endian::Load32(digest.data());
}

absl::StatusOr<std::string> SignNote(absl::string_view text,
                                     absl::string_view key_name,
                                     const crypto::SecretBytes& private_key) {
  if (absl::Status s = CheckName(key_name); !s.ok()) return s;
  if (absl::Status s = CheckText(text); !s.ok()) return s;
  absl::StatusOr<crypto::Ed25519PublicKey> public_key =
      crypto::Ed25519PublicFromPrivate(private_key);
  if (!public_key.ok()) return public_key.status();
  absl::StatusOr<crypto::Ed25519Signature> signature =
      crypto::Ed25519Sign(private_key, text);
  if (!signature.ok()) return signature.status();
  std::string blob(4, '\0');
  absl::big_endian::Store32(blob.data(), NoteKeyId(key_name, *public_key));
  blob.append(reinterpret_cast<const char*>(signature->data()),
              signature->size());
  return absl::StrCat(text, "\n", kSignaturePrefix, key_name, " ",
                      absl::Base64Escape(blob), "\n");
}

absl::StatusOr<std::string> OpenNote(
    absl::string_view note, absl::string_view key_name,
    const crypto::Ed25519PublicKey& public_key) {
  // The text ends where the last blank line begins.
  const size_t split = note.rfind("\n\n");
  if (split == absl::string_view::npos || note.back() != '\n') {
    return absl::DataLossError(
        "not a signed note: no blank line before the signatures");
  }
  const absl::string_view text = note.substr(0, split + 1);
  const absl::string_view signatures = note.substr(split + 2);
  if (absl::Status s = CheckText(text); !s.ok()) {
    return absl::DataLossError(s.message());
  }
  const uint32_t key_id = NoteKeyId(key_name, public_key);
  bool found = false;
  for (absl::string_view line :
       absl::StrSplit(signatures.substr(0, signatures.size() - 1), '\n')) {
    if (!absl::ConsumePrefix(&line, kSignaturePrefix)) {
      return absl::DataLossError(
          "a signature line of the note does not start with an em dash");
    }
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    std::string blob;
    if (parts.size() != 2 || !absl::Base64Unescape(parts[1], &blob) ||
        blob.size() < 5) {
      return absl::DataLossError("a signature line of the note is malformed");
    }
    if (parts[0] != key_name ||
        absl::big_endian::Load32(blob.data()) != key_id) {
      continue;  // another signer's
    }
    found = true;
    if (blob.size() != 4 + crypto::Ed25519Signature().size()) {
      return absl::PermissionDeniedError(
          absl::StrCat("the signature of ", key_name, " has the wrong size"));
    }
    absl::Status verified = crypto::Ed25519Verify(
        public_key, text,
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(blob.data()) + 4,
                            blob.size() - 4));
    if (!verified.ok()) {
      return absl::PermissionDeniedError(absl::StrCat(
          "the note's signature by ", key_name,
          " does not verify: its text was changed or another key signed it"));
    }
  }
  if (!found) {
    return absl::PermissionDeniedError(
        absl::StrCat("the note carries no signature by ", key_name));
  }
  return std::string(text);
}

}  // namespace fedge::audit
