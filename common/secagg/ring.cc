#include "common/secagg/ring.h"

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto/prg.h"

namespace fedge::secagg {
namespace {

// Values expanded per PRG call: 64 KiB of keystream for 32-bit words.
constexpr size_t kBlockValues = 16384;

}  // namespace

void Reduce(uint32_t bits, absl::Span<uint64_t> values) {
  const uint64_t mask = RingMask(bits);
  for (uint64_t& v : values) v &= mask;
}

uint64_t PackedSize(uint64_t count, uint32_t bits) {
  return (count * bits + 7) / 8;
}

std::string Pack(absl::Span<const uint64_t> values, uint32_t bits) {
  const uint64_t mask = RingMask(bits);
  std::string out(PackedSize(values.size(), bits), '\0');
  if (bits == 32) {
    for (size_t i = 0; i < values.size(); ++i) {
      uint32_t v = static_cast<uint32_t>(values[i] & mask);
      std::memcpy(&out[4 * i], &v, 4);  // little-endian host (checked in tensor)
    }
    return out;
  }
  // Generic: a 128-bit window of pending bits, flushed a byte at a time.
  unsigned __int128 acc = 0;
  uint32_t pending = 0;
  size_t pos = 0;
  for (uint64_t v : values) {
    acc |= static_cast<unsigned __int128>(v & mask) << pending;
    pending += bits;
    while (pending >= 8) {
      out[pos++] = static_cast<char>(static_cast<uint8_t>(acc));
      acc >>= 8;
      pending -= 8;
    }
  }
  if (pending > 0) out[pos++] = static_cast<char>(static_cast<uint8_t>(acc));
  return out;
}

absl::Status UnpackAdd(absl::string_view bytes, uint32_t bits,
                       absl::Span<uint64_t> sum) {
  if (bytes.size() != PackedSize(sum.size(), bits)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "masked input has ", bytes.size(), " bytes; ", sum.size(),
        " values of ", bits, " bits take ", PackedSize(sum.size(), bits)));
  }
  const uint64_t mask = RingMask(bits);
  const auto* in = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bits == 32) {
    for (size_t i = 0; i < sum.size(); ++i) {
      uint32_t v;
      std::memcpy(&v, in + 4 * i, 4);
      sum[i] += v;
    }
    return absl::OkStatus();
  }
  unsigned __int128 acc = 0;
  uint32_t have = 0;
  size_t pos = 0;
  for (uint64_t& s : sum) {
    while (have < bits) {
      acc |= static_cast<unsigned __int128>(in[pos++]) << have;
      have += 8;
    }
    s += static_cast<uint64_t>(acc) & mask;
    acc >>= bits;
    have -= bits;
  }
  if (acc != 0) {
    return absl::InvalidArgumentError(
        "masked input has non-zero padding bits after its last value");
  }
  return absl::OkStatus();
}

absl::Status ApplyMask(const crypto::SecretBytes& seed, bool subtract,
                       uint32_t bits, absl::Span<uint64_t> values) {
  auto prg = crypto::AesCtrPrg::Create(seed);
  if (!prg.ok()) return prg.status();
  const uint64_t mask = RingMask(bits);
  if (bits <= 32) {
    std::vector<uint32_t> block(kBlockValues);
    for (size_t start = 0; start < values.size(); start += kBlockValues) {
      size_t n = std::min(kBlockValues, values.size() - start);
      (*prg)->Generate(reinterpret_cast<uint8_t*>(block.data()), n * 4);
      uint64_t* out = values.data() + start;
      if (subtract) {
        for (size_t i = 0; i < n; ++i) out[i] -= block[i] & mask;
      } else {
        for (size_t i = 0; i < n; ++i) out[i] += block[i] & mask;
      }
    }
  } else {
    std::vector<uint64_t> block(kBlockValues);
    for (size_t start = 0; start < values.size(); start += kBlockValues) {
      size_t n = std::min(kBlockValues, values.size() - start);
      (*prg)->Generate(reinterpret_cast<uint8_t*>(block.data()), n * 8);
      uint64_t* out = values.data() + start;
      if (subtract) {
        for (size_t i = 0; i < n; ++i) out[i] -= block[i] & mask;
      } else {
        for (size_t i = 0; i < n; ++i) out[i] += block[i] & mask;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace fedge::secagg
