#include "common/secagg/ring.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto/prg.h"

namespace fedge::secagg {
namespace {

// Values per block: 32 KiB of values and up to 32 KiB of keystream, which
// stay in the L1/L2 cache while every mask is applied to them.
constexpr size_t kBlockValues = 4096;

// Adds (or subtracts) each term's keystream, read as little-endian `Word`s
// masked to the ring, block by block: all terms for one block of values,
// then the next block, each PRG continuing its own stream.
template <typename Word>
void ApplyKeystreams(
    absl::Span<const MaskTerm> terms,
    const std::vector<std::unique_ptr<crypto::AesCtrPrg>>& prgs, uint64_t mask,
    absl::Span<uint64_t> values) {
  std::vector<Word> block(kBlockValues);
  for (size_t start = 0; start < values.size(); start += kBlockValues) {
    const size_t n = std::min(kBlockValues, values.size() - start);
    uint64_t* out = values.data() + start;
    for (size_t t = 0; t < terms.size(); ++t) {
      prgs[t]->Generate(reinterpret_cast<uint8_t*>(block.data()),
                        n * sizeof(Word));
      if (terms[t].subtract) {
        for (size_t i = 0; i < n; ++i) out[i] -= block[i] & mask;
      } else {
        for (size_t i = 0; i < n; ++i) out[i] += block[i] & mask;
      }
    }
  }
}

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
      std::memcpy(&out[4 * i], &v,
                  4);  // little-endian host (checked in tensor)
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
  const MaskTerm term{&seed, subtract};
  return ApplyMasks(absl::MakeConstSpan(&term, 1), bits, values);
}

absl::Status ApplyMasks(absl::Span<const MaskTerm> terms, uint32_t bits,
                        absl::Span<uint64_t> values) {
  std::vector<std::unique_ptr<crypto::AesCtrPrg>> prgs;
  prgs.reserve(terms.size());
  for (const MaskTerm& term : terms) {
    auto prg = crypto::AesCtrPrg::Create(*term.seed);
    if (!prg.ok()) return prg.status();
    prgs.push_back(*std::move(prg));
  }
  if (bits <= 32) {
    ApplyKeystreams<uint32_t>(terms, prgs, RingMask(bits), values);
  } else {
    ApplyKeystreams<uint64_t>(terms, prgs, RingMask(bits), values);
  }
  return absl::OkStatus();
}

}  // namespace fedge::secagg
