#include "common/crypto/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/openssl_util.h"

namespace fedge::crypto {
namespace {

// RFC 5869 section 2.3: L <= 255 * HashLen.
constexpr size_t kMaxOutputBytes = 255 * 32;

// Fetched once per process; see openssl_util.h.
EVP_KDF* HkdfAlgorithm() {
  static EVP_KDF* kdf = [] {
    EVP_KDF* fetched = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (fetched == nullptr) std::abort();
    return fetched;
  }();
  return kdf;
}

// OSSL_PARAM wants non-const pointers even for inputs it only reads.
void* Mutable(const void* p) { return const_cast<void*>(p); }

}  // namespace

absl::StatusOr<SecretBytes> HkdfSha256(const SecretBytes& input_key_material,
                                       absl::string_view salt,
                                       absl::string_view info, size_t length) {
  if (length == 0 || length > kMaxOutputBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("HKDF-SHA256 output length must be 1..", kMaxOutputBytes,
                     " bytes (RFC 5869), got ", length));
  }
  internal::KdfCtxPtr ctx(EVP_KDF_CTX_new(HkdfAlgorithm()));
  if (ctx == nullptr) {
    return absl::InternalError(
        internal::WithOpenSslErrors("cannot create an HKDF context"));
  }
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] =
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  // An empty IKM is valid in RFC 5869, but OpenSSL treats a null pointer as
  // "no key", so point at a dummy byte for it.
  static const uint8_t kNoBytes = 0;
  params[n++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY,
      Mutable(input_key_material.empty() ? &kNoBytes
                                         : input_key_material.data()),
      input_key_material.size());
  // Without a salt OpenSSL uses HashLen zero bytes, as RFC 5869 specifies.
  if (!salt.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_SALT, Mutable(salt.data()), salt.size());
  }
  if (!info.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_INFO, Mutable(info.data()), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();

  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.mutable_data(), out.size(), params) != 1) {
    return absl::InternalError(
        internal::WithOpenSslErrors("HKDF-SHA256 derivation failed"));
  }
  return out;
}

}  // namespace fedge::crypto
