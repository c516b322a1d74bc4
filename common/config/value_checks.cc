#include "common/config/value_checks.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"

namespace fedge::config {

Check<std::string> OneOf(std::vector<std::string> accepted) {
  return [accepted = std::move(accepted)](const std::string& value,
                                          const CheckContext&) -> std::string {
    if (std::find(accepted.begin(), accepted.end(), value) != accepted.end()) {
      return "";
    }
    return absl::StrCat("unknown value '", value,
                        "' (accepted: ", absl::StrJoin(accepted, ", "), ")");
  };
}

Check<std::string> NonEmpty() {
  return [](const std::string& value, const CheckContext&) -> std::string {
    return value.empty() ? "must not be empty" : "";
  };
}

Check<std::string> HostPort(bool allow_empty) {
  return [allow_empty](const std::string& value,
                       const CheckContext&) -> std::string {
    if (value.empty() && allow_empty) return "";
    const std::string problem = absl::StrCat(
        "'", value,
        "' is not a host:port address (expected e.g. 127.0.0.1:50051, "
        "0.0.0.0:50051 or [::1]:50051",
        allow_empty ? ", or \"\" to disable" : "", ")");
    const size_t colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0) return problem;
    const absl::string_view host = absl::string_view(value).substr(0, colon);
    const absl::string_view port = absl::string_view(value).substr(colon + 1);
    if (host.front() == '[') {
      if (host.size() < 3 || host.back() != ']') return problem;
    } else if (host.find(':') != absl::string_view::npos) {
      return problem;  // IPv6 needs brackets
    }
    if (port.empty() || port.size() > 5) return problem;
    for (char c : port) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return problem;
    }
    int number = 0;
    if (!absl::SimpleAtoi(port, &number) || number > 65535) return problem;
    return "";
  };
}

Check<std::string> SafeName(bool allow_empty) {
  return [allow_empty](const std::string& value,
                       const CheckContext&) -> std::string {
    if (value.empty() && allow_empty) return "";
    bool ok = !value.empty() && value.size() <= 64 && value[0] != '.' &&
              value[0] != '-';
    for (char c : value) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
          c != '_' && c != '-') {
        ok = false;
      }
    }
    if (ok) return "";
    return absl::StrCat("'", value,
                        "' is not a valid name (expected 1 to 64 letters, "
                        "digits, '.', '_' or '-', not starting with '.' or "
                        "'-')");
  };
}

Check<std::vector<std::string>> NoEmptyElements() {
  return [](const std::vector<std::string>& value,
            const CheckContext&) -> std::string {
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i].empty()) {
        return absl::StrCat("element ", i,
                            " is empty (expected non-empty "
                            "strings)");
      }
    }
    return "";
  };
}

Check<std::vector<int64_t>> Shape(bool allow_empty) {
  return [allow_empty](const std::vector<int64_t>& value,
                       const CheckContext& context) -> std::string {
    if (value.empty() && !allow_empty) {
      return "must have at least one dimension (e.g. [1, 28, 28])";
    }
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] < 1) {
        return absl::StrCat(context.text, " is out of range (expected every ",
                            context.name, " dimension >= 1; dimension ", i,
                            " is ", value[i], ")");
      }
    }
    return "";
  };
}

}  // namespace fedge::config
