#include "common/net/proto_time.h"

#include "gtest/gtest.h"

namespace fedge::net {
namespace {

google::protobuf::Timestamp Proto(absl::Time t) {
  google::protobuf::Timestamp out;
  ToProtoTimestamp(t, &out);
  return out;
}

google::protobuf::Timestamp Proto(int64_t seconds, int32_t nanos) {
  google::protobuf::Timestamp out;
  out.set_seconds(seconds);
  out.set_nanos(nanos);
  return out;
}

TEST(ProtoTimeTest, EpochIsAllZero) {
  const google::protobuf::Timestamp t = Proto(absl::UnixEpoch());
  EXPECT_EQ(t.seconds(), 0);
  EXPECT_EQ(t.nanos(), 0);
  EXPECT_EQ(FromProtoTimestamp(t), absl::UnixEpoch());
}

TEST(ProtoTimeTest, PostEpochSplitsSecondsAndNanos) {
  // 2024-05-01T12:00:00.123456789Z
  const absl::Time when =
      absl::FromUnixSeconds(1714564800) + absl::Nanoseconds(123456789);
  const google::protobuf::Timestamp t = Proto(when);
  EXPECT_EQ(t.seconds(), 1714564800);
  EXPECT_EQ(t.nanos(), 123456789);
}

TEST(ProtoTimeTest, RoundTripKeepsEveryNanosecond) {
  for (const absl::Time when :
       {absl::UnixEpoch(), absl::FromUnixNanos(1), absl::FromUnixNanos(-1),
        absl::FromUnixNanos(1714564800123456789),
        absl::FromUnixNanos(-1714564800123456789),
        absl::FromUnixSeconds(-62135596800),
        absl::FromUnixSeconds(253402300799) + absl::Nanoseconds(999999999)}) {
    EXPECT_EQ(FromProtoTimestamp(Proto(when)), when) << when;
  }
}

TEST(ProtoTimeTest, PreEpochHasNegativeSecondsAndNonNegativeNanos) {
  // 1969-12-31T23:59:59.75Z: a quarter second before the epoch.
  const google::protobuf::Timestamp t =
      Proto(absl::UnixEpoch() - absl::Milliseconds(250));
  EXPECT_EQ(t.seconds(), -1);
  EXPECT_EQ(t.nanos(), 750000000);

  // One nanosecond before the epoch.
  const google::protobuf::Timestamp u = Proto(absl::FromUnixNanos(-1));
  EXPECT_EQ(u.seconds(), -1);
  EXPECT_EQ(u.nanos(), 999999999);

  // Whole seconds before the epoch carry no nanos.
  const google::protobuf::Timestamp v = Proto(absl::FromUnixSeconds(-86400));
  EXPECT_EQ(v.seconds(), -86400);
  EXPECT_EQ(v.nanos(), 0);
}

TEST(ProtoTimeTest, SubNanosecondPrecisionIsRoundedDown) {
  const google::protobuf::Timestamp t =
      Proto(absl::FromUnixSeconds(5) + absl::Nanoseconds(7) +
            absl::Nanoseconds(1) / 4);
  EXPECT_EQ(t.seconds(), 5);
  EXPECT_EQ(t.nanos(), 7);

  const google::protobuf::Timestamp u =
      Proto(absl::UnixEpoch() - absl::Nanoseconds(1) / 4);
  EXPECT_EQ(u.seconds(), -1);
  EXPECT_EQ(u.nanos(), 999999999);
}

TEST(ProtoTimeTest, TimesOutsideTheTimestampRangeAreClamped) {
  const google::protobuf::Timestamp future = Proto(absl::InfiniteFuture());
  EXPECT_EQ(future.seconds(), 253402300799);
  EXPECT_EQ(future.nanos(), 999999999);
  const google::protobuf::Timestamp past = Proto(absl::InfinitePast());
  EXPECT_EQ(past.seconds(), -62135596800);
  EXPECT_EQ(past.nanos(), 0);
  const google::protobuf::Timestamp year_10000 =
      Proto(absl::FromUnixSeconds(253402300800));
  EXPECT_EQ(year_10000.seconds(), 253402300799);
  EXPECT_EQ(year_10000.nanos(), 999999999);
}

TEST(ProtoTimeTest, FromProtoAcceptsFieldsThatAreNotNormalized) {
  // Negative nanos, as an older writer produced for pre-epoch times.
  EXPECT_EQ(FromProtoTimestamp(Proto(0, -250000000)),
            absl::UnixEpoch() - absl::Milliseconds(250));
  // Nanos of more than one second.
  EXPECT_EQ(FromProtoTimestamp(Proto(10, 1500000000)),
            absl::FromUnixMillis(11500));
}

}  // namespace
}  // namespace fedge::net
