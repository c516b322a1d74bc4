#include "common/crypto/openssl_util.h"

#include <openssl/err.h>

#include <climits>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace fedge::crypto::internal {
namespace {

const EVP_CIPHER* FetchOrAbort(const char* name) {
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (cipher == nullptr) std::abort();
  return cipher;
}

}  // namespace

std::string DrainOpenSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::string WithOpenSslErrors(absl::string_view what) {
  std::string errors = DrainOpenSslErrors();
  if (errors.empty()) return std::string(what);
  return absl::StrCat(what, " (OpenSSL: ", errors, ")");
}

BioPtr ReadOnlyBio(absl::string_view data) {
  if (data.size() > static_cast<size_t>(INT_MAX)) return nullptr;
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// The fetched ciphers live for the whole process (reachable through these
// statics); C++11 makes their initialisation thread-safe.
const EVP_CIPHER* Aes128Gcm() {
  static const EVP_CIPHER* cipher = FetchOrAbort("AES-128-GCM");
  return cipher;
}

const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* cipher = FetchOrAbort("AES-256-GCM");
  return cipher;
}

const EVP_CIPHER* Aes256Ctr() {
  static const EVP_CIPHER* cipher = FetchOrAbort("AES-256-CTR");
  return cipher;
}

}  // namespace fedge::crypto::internal
