#include "common/net/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::net {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// --- A tiny blocking client -------------------------------------------------

// Connects to the loopback address of `family` at `port`; -1 on failure
// (errno set). Reads and writes time out after 10 s so a broken server fails
// the test instead of hanging it.
int ConnectTo(int port, int family = AF_INET) {
  const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_storage storage{};
  socklen_t length;
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof(*in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    in6->sin6_addr = in6addr_loopback;
    length = sizeof(*in6);
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    const int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n =
        send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << "send failed: " << std::strerror(errno);
    sent += static_cast<size_t>(n);
  }
}

// Reads until end of stream (or an error / the 10 s timeout).
std::string ReadAll(int fd) {
  std::string out;
  char chunk[4096];
  while (true) {
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    out.append(chunk, static_cast<size_t>(n));
  }
  return out;
}

// Reads exactly `n` bytes (fewer on end of stream or error).
std::string ReadExactly(int fd, size_t n) {
  std::string out;
  char chunk[4096];
  while (out.size() < n) {
    const ssize_t got =
        recv(fd, chunk, std::min(sizeof(chunk), n - out.size()), 0);
    if (got <= 0) break;
    out.append(chunk, static_cast<size_t>(got));
  }
  return out;
}

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

Response ParseResponse(const std::string& raw) {
  Response response;
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return response;
  const std::vector<std::string> lines =
      absl::StrSplit(raw.substr(0, head_end), "\r\n");
  const std::vector<std::string> status_line =
      absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || status_line[0] != "HTTP/1.1" ||
      !absl::SimpleAtoi(status_line[1], &response.status)) {
    return response;
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    response.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  response.body = raw.substr(head_end + 4);
  return response;
}

// Sends `request` on a new connection and returns the parsed reply.
Response Exchange(int port, const std::string& request, int family = AF_INET) {
  const int fd = ConnectTo(port, family);
  EXPECT_GE(fd, 0) << "connect failed: " << std::strerror(errno);
  if (fd < 0) return {};
  SendAll(fd, request);
  const std::string raw = ReadAll(fd);
  close(fd);
  return ParseResponse(raw);
}

// --- The server under test --------------------------------------------------

std::unique_ptr<HttpServer> StartServer(
    HttpServerOptions options = {},
    const std::string& address = "127.0.0.1:0") {
  auto server = HttpServer::Start(address, options);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  HttpServer& s = **server;
  s.Handle("GET", "/hello", [](const HttpRequest&) {
    HttpResponse response;
    response.body = "hello world\n";
    return response;
  });
  s.Handle("POST", "/echo", [](const HttpRequest& request) {
    HttpResponse response;
    response.status = 201;
    response.content_type = "application/octet-stream";
    response.body = request.body;
    return response;
  });
  s.Handle("GET", "/inspect", [](const HttpRequest& request) {
    HttpResponse response;
    response.body =
        absl::StrCat("method=", request.method, "\npath=", request.path,
                     "\nquery=", request.query);
    for (const auto& [name, value] : request.headers) {
      absl::StrAppend(&response.body, "\n", name, "=", value);
    }
    return response;
  });
  s.Handle("GET", "/throw", [](const HttpRequest&) -> HttpResponse {
    throw std::runtime_error("boom");
  });
  s.Handle("DELETE", "/no-content", [](const HttpRequest&) {
    HttpResponse response;
    response.status = 204;
    return response;
  });
  return std::move(server).value();
}

TEST(HttpServerTest, GetReturnsHandlerBodyWithLengthAndType) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  const Response r =
      Exchange(server->port(), "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello world\n");
  EXPECT_EQ(r.headers.at("content-length"), "12");
  EXPECT_EQ(r.headers.at("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.headers.at("connection"), "close");
  EXPECT_THAT(r.headers.at("date"), HasSubstr(" GMT"));
}

TEST(HttpServerTest, PostEchoesBodyWithHandlerStatusAndType) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const std::string body("line1\r\n\r\nline2\0binary", 20);
  const Response r = Exchange(
      server->port(), absl::StrCat("POST /echo HTTP/1.1\r\nContent-Length: ",
                                   body.size(), "\r\n\r\n", body));
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, body);
  EXPECT_EQ(r.headers.at("content-type"), "application/octet-stream");
  EXPECT_EQ(r.headers.at("content-length"), "20");
}

TEST(HttpServerTest, PostBodyArrivingInPiecesIsReadCompletely) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const int fd = ConnectTo(server->port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "POST /echo HTTP/1.1\r\nContent-");
  SendAll(fd, "Length: 6\r\n\r\nab");
  SendAll(fd, "cdef");
  const Response r = ParseResponse(ReadAll(fd));
  close(fd);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "abcdef");
}

TEST(HttpServerTest, Expect100ContinueGetsInterimResponseBeforeBody) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const int fd = ConnectTo(server->port());
  ASSERT_GE(fd, 0);
  SendAll(fd,
          "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\n"
          "Content-Length: 5\r\n\r\n");
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  EXPECT_EQ(ReadExactly(fd, interim.size()), interim);
  SendAll(fd, "hello");
  const Response r = ParseResponse(ReadAll(fd));
  close(fd);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "hello");
}

TEST(HttpServerTest, UnknownPathIs404) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const Response r = Exchange(server->port(), "GET /nope HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 Not Found: no handler for /nope\n");
}

TEST(HttpServerTest, WrongMethodIs405WithAllowHeader) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Response r = Exchange(server->port(), "POST /hello HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.at("allow"), "GET, HEAD");
  EXPECT_THAT(r.body, HasSubstr("POST is not allowed for /hello"));
  r = Exchange(server->port(), "GET /echo HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.at("allow"), "POST");
}

TEST(HttpServerTest, HeadUsesGetHandlerWithoutBody) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const Response r = Exchange(server->port(), "HEAD /hello HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.at("content-length"), "12");
  EXPECT_EQ(r.body, "");
}

TEST(HttpServerTest, NoContentResponseHasNoBodyOrLength) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const Response r =
      Exchange(server->port(), "DELETE /no-content HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers.count("content-length"), 0u);
  EXPECT_EQ(r.body, "");
}

TEST(HttpServerTest, RequestPartsAreParsedAndHeaderNamesLowerCased) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const Response r = Exchange(server->port(),
                              "GET /inspect?a=1&b=%20 HTTP/1.1\r\n"
                              "Host: example\r\n"
                              "X-Custom-Header:   spaced value \t\r\n"
                              "X-Dup: 1\r\n"
                              "x-dup: 2\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "method=GET\npath=/inspect\nquery=a=1&b=%20\nhost=example\n"
            "x-custom-header=spaced value\nx-dup=1, 2");
}

TEST(HttpServerTest, AcceptsHttp10AbsoluteFormBareLfAndLeadingBlankLine) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  for (const char* request :
       {"GET /hello HTTP/1.0\r\n\r\n",
        "GET http://example.com/hello?x=1 HTTP/1.1\r\n\r\n",
        "GET /hello HTTP/1.1\nHost: x\n\n",
        "\r\nGET /hello HTTP/1.1\r\n\r\n"}) {
    const Response r = Exchange(server->port(), request);
    EXPECT_EQ(r.status, 200) << request;
    EXPECT_EQ(r.body, "hello world\n") << request;
  }
}

TEST(HttpServerTest, MalformedRequestsAre400) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  for (const char* request : {
           "GARBAGE\r\n\r\n",
           "GET /hello\r\n\r\n",
           "GET /hello HTTP/1.1 extra\r\n\r\n",
           "GET  /hello HTTP/1.1\r\n\r\n",
           "GET hello HTTP/1.1\r\n\r\n",
           "G(T /hello HTTP/1.1\r\n\r\n",
           "GET /hello HTTX/1.1\r\n\r\n",
           "GET /hello HTTP/1.1\r\nNo colon here\r\n\r\n",
           "GET /hello HTTP/1.1\r\nBad Name: v\r\n\r\n",
           "GET /hello HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
           "POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
           "POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
           "POST /echo HTTP/1.1\r\nContent-Length: 1\r\n"
           "Content-Length: 2\r\n\r\nab",
       }) {
    const Response r = Exchange(server->port(), request);
    EXPECT_EQ(r.status, 400) << request;
    EXPECT_THAT(r.body, StartsWith("400 Bad Request: ")) << request;
  }
  const Response line = Exchange(server->port(), "GARBAGE\r\n\r\n");
  EXPECT_THAT(line.body, HasSubstr("malformed request line"));
}

TEST(HttpServerTest, OtherHttpMajorVersionIs505) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const Response r = Exchange(server->port(), "GET /hello HTTP/2.0\r\n\r\n");
  EXPECT_EQ(r.status, 505);
}

TEST(HttpServerTest, ChunkedBodyIsRejectedWith411) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const Response r = Exchange(server->port(),
                              "POST /echo HTTP/1.1\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"
                              "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 411);
  EXPECT_THAT(r.body, HasSubstr("Content-Length"));
}

TEST(HttpServerTest, UnknownExpectationIs417) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const Response r =
      Exchange(server->port(), "GET /hello HTTP/1.1\r\nExpect: magic\r\n\r\n");
  EXPECT_EQ(r.status, 417);
}

HttpServerOptions SmallLimit() {
  HttpServerOptions options;
  options.max_request_bytes = 1024;
  return options;
}

TEST(HttpServerTest, OversizedBodyIs413) {
  auto server = StartServer(SmallLimit());
  ASSERT_NE(server, nullptr);
  const std::string body(2000, 'x');
  const Response r = Exchange(
      server->port(), absl::StrCat("POST /echo HTTP/1.1\r\nContent-Length: ",
                                   body.size(), "\r\n\r\n", body));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("exceeds the limit of 1024 bytes"));
}

TEST(HttpServerTest, HugeContentLengthIs413WithoutReadingBody) {
  auto server = StartServer(SmallLimit());
  ASSERT_NE(server, nullptr);
  const Response r = Exchange(
      server->port(),
      "POST /echo HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n");
  EXPECT_EQ(r.status, 413);
}

TEST(HttpServerTest, OversizedHeadersAre413) {
  auto server = StartServer(SmallLimit());
  ASSERT_NE(server, nullptr);
  const Response r = Exchange(server->port(),
                              absl::StrCat("GET /hello HTTP/1.1\r\nX-Big: ",
                                           std::string(2000, 'a'), "\r\n\r\n"));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("headers exceed the limit of 1024 bytes"));
}

TEST(HttpServerTest, RequestOfExactlyTheLimitIsAcceptedAndOneMoreIsNot) {
  auto server = StartServer(SmallLimit());
  ASSERT_NE(server, nullptr);
  const std::string head =
      "POST /echo HTTP/1.1\r\nContent-Length: 0000\r\n\r\n";
  const size_t body_size = 1024 - head.size();
  const auto request = [&](size_t n) {
    return absl::StrCat("POST /echo HTTP/1.1\r\nContent-Length: ",
                        absl::Dec(n, absl::kZeroPad4), "\r\n\r\n",
                        std::string(n, 'b'));
  };
  ASSERT_EQ(request(body_size).size(), 1024u);
  Response r = Exchange(server->port(), request(body_size));
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body.size(), body_size);
  r = Exchange(server->port(), request(body_size + 1));
  EXPECT_EQ(r.status, 413);
}

TEST(HttpServerTest, IncompleteRequestTimesOutWith408) {
  HttpServerOptions options;
  options.read_timeout_ms = 200;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  // Headers never finished.
  Response r = Exchange(server->port(), "GET /hello HTTP/1.1\r\nHost: x\r\n");
  EXPECT_EQ(r.status, 408);
  EXPECT_THAT(r.body, HasSubstr("within 200 ms"));
  // Body shorter than its Content-Length.
  r = Exchange(server->port(),
               "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(r.status, 408);
}

TEST(HttpServerTest, HandlerExceptionIs500) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const Response r = Exchange(server->port(), "GET /throw HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("handler failed"));
}

TEST(HttpServerTest, ConcurrentClientsAreAllServed) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  constexpr int kClients = 8;
  constexpr int kRequestsEach = 10;
  std::vector<int> ok(kClients, 0);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kRequestsEach; ++i) {
        const std::string body = absl::StrCat("client ", c, " request ", i);
        const Response r = Exchange(
            server->port(),
            absl::StrCat("POST /echo HTTP/1.1\r\nContent-Length: ", body.size(),
                         "\r\n\r\n", body));
        if (r.status == 201 && r.body == body) ++ok[c];
      }
    });
  }
  for (auto& client : clients) client.join();
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(ok[c], kRequestsEach);
}

TEST(HttpServerTest, IdleClientDoesNotDelayShutdown) {
  HttpServerOptions options;
  options.worker_threads = 2;
  options.read_timeout_ms = 60000;  // far beyond the bound asserted below
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  const int idle = ConnectTo(server->port());
  ASSERT_GE(idle, 0);
  // Connections are accepted and handed to workers in arrival order, so once
  // this later request is answered a worker is blocked reading `idle`.
  const Response r = Exchange(server->port(), "GET /hello HTTP/1.1\r\n\r\n");
  ASSERT_EQ(r.status, 200);

  const auto start = std::chrono::steady_clock::now();
  server->Shutdown();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  // The idle connection was closed by the server, without a reply.
  char byte;
  EXPECT_EQ(recv(idle, &byte, 1, 0), 0);
  close(idle);
}

TEST(HttpServerTest, ShutdownIsIdempotentAndStopsListening) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  server->Shutdown();
  server->Shutdown();
  EXPECT_EQ(ConnectTo(port), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
}

TEST(HttpServerTest, ServesOnIpv6Loopback) {
  auto started = HttpServer::Start("[::1]:0");
  if (!started.ok() && absl::IsUnavailable(started.status())) {
    GTEST_SKIP() << "no IPv6 loopback here: " << started.status();
  }
  auto server = StartServer({}, "[::1]:0");
  ASSERT_NE(server, nullptr);
  const Response r =
      Exchange(server->port(), "GET /hello HTTP/1.1\r\n\r\n", AF_INET6);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello world\n");
}

TEST(HttpServerTest, ServesOnLocalhost) {
  auto server = StartServer({}, "localhost:0");
  ASSERT_NE(server, nullptr);
  // localhost resolves to 127.0.0.1 at least (and maybe ::1 too).
  const Response r = Exchange(server->port(), "GET /hello HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 200);
}

TEST(HttpServerTest, MalformedAddressesAreInvalidArgument) {
  for (const char* address : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:abc",
                              "127.0.0.1:65536", "127.0.0.1:-1", "::1:80",
                              "[::1:80", "[::1]80", ":8080", "[127.0.0.1]:0"}) {
    const auto server = HttpServer::Start(address);
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument)
        << address << ": " << server.status();
    EXPECT_THAT(std::string(server.status().message()),
                HasSubstr(absl::StrCat("'", address, "'")));
  }
}

TEST(HttpServerTest, InvalidOptionsAreInvalidArgument) {
  HttpServerOptions options;
  options.worker_threads = 0;
  const auto server = HttpServer::Start("127.0.0.1:0", options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()),
              HasSubstr("worker_threads (0)"));
}

TEST(HttpServerTest, PortInUseIsUnavailableAndNamesTheAddress) {
  auto first = StartServer();
  ASSERT_NE(first, nullptr);
  const std::string address = absl::StrCat("127.0.0.1:", first->port());
  const auto second = HttpServer::Start(address);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()),
              StartsWith(absl::StrCat("cannot listen on ", address,
                                      ": Address already in use")));
}

}  // namespace
}  // namespace fedge::net
