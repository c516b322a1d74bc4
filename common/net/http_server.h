#ifndef FEDGE_COMMON_NET_HTTP_SERVER_H_
#define FEDGE_COMMON_NET_HTTP_SERVER_H_

// A small HTTP/1.1 server for operational endpoints (/metrics, /healthz) and
// local inference. Handlers run on a small pool of worker threads; requests
// are bounded in size and time so a slow or hostile client cannot tie it up.
//
// One request per connection: every response carries `Connection: close`,
// `Content-Type` and `Content-Length` (none for 204). Bodies must come with
// Content-Length; `Transfer-Encoding` (chunked) gets 411 Length Required.
// `Expect: 100-continue` is honoured. Malformed requests get 400, an HTTP
// major version other than 1 gets 505, and a handler that throws gets 500.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace fedge::net {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // without the query string
  std::string query;                           // after '?', undecoded
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  size_t max_request_bytes = 4 << 20;  // headers + body; larger: 413
  int worker_threads = 2;
  // The whole request must arrive within this, counted from when a worker
  // takes the connection; otherwise 408. Also bounds writing the response.
  int read_timeout_ms = 10000;
};

class HttpServer {
 public:
  // Binds `address` ("host:port"; port 0 picks a free port) and starts
  // serving. InvalidArgument for a malformed address, Unavailable if the
  // port cannot be bound (the message names the address).
  // Hosts: IPv4 literals, bracketed IPv6 literals ("[::1]:0") or names; a
  // name is bound on each address it resolves to, all on the same port.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& address, HttpServerOptions options = {});
  virtual ~HttpServer() = default;

  // Routes `method` + exact `path` to `handler`. Unknown paths get 404,
  // known paths with another method 405 (with an Allow header). HEAD is
  // served by the GET handler, without the body, unless HEAD has its own.
  // The path is matched as sent (not percent-decoded). Register before
  // traffic arrives.
  virtual void Handle(const std::string& method, const std::string& path,
                      HttpHandler handler) = 0;

  // The bound port (useful with port 0).
  virtual int port() const = 0;

  // Stops accepting, finishes in-flight requests and joins the threads.
  // Idempotent; also done by the destructor. Connections still sending their
  // request, or waiting for a worker, are closed without a reply, so idle
  // clients do not delay it. Must not be called from a handler.
  virtual void Shutdown() = 0;
};

}  // namespace fedge::net

#endif  // FEDGE_COMMON_NET_HTTP_SERVER_H_
