#include "fuzz/fuzz_support.h"

#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/base/internal/endian.h"

namespace fedge::fuzz {

uint8_t FuzzInput::U8() {
  if (rest_.empty()) return 0;
  const uint8_t v = static_cast<uint8_t>(rest_[0]);
  rest_.remove_prefix(1);
  return v;
}

uint16_t FuzzInput::U16() {
  const uint16_t lo = U8();
  return static_cast<uint16_t>(lo | (U8() << 8));
}

uint32_t FuzzInput::U32() {
  const uint32_t lo = U16();
  return lo | (static_cast<uint32_t>(U16()) << 16);
}

uint64_t FuzzInput::U64() {
  const uint64_t lo = U32();
  return lo | (static_cast<uint64_t>(U32()) << 32);
}

absl::string_view FuzzInput::Bytes(size_t n) {
  absl::string_view out = rest_.substr(0, n);
  rest_.remove_prefix(out.size());
  return out;
}

absl::string_view FuzzInput::Rest() {
  absl::string_view out = rest_;
  rest_ = {};
  return out;
}

namespace {

std::string* temp_dir = nullptr;

void RemoveTempDir() {
  if (temp_dir == nullptr) return;
  std::error_code ignored;
  std::filesystem::remove_all(*temp_dir, ignored);
}

}  // namespace

const std::string& TempDir() {
  if (temp_dir == nullptr) {
    // tmpfs if there is one: some targets write a file per input.
    const char* base = std::getenv("TMPDIR");
    if (base == nullptr && std::filesystem::is_directory("/dev/shm")) {
      base = "/dev/shm";
    }
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/fedge-fuzz-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      Fail(__FILE__, __LINE__, "mkdtemp failed");
    }
    temp_dir = new std::string(pattern);
    std::atexit(RemoveTempDir);
  }
  return *temp_dir;
}

void WriteFileOrDie(const std::string& path, absl::string_view data) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) Fail(__FILE__, __LINE__, "cannot open " + path);
  if (!data.empty() &&
      std::fwrite(data.data(), 1, data.size(), f) != data.size()) {
    Fail(__FILE__, __LINE__, "cannot write " + path);
  }
  if (std::fclose(f) != 0) Fail(__FILE__, __LINE__, "cannot close " + path);
}

std::string FrameRecordLog(const std::vector<std::string>& records) {
  std::string out = "FEDGELG1";
  for (const std::string& payload : records) {
    char header[8];
    absl::little_endian::Store32(header, static_cast<uint32_t>(payload.size()));
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(header), 4);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(payload.data()),
                static_cast<uInt>(payload.size()));
    absl::little_endian::Store32(header + 4, static_cast<uint32_t>(crc));
    out.append(header, sizeof(header));
    out.append(payload);
  }
  return out;
}

const crypto::Ed25519KeyPair& FixedAuditKey() {
  static const crypto::Ed25519KeyPair* key = [] {
    auto* k = new crypto::Ed25519KeyPair;
    k->private_key = crypto::SecretBytes::Copy(
        absl::string_view("fedge fuzz audit key, not secret", 32));
    absl::StatusOr<crypto::Ed25519PublicKey> pub =
        crypto::Ed25519PublicFromPrivate(k->private_key);
    if (!pub.ok()) Fail(__FILE__, __LINE__, "Ed25519PublicFromPrivate failed");
    k->public_key = *pub;
    return k;
  }();
  return *key;
}

void Fail(const char* file, int line, absl::string_view what) {
  std::fprintf(stderr, "%s:%d: fuzz invariant failed: %.*s\n", file, line,
               static_cast<int>(what.size()), what.data());
  std::abort();
}

}  // namespace fedge::fuzz
