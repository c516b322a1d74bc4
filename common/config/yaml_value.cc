#include "common/config/yaml_value.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fedge::config::internal {
namespace {

constexpr size_t kMaxQuotedValue = 60;

// A value as it may be quoted in a message, shortened if very long.
std::string Quote(absl::string_view text) {
  if (text.size() > kMaxQuotedValue) {
    return absl::StrCat("'", text.substr(0, kMaxQuotedValue), "...'");
  }
  return absl::StrCat("'", text, "'");
}

// Quoted scalars ("5", '5') carry the non-specific tag "!"; plain ones "?".
bool IsQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

std::optional<Issue> WrongType(const YAML::Node& node,
                               absl::string_view expected) {
  std::string problem =
      absl::StrCat("expected ", expected, ", got ", Describe(node));
  if (node.IsScalar() && IsQuoted(node)) {
    absl::StrAppend(&problem, " (write it without quotes)");
  }
  return Issue{node.Mark(), "", std::move(problem)};
}

// Optional sign followed by decimal digits only.
bool ParseDecimal(absl::string_view text, bool* negative, uint64_t* magnitude) {
  *negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    *negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      value = std::numeric_limits<uint64_t>::max();  // saturate: out of range
    } else {
      value = value * 10 + digit;
    }
  }
  *magnitude = value;
  return true;
}

// A decimal number: [sign] digits [. digits] [e [sign] digits], or
// [sign] . digits [exponent]. No hex, no inf/nan, no spaces.
bool IsDecimalNumber(absl::string_view text) {
  size_t i = 0;
  auto digits = [&]() {
    size_t start = i;
    while (i < text.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    return i - start;
  };
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  size_t mantissa = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == text.size();
}

template <typename I>
std::optional<Issue> ConvertInteger(const YAML::Node& node, I* out) {
  constexpr bool kSigned = std::numeric_limits<I>::is_signed;
  if (!node.IsScalar() || IsQuoted(node)) return WrongType(node, "an integer");
  bool negative = false;
  uint64_t magnitude = 0;
  if (!ParseDecimal(node.Scalar(), &negative, &magnitude)) {
    return WrongType(node, "an integer");
  }
  if (negative && magnitude != 0 && !kSigned) {
    return WrongType(node, "a non-negative integer");
  }
  const uint64_t max = static_cast<uint64_t>(std::numeric_limits<I>::max());
  // |min| of a signed type is max + 1.
  const uint64_t limit = negative ? (kSigned ? max + 1 : 0) : max;
  if (magnitude > limit) {
    return Issue{node.Mark(), "",
                 absl::StrCat("expected an integer between ",
                              std::numeric_limits<I>::min(), " and ",
                              std::numeric_limits<I>::max(), ", got ",
                              Quote(node.Scalar()))};
  }
  if (negative) {
    // Negate in the unsigned domain, then convert (two's complement, as
    // GCC and Clang define it and C++20 requires): exact down to min().
    *out = static_cast<I>(static_cast<int64_t>(0 - magnitude));
  } else {
    *out = static_cast<I>(magnitude);
  }
  return std::nullopt;
}

}  // namespace

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      break;
  }
  if (IsQuoted(node))
    return absl::StrCat("the quoted string ", Quote(node.Scalar()));
  return Quote(node.Scalar());
}

std::string ValueText(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsSequence()) {
    std::vector<std::string> parts;
    for (const YAML::Node& element : node) parts.push_back(ValueText(element));
    return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
  }
  if (node.IsMap()) return "{...}";
  return "";
}

std::optional<Issue> Convert(const YAML::Node& node, int* out) {
  return ConvertInteger(node, out);
}
std::optional<Issue> Convert(const YAML::Node& node, int64_t* out) {
  return ConvertInteger(node, out);
}
std::optional<Issue> Convert(const YAML::Node& node, uint32_t* out) {
  return ConvertInteger(node, out);
}
std::optional<Issue> Convert(const YAML::Node& node, uint64_t* out) {
  return ConvertInteger(node, out);
}

std::optional<Issue> Convert(const YAML::Node& node, double* out) {
  if (!node.IsScalar() || IsQuoted(node) || !IsDecimalNumber(node.Scalar())) {
    return WrongType(node, "a number");
  }
  double value = 0;
  if (!absl::SimpleAtod(node.Scalar(), &value) || !std::isfinite(value)) {
    return Issue{
        node.Mark(), "",
        absl::StrCat("expected a finite number, got ", Quote(node.Scalar()))};
  }
  *out = value;
  return std::nullopt;
}

std::optional<Issue> Convert(const YAML::Node& node, float* out) {
  double value = 0;
  if (std::optional<Issue> issue = Convert(node, &value)) return issue;
  if (std::fabs(value) > std::numeric_limits<float>::max()) {
    return Issue{node.Mark(), "",
                 absl::StrCat("expected a number of at most ",
                              std::numeric_limits<float>::max(),
                              " in magnitude, got ", Quote(node.Scalar()))};
  }
  *out = static_cast<float>(value);
  return std::nullopt;
}

std::optional<Issue> Convert(const YAML::Node& node, bool* out) {
  if (node.IsScalar() && !IsQuoted(node)) {
    if (node.Scalar() == "true") {
      *out = true;
      return std::nullopt;
    }
    if (node.Scalar() == "false") {
      *out = false;
      return std::nullopt;
    }
  }
  return WrongType(node, "true or false");
}

std::optional<Issue> Convert(const YAML::Node& node, std::string* out) {
  if (!node.IsScalar()) return WrongType(node, "a string");
  *out = node.Scalar();
  return std::nullopt;
}

std::optional<Issue> Convert(const YAML::Node& node, absl::Duration* out) {
  constexpr char kExpected[] = "a duration such as 250ms, 30s, 5m or 1h";
  if (!node.IsScalar()) return WrongType(node, kExpected);
  absl::Duration value;
  if (!absl::ParseDuration(node.Scalar(), &value)) {
    bool negative = false;
    uint64_t magnitude = 0;
    std::optional<Issue> issue = WrongType(node, kExpected);
    if (ParseDecimal(node.Scalar(), &negative, &magnitude)) {
      absl::StrAppend(&issue->problem, " (a number needs a unit)");
    }
    return issue;
  }
  if (value == absl::InfiniteDuration() || value == -absl::InfiniteDuration()) {
    return Issue{
        node.Mark(), "",
        absl::StrCat("expected a finite duration, got ", Quote(node.Scalar()))};
  }
  *out = value;
  return std::nullopt;
}

std::optional<Issue> Convert(const YAML::Node& node, absl::Time* out) {
  constexpr char kExpected[] = "an RFC 3339 time such as 2024-05-01T12:00:00Z";
  if (!node.IsScalar()) return WrongType(node, kExpected);
  absl::Time value;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, node.Scalar(), &value, &error)) {
    return WrongType(node, kExpected);
  }
  *out = value;
  return std::nullopt;
}

namespace {

template <typename E>
std::optional<Issue> ConvertSequence(const YAML::Node& node,
                                     absl::string_view expected,
                                     std::vector<E>* out) {
  if (!node.IsSequence()) return WrongType(node, expected);
  std::vector<E> values;
  size_t index = 0;
  for (const YAML::Node& element : node) {
    E value{};
    if (std::optional<Issue> issue = Convert(element, &value)) {
      issue->suffix = absl::StrCat("[", index, "]", issue->suffix);
      return issue;
    }
    values.push_back(std::move(value));
    ++index;
  }
  *out = std::move(values);
  return std::nullopt;
}

}  // namespace

std::optional<Issue> Convert(const YAML::Node& node,
                             std::vector<std::string>* out) {
  return ConvertSequence(node, "a sequence of strings such as [a, b]", out);
}

std::optional<Issue> Convert(const YAML::Node& node,
                             std::vector<int64_t>* out) {
  return ConvertSequence(node, "a sequence of integers such as [1, 28, 28]",
                         out);
}

std::optional<Issue> Convert(const YAML::Node& node, std::vector<double>* out) {
  return ConvertSequence(node, "a sequence of numbers such as [0.5, 20]", out);
}

}  // namespace fedge::config::internal
