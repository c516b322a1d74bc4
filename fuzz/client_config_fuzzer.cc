// Feeds arbitrary YAML text to the strict client config
// (common/config/client_config.h). yaml-cpp throws on malformed text; the
// parser must turn that (and every unknown key, wrong type or bad value) into
// InvalidArgument naming the origin, and never crash. Parsing is deterministic:
// the same text gives the same verdict and message twice.

#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "common/config/client_config.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  auto config =
      fedge::config::ParseClientConfig(yaml, "fuzz.yaml", "/nonexistent");
  if (config.ok()) return 0;
  FEDGE_FUZZ_CHECK(config.status().code() ==
                   absl::StatusCode::kInvalidArgument);
  FEDGE_FUZZ_CHECK(absl::StartsWith(config.status().message(), "fuzz.yaml"));
  auto again =
      fedge::config::ParseClientConfig(yaml, "fuzz.yaml", "/nonexistent");
  FEDGE_FUZZ_CHECK(!again.ok() && again.status() == config.status());
  return 0;
}
