#include "common/config/value_checks.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace fedge::config {
namespace {

template <typename T>
std::string Apply(const Check<T>& check, const T& value, absl::string_view name,
                  absl::string_view text) {
  return check(value, CheckContext{name, text});
}

TEST(ValueChecksTest, RangesAcceptValuesInside) {
  EXPECT_EQ(Apply(AtLeast<uint32_t>(1), 1u, "rounds", "1"), "");
  EXPECT_EQ(Apply(GreaterThan(0.0), 1e-9, "learning_rate", "1e-9"), "");
  EXPECT_EQ(Apply(Between(-1, 5), -1, "x", "-1"), "");
  EXPECT_EQ(Apply(Between(-1, 5), 5, "x", "5"), "");
  EXPECT_EQ(Apply(GreaterThanAtMost(0.0, 1.0), 1.0, "fraction", "1"), "");
  EXPECT_EQ(Apply(AtLeastLessThan(0.0, 1.0), 0.0, "jitter", "0"), "");
}

TEST(ValueChecksTest, RangeMessagesStateTheBoundsWithTheKeyName) {
  EXPECT_EQ(Apply(AtLeast<uint32_t>(1), 0u, "rounds", "0"),
            "0 is out of range (expected rounds >= 1)");
  EXPECT_EQ(Apply(GreaterThan(0.0), 0.0, "learning_rate", "0.0"),
            "0.0 is out of range (expected learning_rate > 0)");
  EXPECT_EQ(Apply(Between(-1, 5), 6, "x", "6"),
            "6 is out of range (expected -1 <= x <= 5)");
  EXPECT_EQ(Apply(GreaterThanAtMost(0.0, 1.0), 1.5, "fraction", "1.5"),
            "1.5 is out of range (expected 0 < fraction <= 1)");
  EXPECT_EQ(Apply(GreaterThanAtMost(0.0, 1.0), 0.0, "fraction", "0"),
            "0 is out of range (expected 0 < fraction <= 1)");
  EXPECT_EQ(Apply(AtLeastLessThan(0.0, 1.0), 1.0, "momentum", "1.0"),
            "1.0 is out of range (expected 0 <= momentum < 1)");
  EXPECT_EQ(Apply(AtLeastLessThan(0.0, 0.5), 0.75, "jitter", "0.75"),
            "0.75 is out of range (expected 0 <= jitter < 0.5)");
}

TEST(ValueChecksTest, DurationBoundsAreFormattedAsDurations) {
  EXPECT_EQ(Apply(GreaterThan(absl::ZeroDuration()), absl::ZeroDuration(),
                  "selection", "0s"),
            "0s is out of range (expected selection > 0)");
  EXPECT_EQ(
      Apply(AtLeast(absl::Seconds(1)), absl::Milliseconds(5), "initial", "5ms"),
      "5ms is out of range (expected initial >= 1s)");
}

TEST(ValueChecksTest, OneOfListsTheAcceptedValues) {
  const Check<std::string> check = OneOf({"fedavg"});
  EXPECT_EQ(Apply(check, std::string("fedavg"), "name", "fedavg"), "");
  EXPECT_EQ(Apply(check, std::string("fedprox"), "name", "fedprox"),
            "unknown value 'fedprox' (accepted: fedavg)");
  EXPECT_EQ(Apply(OneOf({"a", "b"}), std::string(""), "k", ""),
            "unknown value '' (accepted: a, b)");
}

TEST(ValueChecksTest, NonEmpty) {
  EXPECT_EQ(Apply(NonEmpty(), std::string("x"), "k", "x"), "");
  EXPECT_EQ(Apply(NonEmpty(), std::string(""), "k", ""), "must not be empty");
}

TEST(ValueChecksTest, HostPortAcceptsNamesAndAddresses) {
  const Check<std::string> check = HostPort(false);
  for (const char* ok : {"127.0.0.1:50051", "0.0.0.0:0", "localhost:65535",
                         "[::1]:9464", "[::]:50051", "fedge.example.org:443"}) {
    EXPECT_EQ(Apply(check, std::string(ok), "listen", ok), "") << ok;
  }
}

TEST(ValueChecksTest, HostPortRejectsMalformedAddresses) {
  const Check<std::string> check = HostPort(false);
  for (const char* bad :
       {"", "50051", ":50051", "localhost:", "host:65536", "host:12a",
        "::1:50051", "[::1:50051", "[]:1", "host:123456"}) {
    EXPECT_EQ(Apply(check, std::string(bad), "listen", bad),
              std::string("'") + bad +
                  "' is not a host:port address (expected e.g. "
                  "127.0.0.1:50051, 0.0.0.0:50051 or [::1]:50051)")
        << bad;
  }
}

TEST(ValueChecksTest, HostPortMayAllowEmptyToDisable) {
  EXPECT_EQ(Apply(HostPort(true), std::string(""), "metrics_listen", ""), "");
  EXPECT_EQ(Apply(HostPort(true), std::string("x"), "metrics_listen", "x"),
            "'x' is not a host:port address (expected e.g. 127.0.0.1:50051, "
            "0.0.0.0:50051 or [::1]:50051, or \"\" to disable)");
}

TEST(ValueChecksTest, SafeName) {
  EXPECT_EQ(Apply(SafeName(false), std::string("run-2024_05.1"), "id", ""), "");
  EXPECT_EQ(Apply(SafeName(true), std::string(""), "id", ""), "");
  const std::string expected_tail =
      "' is not a valid name (expected 1 to 64 letters, digits, '.', '_' or "
      "'-', not starting with '.' or '-')";
  for (const std::string& bad :
       {std::string(""), std::string("a/b"), std::string(".hidden"),
        std::string("-x"), std::string("a b"), std::string(65, 'a')}) {
    EXPECT_EQ(Apply(SafeName(false), bad, "id", bad),
              "'" + bad + expected_tail);
  }
}

TEST(ValueChecksTest, NoEmptyElements) {
  using Strings = std::vector<std::string>;
  EXPECT_EQ(Apply(NoEmptyElements(), Strings{"a", "b"}, "k", ""), "");
  EXPECT_EQ(Apply(NoEmptyElements(), Strings{"a", ""}, "k", ""),
            "element 1 is empty (expected non-empty strings)");
}

TEST(ValueChecksTest, ShapeNeedsPositiveDimensions) {
  using Dims = std::vector<int64_t>;
  EXPECT_EQ(Apply(Shape(false), Dims{1, 28, 28}, "input_shape", ""), "");
  EXPECT_EQ(Apply(Shape(true), Dims{}, "example_shape", "[]"), "");
  EXPECT_EQ(Apply(Shape(false), Dims{}, "input_shape", "[]"),
            "must have at least one dimension (e.g. [1, 28, 28])");
  EXPECT_EQ(Apply(Shape(false), Dims{1, 0, 28}, "input_shape", "[1, 0, 28]"),
            "[1, 0, 28] is out of range (expected every input_shape "
            "dimension >= 1; dimension 1 is 0)");
}

}  // namespace
}  // namespace fedge::config
