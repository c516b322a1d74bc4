#ifndef FEDGE_COMMON_NET_HTTP_PARSING_H_
#define FEDGE_COMMON_NET_HTTP_PARSING_H_

// The pure text side of HttpServer (common/net/http_server.h): its listen
// address, the request line and headers, and the bytes of a response. No
// sockets, no threads.

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/net/http_server.h"

namespace fedge::net {

// A listen address split into host and port.
struct ListenAddress {
  std::string host;        // without brackets
  bool bracketed = false;  // "[::1]:80": must be an IPv6 literal
  int port = 0;
};

// Parses "host:port" or "[ipv6]:port" (port 0 to 65535, digits only).
// InvalidArgument naming `address`, what is wrong and the expected form for
// anything else, including an unbracketed IPv6 address or an empty host.
absl::StatusOr<ListenAddress> ParseListenAddress(const std::string& address);

// The offset just past the blank line ending the request head ("\r\n\r\n",
// or bare "\n\n" from lenient clients), or 0 if it has not arrived yet.
// `*scan_from` (0 on the first call) remembers progress between calls on a
// growing buffer, so each byte is scanned about once.
size_t FindRequestHeadEnd(const std::string& buffer, size_t* scan_from);

// A parsed request line and headers.
struct HttpRequestHead {
  HttpRequest request;  // all but the body
  size_t content_length = 0;
  bool expect_continue = false;  // "Expect: 100-continue"
};

// Why a request is refused: the status to answer and a message for the body.
struct HttpError {
  int status = 0;  // 0: no error
  std::string message;
};

// Parses `head` (request line and headers, without the blank line; lines end
// in "\n" or "\r\n") into `*parsed`. Errors: 400 for a malformed request line,
// target, header or Content-Length (and for folded or control characters),
// 505 for an HTTP major version other than 1, 411 for Transfer-Encoding, 413
// for a Content-Length above `max_request_bytes`, 417 for an Expect other
// than 100-continue. Repeated headers are joined with ", " except
// Content-Length, which must then agree. An absolute-form target keeps only
// its path and query.
HttpError ParseRequestHead(absl::string_view head, size_t max_request_bytes,
                           HttpRequestHead* parsed);

// The reason phrase of `status` ("Not Found"), or "Status" for a code
// without one here.
const char* HttpReasonPhrase(int status);

// A text/plain response "<status> <reason>: <message>\n".
HttpResponse HttpErrorResponse(int status, absl::string_view message);

// The whole response as sent: status line, Date, Connection: close,
// Content-Type and Content-Length (neither for 204 or 304), Allow if `allow`
// is not empty, a blank line, then the body unless `head_only` or the status
// carries none.
std::string SerializeHttpResponse(const HttpResponse& response, bool head_only,
                                  const std::string& allow);

}  // namespace fedge::net

#endif  // FEDGE_COMMON_NET_HTTP_PARSING_H_
