#include "common/crypto/ed25519.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/openssl_util.h"
#include "common/util/status_macros.h"

namespace fedge::crypto {
namespace {

using internal::MdCtxPtr;
using internal::PkeyPtr;
using internal::WithOpenSslErrors;

constexpr size_t kSeedBytes = 32;

// A PEM password callback that supplies no password, so that an encrypted
// key fails to load instead of OpenSSL prompting on the terminal.
int NoPassword(char*, int, int, void*) { return -1; }

absl::StatusOr<PkeyPtr> PrivateKeyFromSeed(const SecretBytes& private_key) {
  if (private_key.size() != kSeedBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 private key must be the 32-byte seed, got ",
                     private_key.size(), " bytes"));
  }
  PkeyPtr key(EVP_PKEY_new_raw_private_key_ex(
      nullptr, "ED25519", nullptr, private_key.data(), private_key.size()));
  if (key == nullptr) {
    return absl::InternalError(
        WithOpenSslErrors("cannot load an Ed25519 private key"));
  }
  return key;
}

absl::StatusOr<Ed25519PublicKey> RawPublicKey(EVP_PKEY* key) {
  Ed25519PublicKey out;
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key, out.data(), &len) != 1 ||
      len != out.size()) {
    return absl::InternalError(
        WithOpenSslErrors("cannot read an Ed25519 public key"));
  }
  return out;
}

absl::StatusOr<Ed25519KeyPair> KeyPairFrom(EVP_PKEY* key) {
  Ed25519KeyPair pair;
  pair.private_key = SecretBytes(kSeedBytes);
  size_t len = pair.private_key.size();
  if (EVP_PKEY_get_raw_private_key(key, pair.private_key.mutable_data(),
                                   &len) != 1 ||
      len != kSeedBytes) {
    return absl::InternalError(
        WithOpenSslErrors("cannot read an Ed25519 private key"));
  }
  FEDGE_ASSIGN_OR_RETURN(pair.public_key, RawPublicKey(key));
  return pair;
}

absl::Status CheckIsEd25519(EVP_PKEY* key, absl::string_view what) {
  if (EVP_PKEY_is_a(key, "ED25519")) return absl::OkStatus();
  const char* type = EVP_PKEY_get0_type_name(key);
  return absl::InvalidArgumentError(
      absl::StrCat(what, " holds a ", type == nullptr ? "non-Ed25519" : type,
                   " key, expected Ed25519 (as written by `fedge pki init`)"));
}

}  // namespace

absl::StatusOr<Ed25519KeyPair> GenerateEd25519KeyPair() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (key == nullptr) {
    return absl::InternalError(
        WithOpenSslErrors("cannot generate an Ed25519 key"));
  }
  return KeyPairFrom(key.get());
}

absl::StatusOr<Ed25519PublicKey> Ed25519PublicFromPrivate(
    const SecretBytes& private_key) {
  FEDGE_ASSIGN_OR_RETURN(PkeyPtr key, PrivateKeyFromSeed(private_key));
  return RawPublicKey(key.get());
}

absl::StatusOr<Ed25519Signature> Ed25519Sign(const SecretBytes& private_key,
                                             absl::string_view message) {
  FEDGE_ASSIGN_OR_RETURN(PkeyPtr key, PrivateKeyFromSeed(private_key));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  // Ed25519 hashes internally (PureEdDSA): no digest is named, and the
  // one-shot EVP_DigestSign is the only form OpenSSL accepts.
  if (ctx == nullptr ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr,
                            key.get(), nullptr) != 1) {
    return absl::InternalError(
        WithOpenSslErrors("Ed25519 signing setup failed"));
  }
  Ed25519Signature signature;
  size_t len = signature.size();
  if (EVP_DigestSign(ctx.get(), signature.data(), &len,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      len != signature.size()) {
    return absl::InternalError(WithOpenSslErrors("Ed25519 signing failed"));
  }
  return signature;
}

absl::Status Ed25519Verify(absl::Span<const uint8_t> public_key,
                           absl::string_view message,
                           absl::Span<const uint8_t> signature) {
  if (public_key.size() != 32) {
    return absl::PermissionDeniedError(absl::StrCat(
        "Ed25519 public key must be 32 bytes, got ", public_key.size()));
  }
  if (signature.size() != 64) {
    return absl::PermissionDeniedError(absl::StrCat(
        "Ed25519 signature must be 64 bytes, got ", signature.size()));
  }
  PkeyPtr key(EVP_PKEY_new_raw_public_key_ex(
      nullptr, "ED25519", nullptr, public_key.data(), public_key.size()));
  if (key == nullptr) {
    return absl::PermissionDeniedError(
        WithOpenSslErrors("not a valid Ed25519 public key"));
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr,
                              key.get(), nullptr) != 1) {
    return absl::InternalError(
        WithOpenSslErrors("Ed25519 verification setup failed"));
  }
  int result = EVP_DigestVerify(
      ctx.get(), signature.data(), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  internal::DrainOpenSslErrors();
  if (result != 1) {
    return absl::PermissionDeniedError(
        "Ed25519 signature does not verify for this message and public key");
  }
  return absl::OkStatus();
}

absl::StatusOr<Ed25519KeyPair> Ed25519FromPrivatePem(absl::string_view pem) {
  internal::BioPtr bio = internal::ReadOnlyBio(pem);
  if (bio == nullptr) return absl::InternalError("cannot read PEM text");
  PkeyPtr key(PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, NoPassword,
                                         nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(WithOpenSslErrors(
        "not an unencrypted PEM private key (expected -----BEGIN PRIVATE "
        "KEY----- with an Ed25519 PKCS#8 key)"));
  }
  FEDGE_RETURN_IF_ERROR(CheckIsEd25519(key.get(), "the PEM private key"));
  return KeyPairFrom(key.get());
}

absl::StatusOr<Ed25519PublicKey> Ed25519PublicFromPem(absl::string_view pem) {
  internal::BioPtr bio = internal::ReadOnlyBio(pem);
  if (bio == nullptr) return absl::InternalError("cannot read PEM text");
  PkeyPtr key(PEM_read_bio_PUBKEY_ex(bio.get(), nullptr, nullptr, nullptr,
                                     nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(WithOpenSslErrors(
        "not a PEM public key (expected -----BEGIN PUBLIC KEY----- with an "
        "Ed25519 SubjectPublicKeyInfo)"));
  }
  FEDGE_RETURN_IF_ERROR(CheckIsEd25519(key.get(), "the PEM public key"));
  return RawPublicKey(key.get());
}

absl::StatusOr<std::string> Ed25519PublicToPem(
    const Ed25519PublicKey& public_key) {
  PkeyPtr key(EVP_PKEY_new_raw_public_key_ex(
      nullptr, "ED25519", nullptr, public_key.data(), public_key.size()));
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  if (key == nullptr || bio == nullptr ||
      PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    return absl::InternalError(
        WithOpenSslErrors("cannot write the Ed25519 public key as PEM"));
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace fedge::crypto
