#include "common/util/progress.h"

#include <cstdio>

#include "gtest/gtest.h"

namespace fedge::util {
namespace {

std::string Captured(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  return out;
}

TEST(ProgressTest, PlainModePrintsOnlyPermanentLines) {
  FILE* f = std::tmpfile();
  {
    Progress progress(f, /*interactive=*/false);
    progress.Status("round 1: training");
    progress.Line("round 1 done");
  }
  EXPECT_EQ(Captured(f), "round 1 done\n");
  std::fclose(f);
}

TEST(ProgressTest, InteractiveModeRedrawsStatusBelowLines) {
  FILE* f = std::tmpfile();
  {
    Progress progress(f, /*interactive=*/true);
    progress.Status("s1");
    progress.Line("done");
  }
  EXPECT_EQ(Captured(f), "\rs1\033[K\r\033[Kdone\ns1\r\033[K");
  std::fclose(f);
}

TEST(ProgressTest, FormatEta) {
  EXPECT_EQ(Progress::FormatEta(absl::Seconds(65)), "1:05");
  EXPECT_EQ(Progress::FormatEta(absl::Seconds(3600 * 12 + 189)), "12:03:09");
  EXPECT_EQ(Progress::FormatEta(absl::Seconds(-3)), "0:00");
}

}  // namespace
}  // namespace fedge::util
