#ifndef FEDGE_COMMON_DATA_IDX_TEST_UTIL_H_
#define FEDGE_COMMON_DATA_IDX_TEST_UTIL_H_

// Test-only helpers: build IDX files byte by byte and write them raw or
// gzip-compressed under the test's temporary directory.

#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace fedge::data::testing {

inline void AppendBigEndian32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

// An IDX image file: magic 0x00000803, then count, rows, cols, then pixels.
inline std::string IdxImages(uint32_t count, uint32_t rows, uint32_t cols,
                             const std::vector<uint8_t>& pixels) {
  std::string out;
  AppendBigEndian32(out, 0x00000803);
  AppendBigEndian32(out, count);
  AppendBigEndian32(out, rows);
  AppendBigEndian32(out, cols);
  out.append(pixels.begin(), pixels.end());
  return out;
}

// An IDX label file: magic 0x00000801, then count, then labels.
inline std::string IdxLabels(uint32_t count,
                             const std::vector<uint8_t>& labels) {
  std::string out;
  AppendBigEndian32(out, 0x00000801);
  AppendBigEndian32(out, count);
  out.append(labels.begin(), labels.end());
  return out;
}

// A directory of this test process's own under the test temp dir, so that
// tests run in parallel processes (ctest -j) never share a file. Removed
// when the process exits.
inline const std::string& TestDir() {
  static const std::string dir = fedge::testing::MakeTempDir("fedge_data_test");
  return dir;
}

// Writes `bytes` to `name` under TestDir(); returns the path.
inline std::string WriteRaw(const std::string& name, const std::string& bytes) {
  const std::string path = TestDir() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  EXPECT_TRUE(out.good()) << path;
  return path;
}

// Writes `bytes` gzip-compressed to `name` under TestDir().
inline std::string WriteGzip(const std::string& name,
                             const std::string& bytes) {
  const std::string path = TestDir() + "/" + name;
  gzFile gz = gzopen(path.c_str(), "wb");
  EXPECT_NE(gz, nullptr) << path;
  if (gz == nullptr) return path;
  if (!bytes.empty()) {
    EXPECT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
  }
  EXPECT_EQ(gzclose(gz), Z_OK);
  return path;
}

// The whole content of a file.
inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

}  // namespace fedge::data::testing

#endif  // FEDGE_COMMON_DATA_IDX_TEST_UTIL_H_
