#ifndef FEDGE_COMMON_CONFIG_VALUE_CHECKS_H_
#define FEDGE_COMMON_CONFIG_VALUE_CHECKS_H_

// Ready-made Checks for MapReader getters. Each returns "" for an acceptable
// value and otherwise the problem in the words a user needs, naming the key
// by its last component: "1.5 is out of range (expected 0 < fraction <= 1)".

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/config/yaml_reader.h"

namespace fedge::config {

namespace internal {

template <typename T>
std::string FormatBound(const T& value) {
  static_assert(std::is_arithmetic_v<T>, "bounds are numbers or durations");
  return absl::StrCat(value);
}
inline std::string FormatBound(absl::Duration value) {
  return absl::FormatDuration(value);
}

// lo (<|<=) value (<|<=) hi, either bound optional.
template <typename T>
Check<T> RangeCheck(std::optional<T> lo, bool lo_open, std::optional<T> hi,
                    bool hi_open) {
  return [=](const T& value, const CheckContext& context) -> std::string {
    const bool above_lo = !lo || (lo_open ? value > *lo : value >= *lo);
    const bool below_hi = !hi || (hi_open ? value < *hi : value <= *hi);
    if (above_lo && below_hi) return "";
    std::string expected;
    if (lo && hi) {
      expected =
          absl::StrCat(FormatBound(*lo), lo_open ? " < " : " <= ", context.name,
                       hi_open ? " < " : " <= ", FormatBound(*hi));
    } else if (lo) {
      expected = absl::StrCat(context.name,
                              lo_open ? " > " : " >= ", FormatBound(*lo));
    } else {
      expected = absl::StrCat(context.name,
                              hi_open ? " < " : " <= ", FormatBound(*hi));
    }
    return absl::StrCat(context.text, " is out of range (expected ", expected,
                        ")");
  };
}

}  // namespace internal

// value >= lo.
template <typename T>
Check<T> AtLeast(T lo) {
  return internal::RangeCheck<T>(lo, false, std::nullopt, false);
}

// value > lo.
template <typename T>
Check<T> GreaterThan(T lo) {
  return internal::RangeCheck<T>(lo, true, std::nullopt, false);
}

// lo <= value <= hi.
template <typename T>
Check<T> Between(T lo, T hi) {
  return internal::RangeCheck<T>(lo, false, hi, false);
}

// lo < value <= hi.
template <typename T>
Check<T> GreaterThanAtMost(T lo, T hi) {
  return internal::RangeCheck<T>(lo, true, hi, false);
}

// lo <= value < hi.
template <typename T>
Check<T> AtLeastLessThan(T lo, T hi) {
  return internal::RangeCheck<T>(lo, false, hi, true);
}

// lo < value < hi.
template <typename T>
Check<T> GreaterThanLessThan(T lo, T hi) {
  return internal::RangeCheck<T>(lo, true, hi, true);
}

// One of `accepted`: "unknown value 'x' (accepted: a, b)".
Check<std::string> OneOf(std::vector<std::string> accepted);

// A non-empty string.
Check<std::string> NonEmpty();

// "host:port" with a port in [0, 65535] (0: any free port); the host may be
// a name, an IPv4 address or a bracketed IPv6 address. With `allow_empty`,
// "" is accepted too (meaning "disabled").
Check<std::string> HostPort(bool allow_empty);

// A name usable as a file name and in logs: 1 to 64 of A-Z a-z 0-9 . _ -,
// not starting with '.' or '-'. With `allow_empty`, "" is accepted too.
Check<std::string> SafeName(bool allow_empty);

// Every element of a string sequence is non-empty.
Check<std::vector<std::string>> NoEmptyElements();

// A tensor shape: every dimension >= 1, and (unless `allow_empty`) at least
// one dimension.
Check<std::vector<int64_t>> Shape(bool allow_empty);

}  // namespace fedge::config

#endif  // FEDGE_COMMON_CONFIG_VALUE_CHECKS_H_
