#ifndef FEDGE_COMMON_CRYPTO_SECRET_BYTES_H_
#define FEDGE_COMMON_CRYPTO_SECRET_BYTES_H_

// Key material and other secrets. A SecretBytes is wiped (OPENSSL_cleanse)
// when destroyed or overwritten, cannot be streamed or printed (there is no
// operator<<, and DebugString() shows only the length), and compares in
// constant time.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace fedge::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  // `size` zero bytes.
  explicit SecretBytes(size_t size);
  // A copy of `bytes` (the caller should wipe its own copy).
  static SecretBytes Copy(absl::Span<const uint8_t> bytes);
  static SecretBytes Copy(absl::string_view bytes);
  // `size` bytes from OpenSSL's CSPRNG (RAND_bytes). Aborts if the CSPRNG
  // fails: no secret may ever come from anything weaker.
  static SecretBytes Random(size_t size);

  SecretBytes(const SecretBytes& other);
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* mutable_data() { return bytes_.data(); }
  absl::Span<const uint8_t> span() const { return bytes_; }
  // The bytes as a string_view (for APIs that take bytes that way).
  absl::string_view view() const {
    return absl::string_view(reinterpret_cast<const char*>(bytes_.data()),
                             bytes_.size());
  }
  // The bytes as a std::string, for serialization into a message that is
  // itself protected (encrypted). The caller owns the copy.
  std::string ExportForTransport() const { return std::string(view()); }

  // "SecretBytes(32 bytes)". Never the content.
  std::string DebugString() const;

  // Constant-time equality (sizes are not secret).
  friend bool operator==(const SecretBytes& a, const SecretBytes& b);
  friend bool operator!=(const SecretBytes& a, const SecretBytes& b) {
    return !(a == b);
  }

 private:
  void Wipe();
  std::vector<uint8_t> bytes_;
};

}  // namespace fedge::crypto

#endif  // FEDGE_COMMON_CRYPTO_SECRET_BYTES_H_
