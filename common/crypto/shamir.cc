#include "common/crypto/shamir.h"

#include <openssl/bn.h>

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/openssl_util.h"
#include "common/crypto/shamir_internal.h"
#include "common/util/status_macros.h"

namespace fedge::crypto {
namespace {

using internal::BignumPtr;
using internal::BnCtxPtr;
using internal::WithOpenSslErrors;

absl::Status BignumFailure(absl::string_view what) {
  return absl::InternalError(WithOpenSslErrors(what));
}

// A BIGNUM in OpenSSL's secure heap where one is configured (it falls back
// to the ordinary heap otherwise); freed with BN_clear_free either way.
BignumPtr NewSecretBignum() { return BignumPtr(BN_secure_new()); }

// The field prime 2^521 - 1 (a Mersenne prime).
absl::StatusOr<BignumPtr> FieldPrime() {
  BignumPtr p(BN_new());
  if (p == nullptr || BN_set_bit(p.get(), 521) != 1 ||
      BN_sub_word(p.get(), 1) != 1) {
    return BignumFailure("cannot build the Shamir field prime");
  }
  return p;
}

absl::Status CheckSecretSize(size_t size) {
  if (size == 0 || size > kShamirMaxSecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat("Shamir secret must be 1..",
                                                   kShamirMaxSecretBytes,
                                                   " bytes, got ", size));
  }
  return absl::OkStatus();
}

absl::Status CheckXs(const std::vector<uint32_t>& xs) {
  absl::flat_hash_set<uint32_t> seen;
  for (uint32_t x : xs) {
    if (x == 0) {
      return absl::InvalidArgumentError(
          "Shamir evaluation point x = 0 is not allowed (the share would be "
          "the secret itself); use x >= 1");
    }
    if (!seen.insert(x).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("Shamir evaluation point x = ", x,
                       " appears twice; every share needs a distinct x"));
    }
  }
  return absl::OkStatus();
}

// f(x) by Horner's rule over `coefficients` (constant term first).
absl::StatusOr<SecretBytes> Evaluate(const std::vector<BignumPtr>& coefficients,
                                     uint32_t x, const BIGNUM* p, BN_CTX* ctx) {
  BignumPtr y = NewSecretBignum();
  BignumPtr bn_x(BN_new());
  if (y == nullptr || bn_x == nullptr ||
      BN_copy(y.get(), coefficients.back().get()) == nullptr ||
      BN_set_word(bn_x.get(), x) != 1) {
    return BignumFailure("Shamir share evaluation failed");
  }
  for (size_t k = coefficients.size() - 1; k-- > 0;) {
    if (BN_mod_mul(y.get(), y.get(), bn_x.get(), p, ctx) != 1 ||
        BN_mod_add(y.get(), y.get(), coefficients[k].get(), p, ctx) != 1) {
      return BignumFailure("Shamir share evaluation failed");
    }
  }
  SecretBytes value(kShamirShareBytes);
  if (BN_bn2binpad(y.get(), value.mutable_data(),
                   static_cast<int>(value.size())) !=
      static_cast<int>(kShamirShareBytes)) {
    return BignumFailure("Shamir share encoding failed");
  }
  return value;
}

// The shares of the polynomial whose coefficients (constant term first,
// already reduced) are `coefficients`.
absl::StatusOr<std::vector<ShamirShare>> SplitPolynomial(
    const std::vector<BignumPtr>& coefficients, const std::vector<uint32_t>& xs,
    const BIGNUM* p, BN_CTX* ctx) {
  std::vector<ShamirShare> shares;
  shares.reserve(xs.size());
  for (uint32_t x : xs) {
    ShamirShare share;
    share.x = x;
    FEDGE_ASSIGN_OR_RETURN(share.value, Evaluate(coefficients, x, p, ctx));
    shares.push_back(std::move(share));
  }
  return shares;
}

absl::Status CheckSplitArguments(const SecretBytes& secret, size_t threshold,
                                 const std::vector<uint32_t>& xs) {
  FEDGE_RETURN_IF_ERROR(CheckSecretSize(secret.size()));
  if (threshold == 0 || threshold > xs.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Shamir threshold must be 1..", xs.size(),
                     " (the number of shares), got ", threshold));
  }
  return CheckXs(xs);
}

absl::StatusOr<BignumPtr> SecretToBignum(const SecretBytes& secret) {
  BignumPtr a0 = NewSecretBignum();
  if (a0 == nullptr || BN_bin2bn(secret.data(), static_cast<int>(secret.size()),
                                 a0.get()) == nullptr) {
    return BignumFailure("cannot read the Shamir secret");
  }
  return a0;
}

}  // namespace

namespace internal {

absl::StatusOr<std::vector<ShamirShare>> ShamirSplitWithCoefficients(
    const SecretBytes& secret, size_t threshold,
    const std::vector<uint32_t>& xs,
    const std::vector<SecretBytes>& coefficients) {
  FEDGE_RETURN_IF_ERROR(CheckSplitArguments(secret, threshold, xs));
  if (coefficients.size() != threshold - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("a threshold of ", threshold, " needs ", threshold - 1,
                     " coefficients, got ", coefficients.size()));
  }
  FEDGE_ASSIGN_OR_RETURN(BignumPtr p, FieldPrime());
  BnCtxPtr ctx(BN_CTX_secure_new());
  if (ctx == nullptr) return BignumFailure("BN_CTX_secure_new failed");
  std::vector<BignumPtr> poly;
  FEDGE_ASSIGN_OR_RETURN(BignumPtr a0, SecretToBignum(secret));
  poly.push_back(std::move(a0));
  for (const SecretBytes& c : coefficients) {
    if (c.empty() || c.size() > kShamirShareBytes) {
      return absl::InvalidArgumentError(absl::StrCat("coefficient must be 1..",
                                                     kShamirShareBytes,
                                                     " bytes, got ", c.size()));
    }
    BignumPtr bn = NewSecretBignum();
    if (bn == nullptr ||
        BN_bin2bn(c.data(), static_cast<int>(c.size()), bn.get()) == nullptr) {
      return BignumFailure("cannot read a coefficient");
    }
    if (BN_cmp(bn.get(), p.get()) >= 0) {
      return absl::InvalidArgumentError(
          "coefficient is not below the field prime 2^521 - 1");
    }
    poly.push_back(std::move(bn));
  }
  return SplitPolynomial(poly, xs, p.get(), ctx.get());
}

}  // namespace internal

absl::StatusOr<std::vector<ShamirShare>> ShamirSplit(
    const SecretBytes& secret, size_t threshold,
    const std::vector<uint32_t>& xs) {
  FEDGE_RETURN_IF_ERROR(CheckSplitArguments(secret, threshold, xs));
  FEDGE_ASSIGN_OR_RETURN(BignumPtr p, FieldPrime());
  BnCtxPtr ctx(BN_CTX_secure_new());
  if (ctx == nullptr) return BignumFailure("BN_CTX_secure_new failed");
  std::vector<BignumPtr> poly;
  poly.reserve(threshold);
  FEDGE_ASSIGN_OR_RETURN(BignumPtr a0, SecretToBignum(secret));
  poly.push_back(std::move(a0));
  for (size_t k = 1; k < threshold; ++k) {
    // Uniform in [0, p) from OpenSSL's private CSPRNG.
    BignumPtr coefficient = NewSecretBignum();
    if (coefficient == nullptr ||
        BN_priv_rand_range(coefficient.get(), p.get()) != 1) {
      return BignumFailure("cannot draw a random Shamir coefficient");
    }
    poly.push_back(std::move(coefficient));
  }
  return SplitPolynomial(poly, xs, p.get(), ctx.get());
}

absl::StatusOr<SecretBytes> ShamirReconstruct(
    const std::vector<ShamirShare>& shares, size_t threshold,
    size_t secret_size) {
  FEDGE_RETURN_IF_ERROR(CheckSecretSize(secret_size));
  if (threshold == 0) {
    return absl::InvalidArgumentError("Shamir threshold must be at least 1");
  }
  if (shares.size() < threshold) {
    return absl::InvalidArgumentError(
        absl::StrCat("Shamir reconstruction needs at least ", threshold,
                     " shares, got ", shares.size()));
  }
  std::vector<uint32_t> xs;
  xs.reserve(shares.size());
  for (const ShamirShare& share : shares) xs.push_back(share.x);
  FEDGE_RETURN_IF_ERROR(CheckXs(xs));

  FEDGE_ASSIGN_OR_RETURN(BignumPtr p, FieldPrime());
  BnCtxPtr ctx(BN_CTX_secure_new());
  if (ctx == nullptr) return BignumFailure("BN_CTX_secure_new failed");

  // Only the first `threshold` shares take part.
  std::vector<BignumPtr> x(threshold);
  std::vector<BignumPtr> y(threshold);
  for (size_t i = 0; i < threshold; ++i) {
    const ShamirShare& share = shares[i];
    if (share.value.size() != kShamirShareBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("Shamir share for x = ", share.x, " must be ",
                       kShamirShareBytes, " bytes, got ", share.value.size()));
    }
    x[i] = BignumPtr(BN_new());
    y[i] = NewSecretBignum();
    if (x[i] == nullptr || y[i] == nullptr ||
        BN_set_word(x[i].get(), share.x) != 1 ||
        BN_bin2bn(share.value.data(), static_cast<int>(share.value.size()),
                  y[i].get()) == nullptr) {
      return BignumFailure("cannot read a Shamir share");
    }
    if (BN_cmp(y[i].get(), p.get()) >= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Shamir share for x = ", share.x,
          " is not a field element (not below 2^521 - 1); it is corrupted"));
    }
  }

  // Lagrange interpolation at 0:
  //   f(0) = sum_i y_i * N_i / D_i   (mod p),
  //   N_i = prod_{j != i} x_j,  D_i = prod_{j != i} (x_j - x_i).
  // The x are small integers, so N_i and D_i are built exactly with word
  // multiplications and reduced once; the t inversions are batched into one
  // (Montgomery's trick). The x are distinct and below p, so every D_i is
  // invertible.
  const size_t t = threshold;
  std::vector<BignumPtr> num(t), den(t), prefix(t);
  for (size_t i = 0; i < t; ++i) {
    num[i] = BignumPtr(BN_new());
    den[i] = BignumPtr(BN_new());
    prefix[i] = BignumPtr(BN_new());
    if (num[i] == nullptr || den[i] == nullptr || prefix[i] == nullptr ||
        BN_one(num[i].get()) != 1 || BN_one(den[i].get()) != 1) {
      return BignumFailure("Shamir reconstruction failed");
    }
    bool negative = false;
    for (size_t j = 0; j < t; ++j) {
      if (j == i) continue;
      int64_t diff =
          static_cast<int64_t>(shares[j].x) - static_cast<int64_t>(shares[i].x);
      if (diff < 0) {
        negative = !negative;
        diff = -diff;
      }
      if (BN_mul_word(num[i].get(), shares[j].x) != 1 ||
          BN_mul_word(den[i].get(), static_cast<BN_ULONG>(diff)) != 1) {
        return BignumFailure("Shamir reconstruction failed");
      }
    }
    BN_set_negative(den[i].get(), negative ? 1 : 0);
    if (BN_nnmod(num[i].get(), num[i].get(), p.get(), ctx.get()) != 1 ||
        BN_nnmod(den[i].get(), den[i].get(), p.get(), ctx.get()) != 1 ||
        (i == 0 ? BN_copy(prefix[0].get(), den[0].get()) == nullptr
                : BN_mod_mul(prefix[i].get(), prefix[i - 1].get(), den[i].get(),
                             p.get(), ctx.get()) != 1)) {
      return BignumFailure("Shamir reconstruction failed");
    }
  }
  BignumPtr inverse(
      BN_mod_inverse(nullptr, prefix[t - 1].get(), p.get(), ctx.get()));
  BignumPtr secret = NewSecretBignum();
  BignumPtr term = NewSecretBignum();
  BignumPtr inverse_i(BN_new());
  if (inverse == nullptr || secret == nullptr || term == nullptr ||
      inverse_i == nullptr) {
    return BignumFailure("Shamir reconstruction failed");
  }
  BN_zero(secret.get());
  for (size_t k = t; k-- > 0;) {
    // inverse = (den_0 ... den_k)^-1, so 1/den_k = inverse * prefix_{k-1}.
    if (k > 0) {
      if (BN_mod_mul(inverse_i.get(), inverse.get(), prefix[k - 1].get(),
                     p.get(), ctx.get()) != 1 ||
          BN_mod_mul(inverse.get(), inverse.get(), den[k].get(), p.get(),
                     ctx.get()) != 1) {
        return BignumFailure("Shamir reconstruction failed");
      }
    } else if (BN_copy(inverse_i.get(), inverse.get()) == nullptr) {
      return BignumFailure("Shamir reconstruction failed");
    }
    if (BN_mod_mul(term.get(), y[k].get(), num[k].get(), p.get(), ctx.get()) !=
            1 ||
        BN_mod_mul(term.get(), term.get(), inverse_i.get(), p.get(),
                   ctx.get()) != 1 ||
        BN_mod_add(secret.get(), secret.get(), term.get(), p.get(),
                   ctx.get()) != 1) {
      return BignumFailure("Shamir reconstruction failed");
    }
  }

  if (static_cast<size_t>(BN_num_bytes(secret.get())) > secret_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Shamir reconstruction gave a value that does not fit in ", secret_size,
        " bytes: the shares come from different secrets or are corrupted"));
  }
  SecretBytes out(secret_size);
  if (BN_bn2binpad(secret.get(), out.mutable_data(),
                   static_cast<int>(secret_size)) !=
      static_cast<int>(secret_size)) {
    return BignumFailure("Shamir secret encoding failed");
  }
  return out;
}

}  // namespace fedge::crypto
