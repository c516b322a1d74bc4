#ifndef FEDGE_COMMON_CONFIG_YAML_VALUE_H_
#define FEDGE_COMMON_CONFIG_YAML_VALUE_H_

// Internal to common/config: turning one yaml-cpp node into a typed value,
// strictly, with the words for what went wrong. Used by yaml_reader.cc.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

namespace fedge::config::internal {

// A conversion failure: where (the offending node's position), under which
// sub-key ("[2]" for a sequence element, "" for the value itself), and what
// is wrong ("expected an integer, got 'five'").
struct Issue {
  YAML::Mark mark;
  std::string suffix;
  std::string problem;
};

// How a node reads after "got" in a message: 'five', the quoted string '5',
// a sequence, a mapping, nothing.
std::string Describe(const YAML::Node& node);

// A value as written in the file, for messages: "1.5", "[1, 0, 28]".
std::string ValueText(const YAML::Node& node);

// Each converts `node` into *out, or returns why it cannot (leaving *out
// unchanged). Integers are decimal, optionally signed, within the type's
// range; numbers are finite decimals (1, -0.5, 1e-3); booleans are exactly
// true or false; none of these may be quoted. Strings are any scalar.
// Durations follow absl::ParseDuration and must be finite; times are
// RFC 3339. Sequences convert element by element.
std::optional<Issue> Convert(const YAML::Node& node, int* out);
std::optional<Issue> Convert(const YAML::Node& node, int64_t* out);
std::optional<Issue> Convert(const YAML::Node& node, uint32_t* out);
std::optional<Issue> Convert(const YAML::Node& node, uint64_t* out);
std::optional<Issue> Convert(const YAML::Node& node, double* out);
std::optional<Issue> Convert(const YAML::Node& node, float* out);
std::optional<Issue> Convert(const YAML::Node& node, bool* out);
std::optional<Issue> Convert(const YAML::Node& node, std::string* out);
std::optional<Issue> Convert(const YAML::Node& node, absl::Duration* out);
std::optional<Issue> Convert(const YAML::Node& node, absl::Time* out);
std::optional<Issue> Convert(const YAML::Node& node,
                             std::vector<std::string>* out);
std::optional<Issue> Convert(const YAML::Node& node, std::vector<int64_t>* out);
std::optional<Issue> Convert(const YAML::Node& node, std::vector<double>* out);

}  // namespace fedge::config::internal

#endif  // FEDGE_COMMON_CONFIG_YAML_VALUE_H_
