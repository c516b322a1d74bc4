#include "common/net/proto_time.h"

#include <cstdint>

namespace fedge::net {
namespace {

// The range of google.protobuf.Timestamp (see timestamp.proto).
constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int32_t kMaxNanos = 999999999;

}  // namespace

void ToProtoTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  if (t < absl::FromUnixSeconds(kMinSeconds)) {
    out->set_seconds(kMinSeconds);
    out->set_nanos(0);
    return;
  }
  if (t >= absl::FromUnixSeconds(kMaxSeconds + 1)) {
    out->set_seconds(kMaxSeconds);
    out->set_nanos(kMaxNanos);
    return;
  }
  // ToUnixSeconds rounds toward negative infinity, so the remainder is in
  // [0, 1s) and truncating it to nanoseconds rounds down.
  const int64_t seconds = absl::ToUnixSeconds(t);
  const absl::Duration rest = t - absl::FromUnixSeconds(seconds);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(rest)));
}

absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace fedge::net
