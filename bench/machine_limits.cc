#include "bench/machine_limits.h"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/crypto/prg.h"
#include "common/crypto/secret_bytes.h"
#include "common/crypto/sha256.h"

namespace fedge::bench {
namespace {

template <typename F>
double MedianRate(size_t bytes, int repeats, F&& run) {
  std::vector<double> rates;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    run();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    rates.push_back(static_cast<double>(bytes) / seconds);
  }
  return Median(rates);
}

}  // namespace

double Median(std::vector<double> values) { return Percentile(values, 50); }

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(
      std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

double MemcpyBytesPerSecond(size_t bytes, int repeats) {
  std::vector<char> a(bytes, 1), b(bytes, 0);
  return MedianRate(bytes, repeats, [&] {
    std::memcpy(b.data(), a.data(), bytes);
    asm volatile("" : : "r"(b.data()) : "memory");
  });
}

double Sha256BytesPerSecond(size_t bytes, int repeats) {
  std::string data(bytes, 'x');
  return MedianRate(bytes, repeats, [&] {
    crypto::Sha256Digest d = crypto::Sha256(data);
    asm volatile("" : : "r"(d.data()) : "memory");
  });
}

double AesGcmBytesPerSecond(size_t bytes, int repeats) {
  std::vector<unsigned char> in(bytes, 7), out(bytes + 16);
  unsigned char key[32] = {1}, iv[12] = {2};
  return MedianRate(bytes, repeats, [&] {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key, iv);
    EVP_EncryptUpdate(ctx, out.data(), &len, in.data(),
                      static_cast<int>(bytes));
    EVP_EncryptFinal_ex(ctx, out.data() + len, &len);
    EVP_CIPHER_CTX_free(ctx);
  });
}

double AesCtrBytesPerSecond(size_t bytes, int repeats) {
  std::vector<unsigned char> in(bytes, 7), out(bytes + 16);
  unsigned char key[32] = {1}, iv[16] = {2};
  return MedianRate(bytes, repeats, [&] {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), nullptr, key, iv);
    EVP_EncryptUpdate(ctx, out.data(), &len, in.data(),
                      static_cast<int>(bytes));
    EVP_CIPHER_CTX_free(ctx);
  });
}

double PrgBytesPerSecond(size_t bytes, int repeats) {
  std::vector<uint8_t> out(bytes, 0);
  std::vector<double> rates;
  for (int i = 0; i < repeats; ++i) {
    auto prg = crypto::AesCtrPrg::Create(
        crypto::SecretBytes::Random(crypto::kPrgSeedBytes));
    if (!prg.ok()) return 0;
    auto start = std::chrono::steady_clock::now();
    (*prg)->Generate(out.data(), bytes);
    asm volatile("" : : "r"(out.data()) : "memory");
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    rates.push_back(static_cast<double>(bytes) / seconds);
  }
  return Median(rates);
}

}  // namespace fedge::bench
