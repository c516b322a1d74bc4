#ifndef FEDGE_COMMON_CRYPTO_OPENSSL_UTIL_H_
#define FEDGE_COMMON_CRYPTO_OPENSSL_UTIL_H_

// Internal to fedge's OpenSSL users (common/crypto, and common/pki on top of
// it): owning pointers for OpenSSL objects, OpenSSL's error queue as text,
// and the EVP algorithms fetched once per process.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace fedge::crypto::internal {

// Frees an OpenSSL object with its own free function.
template <typename T, void (*kFree)(T*)>
struct OpenSslFree {
  void operator()(T* p) const { kFree(p); }
};
template <typename T, void (*kFree)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree<T, kFree>>;

using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
// BN_clear_free: every BIGNUM here may hold a secret.
using BignumPtr = OpenSslPtr<BIGNUM, BN_clear_free>;
using BnCtxPtr = OpenSslPtr<BN_CTX, BN_CTX_free>;
using CipherCtxPtr = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using KdfCtxPtr = OpenSslPtr<EVP_KDF_CTX, EVP_KDF_CTX_free>;
using MdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using PkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using PkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = OpenSslPtr<X509, X509_free>;
using X509StorePtr = OpenSslPtr<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = OpenSslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;

// Drains OpenSSL's error queue of this thread into one line ("" if empty),
// so that a failure reports OpenSSL's reason and the next call starts clean.
std::string DrainOpenSslErrors();

// `what` followed by OpenSSL's queued reasons, if any.
std::string WithOpenSslErrors(absl::string_view what);

// A read-only memory BIO over `data` (which must outlive it).
BioPtr ReadOnlyBio(absl::string_view data);

// Ciphers fetched from the default provider once per process (explicit
// fetches avoid the implicit fetch EVP_EncryptInit_ex2 would otherwise do
// on every call). Abort if the provider lacks them: OpenSSL is unusable.
const EVP_CIPHER* Aes128Gcm();
const EVP_CIPHER* Aes256Gcm();
const EVP_CIPHER* Aes256Ctr();

}  // namespace fedge::crypto::internal

#endif  // FEDGE_COMMON_CRYPTO_OPENSSL_UTIL_H_
