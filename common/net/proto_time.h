#ifndef FEDGE_COMMON_NET_PROTO_TIME_H_
#define FEDGE_COMMON_NET_PROTO_TIME_H_

// Conversions between absl::Time and google.protobuf.Timestamp, the time
// type of fedge's wire messages.

#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

namespace fedge::net {

// Writes `t` to `out` in the normalized form: whole seconds since the Unix
// epoch rounded toward negative infinity, and nanos in [0, 999999999], so a
// time before 1970 has negative seconds and non-negative nanos. Sub-nanosecond
// precision is dropped (rounded down). Times outside the range a Timestamp may
// hold (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z), including
// absl::InfinitePast() and absl::InfiniteFuture(), are clamped to it.
void ToProtoTimestamp(absl::Time t, google::protobuf::Timestamp* out);

// The time `t` denotes: seconds plus nanos after the Unix epoch. Accepts any
// field values, normalized or not (nanos may be negative or exceed one
// second).
absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t);

}  // namespace fedge::net

#endif  // FEDGE_COMMON_NET_PROTO_TIME_H_
