#include "common/net/http_parsing.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::net {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(ParseListenAddressTest, SplitsHostAndPort) {
  absl::StatusOr<ListenAddress> a = ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_FALSE(a->bracketed);
  EXPECT_EQ(a->port, 8080);

  absl::StatusOr<ListenAddress> b = ParseListenAddress("localhost:0");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->host, "localhost");
  EXPECT_EQ(b->port, 0);
}

TEST(ParseListenAddressTest, BracketedIpv6HostLosesItsBrackets) {
  absl::StatusOr<ListenAddress> a = ParseListenAddress("[::1]:65535");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "::1");
  EXPECT_TRUE(a->bracketed);
  EXPECT_EQ(a->port, 65535);
}

TEST(ParseListenAddressTest, MalformedAddressesSayWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"127.0.0.1", "missing ':port'"},
      {"::1:80", "an IPv6 address needs brackets"},
      {"[::1:80", "missing ']'"},
      {"[::1]80", "missing ':port' after ']'"},
      {":80", "missing host"},
      {"host:", "port '' is not a number"},
      {"host:65536", "port '65536' is not a number from 0 to 65535"},
      {"host:+80", "port '+80'"},
      {"host:123456", "port '123456'"},
  };
  for (const auto& [address, why] : cases) {
    absl::StatusOr<ListenAddress> parsed = ParseListenAddress(address);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << address;
    EXPECT_THAT(parsed.status().message(),
                HasSubstr(std::string("invalid listen address '") + address +
                          "': " + why))
        << address;
  }
}

TEST(FindRequestHeadEndTest, FindsCrLfAndBareLfBlankLines) {
  size_t scan = 0;
  EXPECT_EQ(FindRequestHeadEnd("GET / HTTP/1.1\r\nA: b\r\n\r\nbody", &scan),
            24u);
  scan = 0;
  EXPECT_EQ(FindRequestHeadEnd("GET / HTTP/1.1\nA: b\n\nbody", &scan), 21u);
}

TEST(FindRequestHeadEndTest, ResumesWhereItStoppedOnAGrowingBuffer) {
  std::string buffer = "GET / HTTP/1.1\r\nHost: x\r\n";
  size_t scan = 0;
  EXPECT_EQ(FindRequestHeadEnd(buffer, &scan), 0u);
  EXPECT_GT(scan, 0u);
  EXPECT_LE(scan, buffer.size());
  buffer += "\r";
  EXPECT_EQ(FindRequestHeadEnd(buffer, &scan), 0u);
  buffer += "\nrest";
  EXPECT_EQ(FindRequestHeadEnd(buffer, &scan), buffer.size() - 4);
}

HttpRequestHead MustParse(absl::string_view head, size_t limit = 1000) {
  HttpRequestHead parsed;
  const HttpError error = ParseRequestHead(head, limit, &parsed);
  EXPECT_EQ(error.status, 0) << error.message;
  return parsed;
}

HttpError ParseError(absl::string_view head, size_t limit = 1000) {
  HttpRequestHead parsed;
  return ParseRequestHead(head, limit, &parsed);
}

TEST(ParseRequestHeadTest, SplitsTargetAndLowerCasesHeaderNames) {
  const HttpRequestHead parsed = MustParse(
      "POST /v1/predict?x=1&y=%20 HTTP/1.1\r\n"
      "Content-Type:  application/json \r\n"
      "X-Multi: a\r\n"
      "x-multi: b\r\n"
      "Content-Length: 12");
  EXPECT_EQ(parsed.request.method, "POST");
  EXPECT_EQ(parsed.request.path, "/v1/predict");
  EXPECT_EQ(parsed.request.query, "x=1&y=%20");
  EXPECT_EQ(parsed.request.headers.at("content-type"), "application/json");
  EXPECT_EQ(parsed.request.headers.at("x-multi"), "a, b");
  EXPECT_EQ(parsed.content_length, 12u);
  EXPECT_FALSE(parsed.expect_continue);
  EXPECT_EQ(parsed.request.body, "");
}

TEST(ParseRequestHeadTest, AbsoluteFormKeepsPathAndQueryAndHttp10IsAccepted) {
  const HttpRequestHead a =
      MustParse("GET http://example.org/metrics HTTP/1.0");
  EXPECT_EQ(a.request.path, "/metrics");
  EXPECT_EQ(a.request.query, "");
  const HttpRequestHead b = MustParse("GET HTTPS://example.org HTTP/1.1\n");
  EXPECT_EQ(b.request.path, "/");
}

TEST(ParseRequestHeadTest, ExpectContinueIsRecognised) {
  EXPECT_TRUE(
      MustParse("PUT /x HTTP/1.1\r\nExpect: 100-Continue").expect_continue);
}

TEST(ParseRequestHeadTest, ErrorsCarryTheStatusToAnswer) {
  const std::pair<const char*, int> cases[] = {
      {"GET /\r\n", 400},                   // two parts
      {"GET  / HTTP/1.1", 400},             // empty part
      {"G(T / HTTP/1.1", 400},              // not a token
      {"GET / HTTP/1", 400},                // bad version
      {"GET x HTTP/1.1", 400},              // not a path
      {"GET /a\x01 HTTP/1.1", 400},         // control char
      {"GET / HTTP/1.1\r\n folded", 400},   // folded
      {"GET / HTTP/1.1\r\nNo-Colon", 400},  // no colon
      {"GET / HTTP/1.1\r\nA: b\x7f", 400},  // control char
      {"GET / HTTP/1.1\r\nContent-Length: 1\r\n"
       "Content-Length: 2",
       400},                                          // conflict
      {"GET / HTTP/1.1\r\nContent-Length: -1", 400},  // not digits
      {"GET / HTTP/2.0", 505},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked", 411},
      {"POST / HTTP/1.1\r\nContent-Length: 1001", 413},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999", 413},
      {"POST / HTTP/1.1\r\nExpect: something", 417},
  };
  for (const auto& [head, status] : cases) {
    const HttpError error = ParseError(head);
    EXPECT_EQ(error.status, status) << head;
    EXPECT_FALSE(error.message.empty()) << head;
  }
}

TEST(ParseRequestHeadTest, ErrorMessagesNameTheProblem) {
  EXPECT_EQ(ParseError("GET / HTTP/2.0").message,
            "HTTP/2.0 is not supported; use HTTP/1.1");
  EXPECT_EQ(ParseError("POST / HTTP/1.1\r\nContent-Length: 1001").message,
            "request body of 1001 bytes exceeds the limit of 1000 bytes");
  EXPECT_EQ(ParseError("GET / HTTP/1.1\r\nContent-Length: 1\r\n"
                       "Content-Length: 2")
                .message,
            "conflicting Content-Length headers");
}

TEST(ParseRequestHeadTest, RepeatedEqualContentLengthIsAccepted) {
  EXPECT_EQ(MustParse("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
                      "content-length: 5")
                .content_length,
            5u);
}

TEST(HttpReasonPhraseTest, KnownAndUnknownCodes) {
  EXPECT_STREQ(HttpReasonPhrase(200), "OK");
  EXPECT_STREQ(HttpReasonPhrase(404), "Not Found");
  EXPECT_STREQ(HttpReasonPhrase(413), "Content Too Large");
  EXPECT_STREQ(HttpReasonPhrase(505), "HTTP Version Not Supported");
  EXPECT_STREQ(HttpReasonPhrase(299), "Status");
}

TEST(HttpErrorResponseTest, BodyNamesStatusReasonAndMessage) {
  const HttpResponse r = HttpErrorResponse(404, "no handler for /x");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, "404 Not Found: no handler for /x\n");
}

TEST(SerializeHttpResponseTest, HeadersThenBody) {
  HttpResponse r;
  r.status = 201;
  r.content_type = "application/json";
  r.body = "{}";
  const std::string out = SerializeHttpResponse(r, false, "");
  EXPECT_THAT(out, StartsWith("HTTP/1.1 201 Created\r\nDate: "));
  EXPECT_THAT(out, HasSubstr(" GMT\r\nConnection: close\r\n"
                             "Content-Type: application/json\r\n"
                             "Content-Length: 2\r\n\r\n{}"));
  EXPECT_THAT(out, EndsWith("\r\n\r\n{}"));
  EXPECT_THAT(out, Not(HasSubstr("Allow:")));
}

TEST(SerializeHttpResponseTest, HeadOnlyKeepsLengthButDropsBody) {
  HttpResponse r;
  r.body = "hello";
  const std::string out = SerializeHttpResponse(r, true, "GET, HEAD");
  EXPECT_THAT(out, HasSubstr("Content-Length: 5\r\nAllow: GET, HEAD\r\n\r\n"));
  EXPECT_THAT(out, EndsWith("\r\n\r\n"));
}

TEST(SerializeHttpResponseTest, NoContentHasNoTypeLengthOrBody) {
  HttpResponse r;
  r.status = 204;
  r.body = "ignored";
  const std::string out = SerializeHttpResponse(r, false, "");
  EXPECT_THAT(out, StartsWith("HTTP/1.1 204 No Content\r\n"));
  EXPECT_THAT(out, Not(HasSubstr("Content-")));
  EXPECT_THAT(out, EndsWith("\r\nConnection: close\r\n\r\n"));
}

}  // namespace
}  // namespace fedge::net
