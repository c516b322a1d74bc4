#include "common/crypto/x25519.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/openssl_util.h"
#include "common/util/status_macros.h"

namespace fedge::crypto {
namespace {

using internal::PkeyCtxPtr;
using internal::PkeyPtr;
using internal::WithOpenSslErrors;

constexpr size_t kX25519KeyBytes = 32;

absl::StatusOr<PkeyPtr> PrivateKeyFromRaw(const SecretBytes& private_key) {
  if (private_key.size() != kX25519KeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "X25519 private key must be 32 bytes, got ", private_key.size()));
  }
  PkeyPtr key(EVP_PKEY_new_raw_private_key_ex(
      nullptr, "X25519", nullptr, private_key.data(), private_key.size()));
  if (key == nullptr) {
    return absl::InternalError(
        WithOpenSslErrors("cannot load an X25519 private key"));
  }
  return key;
}

absl::StatusOr<X25519PublicKey> RawPublicKey(EVP_PKEY* key) {
  X25519PublicKey out;
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key, out.data(), &len) != 1 ||
      len != out.size()) {
    return absl::InternalError(
        WithOpenSslErrors("cannot read an X25519 public key"));
  }
  return out;
}

}  // namespace

absl::StatusOr<X25519KeyPair> GenerateX25519KeyPair() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  if (key == nullptr) {
    return absl::InternalError(
        WithOpenSslErrors("cannot generate an X25519 key"));
  }
  X25519KeyPair pair;
  pair.private_key = SecretBytes(kX25519KeyBytes);
  size_t len = pair.private_key.size();
  if (EVP_PKEY_get_raw_private_key(key.get(), pair.private_key.mutable_data(),
                                   &len) != 1 ||
      len != kX25519KeyBytes) {
    return absl::InternalError(
        WithOpenSslErrors("cannot read an X25519 private key"));
  }
  FEDGE_ASSIGN_OR_RETURN(pair.public_key, RawPublicKey(key.get()));
  return pair;
}

absl::StatusOr<X25519PublicKey> X25519PublicFromPrivate(
    const SecretBytes& private_key) {
  FEDGE_ASSIGN_OR_RETURN(PkeyPtr key, PrivateKeyFromRaw(private_key));
  return RawPublicKey(key.get());
}

absl::StatusOr<SecretBytes> X25519Agree(const SecretBytes& private_key,
                                        absl::Span<const uint8_t> peer_public) {
  if (peer_public.size() != kX25519KeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "X25519 peer public key must be 32 bytes, got ", peer_public.size()));
  }
  FEDGE_ASSIGN_OR_RETURN(PkeyPtr key, PrivateKeyFromRaw(private_key));
  PkeyPtr peer(EVP_PKEY_new_raw_public_key_ex(
      nullptr, "X25519", nullptr, peer_public.data(), peer_public.size()));
  if (peer == nullptr) {
    return absl::InternalError(
        WithOpenSslErrors("cannot load the X25519 peer public key"));
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (ctx == nullptr || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    return absl::InternalError(
        WithOpenSslErrors("cannot set up X25519 key agreement"));
  }
  SecretBytes shared(kX25519KeyBytes);
  size_t len = shared.size();
  // OpenSSL refuses to derive when the result is all zeros (RFC 7748
  // section 6.1), which happens exactly for low-order peer points; any other
  // failure of this step is not expected with well-sized inputs.
  if (EVP_PKEY_derive(ctx.get(), shared.mutable_data(), &len) != 1 ||
      len != kX25519KeyBytes) {
    internal::DrainOpenSslErrors();
    return absl::InvalidArgumentError(
        "X25519 key agreement refused: the peer public key is a low-order "
        "point (the shared secret would be all zeros, RFC 7748 section 6.1); "
        "the peer must send a real X25519 public key");
  }
  // Belt and braces: never hand out an all-zero secret, whatever the
  // provider does.
  static constexpr uint8_t kZeros[kX25519KeyBytes] = {};
  if (CRYPTO_memcmp(shared.data(), kZeros, kX25519KeyBytes) == 0) {
    return absl::InvalidArgumentError(
        "X25519 key agreement gave an all-zero secret: the peer public key is "
        "a low-order point (RFC 7748 section 6.1)");
  }
  return shared;
}

}  // namespace fedge::crypto
