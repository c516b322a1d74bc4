#include "common/config/yaml_reader.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/config/value_checks.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::config {
namespace {

using ::testing::HasSubstr;

// Parses `yaml` as "t.yaml" (paths resolved against /base), runs `schema`
// over its top-level mapping and returns the document's verdict.
absl::Status Read(const std::string& yaml,
                  const std::function<void(MapReader)>& schema,
                  const std::string& base_dir = "/base") {
  absl::StatusOr<YamlDocument> doc =
      YamlDocument::Parse(yaml, "t.yaml", base_dir);
  if (!doc.ok()) return doc.status();
  schema(doc->root());
  return doc->Finish();
}

// The message of a failed read (or "OK").
std::string Message(const absl::Status& status) {
  if (status.ok()) return "OK";
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

TEST(YamlReaderTest, ReadsEveryValueType) {
  std::string s;
  bool b = false;
  int i = 0;
  int64_t i64 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  double d = 0;
  float f = 0;
  absl::Duration duration;
  absl::Time time;
  std::vector<std::string> strings;
  std::vector<int64_t> ints;
  const absl::Status status = Read(
      "s: hello world\n"
      "b: true\n"
      "i: -1\n"
      "i64: -9223372036854775808\n"
      "u32: 4294967295\n"
      "u64: 18446744073709551615\n"
      "d: -2.5e-3\n"
      "f: .5\n"
      "duration: 1h30m\n"
      "time: 2024-05-01T12:00:00+02:00\n"
      "strings: [eu-west, 'eu north']\n"
      "ints:\n  - 1\n  - 28\n",
      [&](MapReader m) {
        EXPECT_TRUE(m.Required("s", &s));
        EXPECT_TRUE(m.Required("b", &b));
        EXPECT_TRUE(m.Required("i", &i));
        EXPECT_TRUE(m.Required("i64", &i64));
        EXPECT_TRUE(m.Required("u32", &u32));
        EXPECT_TRUE(m.Required("u64", &u64));
        EXPECT_TRUE(m.Required("d", &d));
        EXPECT_TRUE(m.Required("f", &f));
        EXPECT_TRUE(m.Required("duration", &duration));
        EXPECT_TRUE(m.Required("time", &time));
        EXPECT_TRUE(m.Required("strings", &strings));
        EXPECT_TRUE(m.Required("ints", &ints));
      });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(s, "hello world");
  EXPECT_TRUE(b);
  EXPECT_EQ(i, -1);
  EXPECT_EQ(i64, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(u32, 4294967295u);
  EXPECT_EQ(u64, std::numeric_limits<uint64_t>::max());
  EXPECT_DOUBLE_EQ(d, -0.0025);
  EXPECT_FLOAT_EQ(f, 0.5f);
  EXPECT_EQ(duration, absl::Minutes(90));
  EXPECT_EQ(time, absl::FromUnixSeconds(1714557600));  // 10:00 UTC
  EXPECT_EQ(strings, (std::vector<std::string>{"eu-west", "eu north"}));
  EXPECT_EQ(ints, (std::vector<int64_t>{1, 28}));
}

TEST(YamlReaderTest, AbsentOrEmptyValuesKeepTheDefault) {
  uint32_t a = 7, b = 8, c = 9;
  std::string s = "default";
  const absl::Status status = Read("a:\nb: ~\ns: null\n", [&](MapReader m) {
    EXPECT_TRUE(m.Optional("a", &a));
    EXPECT_TRUE(m.Optional("b", &b));
    EXPECT_TRUE(m.Optional("c", &c));
    EXPECT_TRUE(m.Optional("s", &s));
    EXPECT_FALSE(m.Has("a"));
    EXPECT_FALSE(m.Has("c"));
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(a, 7u);
  EXPECT_EQ(b, 8u);
  EXPECT_EQ(c, 9u);
  EXPECT_EQ(s, "default");
}

TEST(YamlReaderTest, EmptyStringIsAValueNotAnAbsence) {
  std::string s = "default";
  EXPECT_TRUE(
      Read("s: \"\"\n", [&](MapReader m) { m.Optional("s", &s); }).ok());
  EXPECT_EQ(s, "");
}

TEST(YamlReaderTest, MissingRequiredKeyHasNoPosition) {
  std::string cert;
  EXPECT_EQ(Message(Read("other: 1\n",
                         [&](MapReader m) {
                           m.Optional("other", &cert);
                           m.Child("tls").Required("cert", &cert);
                         })),
            "t.yaml: tls.cert: required key is missing");
}

TEST(YamlReaderTest, RequiredKeyWithEmptyValueIsReportedAtTheKey) {
  uint32_t n = 0;
  EXPECT_EQ(Message(Read("a: 1\nn:\n",
                         [&](MapReader m) {
                           m.Optional("a", &n);
                           EXPECT_FALSE(m.Required("n", &n));
                         })),
            "t.yaml:2:1: n: required key has no value");
}

TEST(YamlReaderTest, IntegerRejectsFractionsWordsAndQuotes) {
  uint32_t n = 0;
  auto schema = [&](MapReader m) { EXPECT_FALSE(m.Required("n", &n)); };
  EXPECT_EQ(Message(Read("n: 3.5\n", schema)),
            "t.yaml:1:4: n: expected an integer, got '3.5'");
  EXPECT_EQ(Message(Read("n: five\n", schema)),
            "t.yaml:1:4: n: expected an integer, got 'five'");
  EXPECT_EQ(Message(Read("n: 0x10\n", schema)),
            "t.yaml:1:4: n: expected an integer, got '0x10'");
  EXPECT_EQ(Message(Read("n: \"5\"\n", schema)),
            "t.yaml:1:4: n: expected an integer, got the quoted string '5' "
            "(write it without quotes)");
  EXPECT_EQ(Message(Read("n: [5]\n", schema)),
            "t.yaml:1:4: n: expected an integer, got a sequence");
  EXPECT_EQ(n, 0u);
}

TEST(YamlReaderTest, UnsignedRejectsNegativeAndOverflow) {
  uint32_t n = 0;
  auto schema = [&](MapReader m) { m.Required("n", &n); };
  EXPECT_EQ(Message(Read("n: -1\n", schema)),
            "t.yaml:1:4: n: expected a non-negative integer, got '-1'");
  EXPECT_EQ(Message(Read("n: 4294967296\n", schema)),
            "t.yaml:1:4: n: expected an integer between 0 and 4294967295, "
            "got '4294967296'");
  EXPECT_EQ(Message(Read("n: 99999999999999999999999\n", schema)),
            "t.yaml:1:4: n: expected an integer between 0 and 4294967295, "
            "got '99999999999999999999999'");
  EXPECT_TRUE(Read("n: -0\n", schema).ok());
}

TEST(YamlReaderTest, SignedIntegerBounds) {
  int n = 0;
  auto schema = [&](MapReader m) { m.Required("n", &n); };
  EXPECT_EQ(Message(Read("n: -2147483649\n", schema)),
            "t.yaml:1:4: n: expected an integer between -2147483648 and "
            "2147483647, got '-2147483649'");
  ASSERT_TRUE(Read("n: -2147483648\n", schema).ok());
  EXPECT_EQ(n, std::numeric_limits<int>::min());
}

TEST(YamlReaderTest, BooleansAreOnlyTrueOrFalse) {
  bool b = false;
  auto schema = [&](MapReader m) { m.Required("b", &b); };
  EXPECT_EQ(Message(Read("b: yes\n", schema)),
            "t.yaml:1:4: b: expected true or false, got 'yes'");
  EXPECT_EQ(Message(Read("b: 'true'\n", schema)),
            "t.yaml:1:4: b: expected true or false, got the quoted string "
            "'true' (write it without quotes)");
  ASSERT_TRUE(Read("b: true\n", schema).ok());
  EXPECT_TRUE(b);
  ASSERT_TRUE(Read("b: false\n", schema).ok());
  EXPECT_FALSE(b);
}

TEST(YamlReaderTest, NumbersMustBeFiniteDecimals) {
  double d = 0;
  auto schema = [&](MapReader m) { m.Required("d", &d); };
  EXPECT_EQ(Message(Read("d: .inf\n", schema)),
            "t.yaml:1:4: d: expected a number, got '.inf'");
  EXPECT_EQ(Message(Read("d: 1e999\n", schema)),
            "t.yaml:1:4: d: expected a finite number, got '1e999'");
  EXPECT_EQ(Message(Read("d: 1.2.3\n", schema)),
            "t.yaml:1:4: d: expected a number, got '1.2.3'");
  ASSERT_TRUE(Read("d: 3\n", schema).ok());
  EXPECT_EQ(d, 3.0);
}

TEST(YamlReaderTest, DurationsNeedAUnitAndMustBeFinite) {
  absl::Duration t;
  auto schema = [&](MapReader m) {
    m.Required("t", &t, GreaterThan(absl::ZeroDuration()));
  };
  ASSERT_TRUE(Read("t: 250ms\n", schema).ok());
  EXPECT_EQ(t, absl::Milliseconds(250));
  ASSERT_TRUE(Read("t: \"5m\"\n", schema).ok());  // quotes are fine here
  EXPECT_EQ(t, absl::Minutes(5));
  EXPECT_EQ(Message(Read("t: 30\n", schema)),
            "t.yaml:1:4: t: expected a duration such as 250ms, 30s, 5m or 1h, "
            "got '30' (a number needs a unit)");
  EXPECT_EQ(Message(Read("t: soon\n", schema)),
            "t.yaml:1:4: t: expected a duration such as 250ms, 30s, 5m or 1h, "
            "got 'soon'");
  EXPECT_EQ(Message(Read("t: inf\n", schema)),
            "t.yaml:1:4: t: expected a finite duration, got 'inf'");
  EXPECT_EQ(Message(Read("t: 0s\n", schema)),
            "t.yaml:1:4: t: 0s is out of range (expected t > 0)");
  EXPECT_EQ(Message(Read("t: -1s\n", schema)),
            "t.yaml:1:4: t: -1s is out of range (expected t > 0)");
}

TEST(YamlReaderTest, TimesAreRfc3339) {
  absl::Time when;
  auto schema = [&](MapReader m) { m.Required("when", &when); };
  EXPECT_EQ(Message(Read("when: 2024-05-01\n", schema)),
            "t.yaml:1:7: when: expected an RFC 3339 time such as "
            "2024-05-01T12:00:00Z, got '2024-05-01'");
  ASSERT_TRUE(Read("when: 2024-05-01T12:00:00.5Z\n", schema).ok());
  EXPECT_EQ(when, absl::FromUnixMillis(1714564800500));
}

TEST(YamlReaderTest, SequenceElementErrorsNameTheElement) {
  std::vector<int64_t> shape;
  EXPECT_EQ(Message(Read("shape: [1, x, 3]\n",
                         [&](MapReader m) { m.Required("shape", &shape); })),
            "t.yaml:1:12: shape[1]: expected an integer, got 'x'");
  EXPECT_EQ(Message(Read("shape: 28\n",
                         [&](MapReader m) { m.Required("shape", &shape); })),
            "t.yaml:1:8: shape: expected a sequence of integers such as "
            "[1, 28, 28], got '28'");
  std::vector<std::string> names;
  EXPECT_EQ(Message(Read("names: [a, {b: c}]\n",
                         [&](MapReader m) { m.Required("names", &names); })),
            "t.yaml:1:12: names[1]: expected a string, got a mapping");
}

TEST(YamlReaderTest, CheckFailureIsReportedAtTheValue) {
  double fraction = 1.0;
  EXPECT_EQ(
      Message(Read("cohort:\n  fraction: 1.5\n",
                   [&](MapReader m) {
                     EXPECT_FALSE(m.Child("cohort").Optional(
                         "fraction", &fraction, GreaterThanAtMost(0.0, 1.0)));
                   })),
      "t.yaml:2:13: cohort.fraction: 1.5 is out of range "
      "(expected 0 < fraction <= 1)");
  EXPECT_EQ(fraction, 1.0);
}

TEST(YamlReaderTest, ChildThatIsNotAMappingIsReportedOnce) {
  uint32_t n = 0;
  EXPECT_EQ(Message(Read("cohort: 5\n",
                         [&](MapReader m) {
                           MapReader cohort = m.Child("cohort");
                           EXPECT_FALSE(cohort.present());
                           EXPECT_FALSE(cohort.Required("min", &n));
                         })),
            "t.yaml:1:9: cohort: expected a mapping (keys indented below it, "
            "or {key: value, ...}), got '5'");
}

TEST(YamlReaderTest, AbsentChildReadsDefaults) {
  uint32_t n = 3;
  const absl::Status status = Read("a: 1\n", [&](MapReader m) {
    m.Optional("a", &n);
    MapReader cohort = m.Child("cohort");
    EXPECT_FALSE(cohort.present());
    EXPECT_TRUE(cohort.Optional("min", &n));
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(n, 1u);
}

TEST(YamlReaderTest, UnknownKeySuggestsACloseKnownKey) {
  double fraction = 0;
  uint32_t n = 0;
  auto schema = [&](MapReader m) {
    MapReader cohort = m.Child("cohort");
    cohort.Optional("min_clients", &n);
    cohort.Optional("fraction", &fraction);
    cohort.Optional("max_clients", &n);
  };
  EXPECT_EQ(Message(Read("cohort:\n  fracton: 0.5\n", schema)),
            "t.yaml:2:3: cohort.fracton: unknown key (did you mean "
            "'fraction'?); known keys: min_clients, fraction, max_clients");
  EXPECT_EQ(Message(Read("cohort:\n  minimun: 3\n", schema)),
            "t.yaml:2:3: cohort.minimun: unknown key (did you mean "
            "'min_clients'?); known keys: min_clients, fraction, max_clients");
  EXPECT_EQ(Message(Read("cohort:\n  zzz: 3\n", schema)),
            "t.yaml:2:3: cohort.zzz: unknown key; known keys: min_clients, "
            "fraction, max_clients");
  EXPECT_EQ(Message(Read("cohorts:\n  fraction: 3\n", schema)),
            "t.yaml:1:1: cohorts: unknown key (did you mean 'cohort'?); known "
            "keys: cohort");
}

TEST(YamlReaderTest, DuplicateKeysAreErrors) {
  uint32_t n = 0;
  auto schema = [&](MapReader m) {
    m.Optional("rounds", &n);
    m.Child("cohort").Optional("min", &n);
  };
  EXPECT_EQ(Message(Read("rounds: 5\nrounds: 6\n", schema)),
            "t.yaml:2:1: rounds: duplicate key (first set on line 1); keep "
            "one of the two");
  EXPECT_EQ(Message(Read("cohort: {min: 1, min: 2}\n", schema)),
            "t.yaml:1:18: cohort.min: duplicate key (first set on line 1); "
            "keep one of the two");
}

TEST(YamlReaderTest, ChildReadTwiceIsIndexedOnce) {
  uint32_t n = 0;
  EXPECT_EQ(Message(Read("c: {a: 1, a: 2}\n",
                         [&](MapReader m) {
                           m.Child("c").Optional("a", &n);
                           m.Child("c").Optional("a", &n);
                         })),
            "t.yaml:1:11: c.a: duplicate key (first set on line 1); keep one "
            "of the two");
}

TEST(YamlReaderTest, KeysMustBeScalars) {
  EXPECT_EQ(Message(Read("? [a, b]\n: 1\n", [](MapReader) {})),
            "t.yaml:1:3: (top level): keys must be non-empty words, got a "
            "sequence");
}

TEST(YamlReaderTest, ProblemsAreListedInFileOrderWithMissingKeysLast) {
  uint32_t n = 0;
  const absl::Status status = Read("b: x\nzz: 1\na: -1\n", [&](MapReader m) {
    m.Required("missing", &n);
    m.Optional("a", &n);
    m.Optional("b", &n);
  });
  EXPECT_EQ(Message(status),
            "t.yaml:1:4: b: expected an integer, got 'x'\n"
            "t.yaml:2:1: zz: unknown key; known keys: missing, a, b\n"
            "t.yaml:3:4: a: expected a non-negative integer, got '-1'\n"
            "t.yaml: missing: required key is missing");
}

TEST(YamlReaderTest, ManyProblemsAreCapped) {
  std::string yaml;
  for (int i = 0; i < 25; ++i) absl::StrAppend(&yaml, "unknown", i, ": 1\n");
  const std::string message = Message(Read(yaml, [](MapReader) {}));
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 20);
  EXPECT_THAT(message, HasSubstr("\n... and 5 more problems"));
}

TEST(YamlReaderTest, FinishReportsUnknownKeysOnce) {
  absl::StatusOr<YamlDocument> doc =
      YamlDocument::Parse("x: 1\n", "t.yaml", "");
  ASSERT_TRUE(doc.ok());
  doc->root();
  const absl::Status first = doc->Finish();
  const absl::Status second = doc->Finish();
  EXPECT_EQ(Message(first), "t.yaml:1:1: x: unknown key; known keys: (none)");
  EXPECT_EQ(first, second);
}

TEST(YamlReaderTest, FailPointsAtTheValueIfWrittenElseNamesOnlyTheFile) {
  uint32_t n = 0;
  EXPECT_EQ(Message(Read("c:\n  min: 5\n",
                         [&](MapReader m) {
                           MapReader c = m.Child("c");
                           c.Optional("min", &n);
                           c.Optional("max", &n);
                           c.Fail("min", "too big");
                           c.Fail("max", "too small");
                         })),
            "t.yaml:2:8: c.min: too big\nt.yaml: c.max: too small");
}

TEST(YamlReaderTest, SyntaxErrorsCarryYamlCppPosition) {
  EXPECT_EQ(
      Message(Read("cohort:\n  min: 2\n fraction: 0.5\n", [](MapReader) {})),
      "t.yaml:3:2: YAML syntax error: end of map not found");
  EXPECT_EQ(Message(Read("a: [1, 2\n", [](MapReader) {})),
            "t.yaml:2:1: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(Message(Read("a: *nowhere\n", [](MapReader) {})),
            "t.yaml:1:4: YAML syntax error: the referenced anchor is not "
            "defined");
}

TEST(YamlReaderTest, EmptyFileIsAnError) {
  const std::string expected =
      "t.yaml: the config is empty (expected a mapping of keys to values, "
      "such as 'rounds: 5')";
  EXPECT_EQ(Message(Read("", [](MapReader) {})), expected);
  EXPECT_EQ(Message(Read("# just a comment\n", [](MapReader) {})), expected);
  EXPECT_EQ(Message(Read("~\n", [](MapReader) {})), expected);
}

TEST(YamlReaderTest, TopLevelMustBeAMapping) {
  EXPECT_EQ(Message(Read("- rounds: 5\n", [](MapReader) {})),
            "t.yaml:1:1: expected a mapping of keys to values at the top "
            "level, got a sequence");
  EXPECT_EQ(Message(Read("rounds\n", [](MapReader) {})),
            "t.yaml:1:1: expected a mapping of keys to values at the top "
            "level, got 'rounds'");
}

TEST(YamlReaderTest, OnlyOneDocumentPerFile) {
  uint32_t n = 0;
  auto schema = [&](MapReader m) { m.Optional("a", &n); };
  EXPECT_EQ(Message(Read("a: 1\n---\nb: 2\n", schema)),
            "t.yaml:3:1: a second YAML document (after '---'); a config file "
            "holds one");
  EXPECT_TRUE(Read("---\na: 1\n---\n", schema).ok());
}

TEST(YamlReaderTest, PathsResolveAgainstTheBaseDirectory) {
  std::string relative, absolute, empty, defaulted = "runs/server";
  std::string untouched = "state";
  const absl::Status status =
      Read("relative: certs/ca.crt\nabsolute: /etc/ca.crt\nempty: \"\"\n",
           [&](MapReader m) {
             m.RequiredPath("relative", &relative);
             m.OptionalPath("absolute", &absolute);
             m.OptionalPath("empty", &empty);
             m.OptionalPath("defaulted", &defaulted);
           });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(relative, "/base/certs/ca.crt");
  EXPECT_EQ(absolute, "/etc/ca.crt");
  EXPECT_EQ(empty, "");
  EXPECT_EQ(defaulted, "/base/runs/server");

  ASSERT_TRUE(Read(
                  "p: certs/ca.crt\n",
                  [&](MapReader m) {
                    m.OptionalPath("p", &relative);
                    m.OptionalPath("q", &untouched);
                  },
                  /*base_dir=*/"")
                  .ok());
  EXPECT_EQ(relative, "certs/ca.crt");
  EXPECT_EQ(untouched, "state");
}

TEST(YamlReaderTest, RequiredPathMustNotBeEmpty) {
  std::string path;
  EXPECT_EQ(Message(Read("ca: \"\"\n",
                         [&](MapReader m) { m.RequiredPath("ca", &path); })),
            "t.yaml:1:5: ca: must not be empty (expected a file path)");
}

TEST(YamlReaderTest, ConfigBaseDirIsTheDirectoryPart) {
  EXPECT_EQ(ConfigBaseDir("server.yaml"), "");
  EXPECT_EQ(ConfigBaseDir("configs/server/server.yaml"), "configs/server");
  EXPECT_EQ(ConfigBaseDir("/server.yaml"), "/");
  EXPECT_EQ(ResolvePath("/", "a"), "/a");
  EXPECT_EQ(ResolvePath("configs", "../pki/ca.crt"), "configs/../pki/ca.crt");
}

TEST(YamlReaderTest, UnreadableFileIsNotFoundAndNamed) {
  const std::string path = ::testing::TempDir() + "/no-such-config.yaml";
  absl::StatusOr<std::string> text = ReadConfigFile(path);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(text.status().message(), HasSubstr(path));
}

}  // namespace
// yaml-cpp 0.7's LoadAll loops forever, allocating, on these (found by
// fuzz/client_config_fuzzer); Parse must answer at once.
TEST(YamlDocumentTest, InputThatHangsYamlCppLoadAllIsRefusedAtOnce) {
  for (const char* text : {",\n", ",", "- ,\n", "a: 1\n,\n"}) {
    absl::StatusOr<YamlDocument> doc = YamlDocument::Parse(text, "x.yaml", "/");
    EXPECT_FALSE(doc.ok()) << text;
    EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace fedge::config
