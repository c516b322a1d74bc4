#include "common/util/json_writer.h"

#include <cstdlib>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace fedge::util {
namespace {

TEST(JsonWriterTest, NestedObjectsAndArraysAreCompactAndKeepKeyOrder) {
  JsonWriter w;
  w.BeginObject()
      .Key("round")
      .Int(3)
      .Key("clients")
      .BeginArray()
      .BeginObject()
      .Key("id")
      .String("a")
      .Key("ok")
      .Bool(true)
      .EndObject()
      .BeginObject()
      .Key("id")
      .String("b")
      .Key("ok")
      .Bool(false)
      .EndObject()
      .EndArray()
      .Key("empty_object")
      .BeginObject()
      .EndObject()
      .Key("empty_array")
      .BeginArray()
      .EndArray()
      .Key("nested")
      .BeginArray()
      .BeginArray()
      .Int(1)
      .Int(2)
      .EndArray()
      .BeginArray()
      .EndArray()
      .Null()
      .EndArray()
      .Key("z")
      .Int(-7)
      .Key("a")
      .Double(0.5)
      .EndObject();
  EXPECT_EQ(
      w.str(),
      R"({"round":3,"clients":[{"id":"a","ok":true},{"id":"b","ok":false}],)"
      R"("empty_object":{},"empty_array":[],"nested":[[1,2],[],null],)"
      R"("z":-7,"a":0.5})");
}

TEST(JsonWriterTest, TopLevelArrayOfScalars) {
  JsonWriter w;
  w.BeginArray().String("x").Int(0).Uint(1).Bool(true).Null().EndArray();
  EXPECT_EQ(w.str(), R"(["x",0,1,true,null])");
}

TEST(JsonWriterTest, ObjectKeysAreEscaped) {
  JsonWriter w;
  w.BeginObject().Key("a\"b").Int(1).Key("c\\d").Int(2).EndObject();
  EXPECT_EQ(w.str(), R"({"a\"b":1,"c\\d":2})");
}

TEST(JsonQuoteTest, EscapesQuoteBackslashAndControlCharacters) {
  EXPECT_EQ(JsonQuote("plain"), "\"plain\"");
  EXPECT_EQ(JsonQuote("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(JsonQuote("C:\\dir"), R"("C:\\dir")");
  EXPECT_EQ(JsonQuote("a\nb\tc\rd"), R"("a\u000ab\u0009c\u000dd")");
  EXPECT_EQ(JsonQuote(std::string("\x00\x01\x1f", 3)),
            R"("\u0000\u0001\u001f")");
  EXPECT_EQ(JsonQuote(""), "\"\"");
  // DEL and '/' need no escape in JSON.
  EXPECT_EQ(JsonQuote("a/b\x7f"), "\"a/b\x7f\"");
}

TEST(JsonQuoteTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  // "é", "€", "𝄞" pass through unchanged.
  EXPECT_EQ(JsonQuote("\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E"),
            "\"\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E\"");
  // A lone continuation byte, a truncated sequence, an overlong '/', and a
  // UTF-16 surrogate each become U+FFFD (per byte that cannot start a
  // sequence).
  EXPECT_EQ(JsonQuote("a\x80z"), R"("a\ufffdz")");
  EXPECT_EQ(JsonQuote("a\xE2\x82"), R"("a\ufffd\ufffd")");
  EXPECT_EQ(JsonQuote("\xC0\xAF"), R"("\ufffd\ufffd")");
  EXPECT_EQ(JsonQuote("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");
}

TEST(JsonWriterTest, StringValueIsEscaped) {
  JsonWriter w;
  w.BeginObject().Key("msg").String("line1\nline2 \"q\"").EndObject();
  EXPECT_EQ(w.str(), R"({"msg":"line1\u000aline2 \"q\""})");
}

TEST(JsonWriterTest, NonFiniteDoublesBecomeNull) {
  JsonWriter w;
  w.BeginArray()
      .Double(std::numeric_limits<double>::quiet_NaN())
      .Double(std::numeric_limits<double>::infinity())
      .Double(-std::numeric_limits<double>::infinity())
      .EndArray();
  EXPECT_EQ(w.str(), "[null,null,null]");
}

std::string DoubleText(double value) {
  JsonWriter w;
  w.Double(value);
  return w.str();
}

TEST(JsonWriterTest, DoublesUseShortestRoundTripText) {
  EXPECT_EQ(DoubleText(0.1), "0.1");
  EXPECT_EQ(DoubleText(1e-300), "1e-300");
  EXPECT_EQ(DoubleText(3.0), "3");
  EXPECT_EQ(DoubleText(-2.5), "-2.5");
  EXPECT_EQ(DoubleText(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(DoubleText(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(DoubleText(std::numeric_limits<double>::max()),
            "1.7976931348623157e+308");
  EXPECT_EQ(DoubleText(std::numeric_limits<double>::denorm_min()), "5e-324");
}

TEST(JsonWriterTest, DoublesReadBackExactly) {
  for (double value : {0.1, 1e-300, 2.0 / 3.0, 123456.789e10, -1e22,
                       4.9406564584124654e-324, 6.02214076e23}) {
    const std::string text = DoubleText(value);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), value) << text;
  }
}

TEST(JsonWriterTest, IntegersAreExact) {
  JsonWriter w;
  w.BeginArray()
      .Uint(123456789012345678ULL)
      .Uint(std::numeric_limits<uint64_t>::max())
      .Int(std::numeric_limits<int64_t>::min())
      .Int(std::numeric_limits<int64_t>::max())
      .EndArray();
  EXPECT_EQ(w.str(),
            "[123456789012345678,18446744073709551615,"
            "-9223372036854775808,9223372036854775807]");
}

TEST(JsonWriterTest, StrIsCompleteOnlyAfterLastEnd) {
  JsonWriter w;
  w.BeginObject().Key("k");
  EXPECT_EQ(w.str(), R"({"k":)");
  w.Int(1).EndObject();
  EXPECT_EQ(w.str(), R"({"k":1})");
}

}  // namespace
}  // namespace fedge::util
