#ifndef FEDGE_COMMON_TESTING_HTTP_CLIENT_H_
#define FEDGE_COMMON_TESTING_HTTP_CLIENT_H_

// A minimal HTTP/1.1 client for tests of fedge's HTTP endpoints: one
// request per connection to 127.0.0.1, the whole raw response back.

#include <string>

namespace fedge::testing {

// Sends `method path` with `body` (and its Content-Length) to 127.0.0.1:port
// and returns the raw response (status line, headers, body), or "" if the
// connection failed. Times out after 10 s.
std::string HttpRequest(int port, const std::string& method,
                        const std::string& path, const std::string& body = "");

inline std::string HttpGet(int port, const std::string& path) {
  return HttpRequest(port, "GET", path);
}

// The body of a raw response (after the blank line).
std::string HttpBody(const std::string& response);

}  // namespace fedge::testing

#endif  // FEDGE_COMMON_TESTING_HTTP_CLIENT_H_
