#include "common/crypto/secret_bytes.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"

namespace fedge::crypto {

SecretBytes::SecretBytes(size_t size) : bytes_(size, 0) {}

SecretBytes SecretBytes::Copy(absl::Span<const uint8_t> bytes) {
  SecretBytes out;
  out.bytes_.assign(bytes.begin(), bytes.end());
  return out;
}

SecretBytes SecretBytes::Copy(absl::string_view bytes) {
  return Copy(absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

SecretBytes SecretBytes::Random(size_t size) {
  SecretBytes out(size);
  size_t done = 0;
  // RAND_bytes takes an int length; larger requests are filled in pieces.
  while (done < size) {
    size_t piece = std::min<size_t>(size - done, INT_MAX);
    if (RAND_bytes(out.bytes_.data() + done, static_cast<int>(piece)) != 1) {
      std::abort();
    }
    done += piece;
  }
  return out;
}

SecretBytes::SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    // Wiping first means a reallocation by the assignment frees only zeros.
    Wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretBytes::~SecretBytes() { Wipe(); }

void SecretBytes::Wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

std::string SecretBytes::DebugString() const {
  return absl::StrCat("SecretBytes(", bytes_.size(), " bytes)");
}

bool operator==(const SecretBytes& a, const SecretBytes& b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace fedge::crypto
