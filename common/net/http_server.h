#ifndef FEDGE_COMMON_NET_HTTP_SERVER_H_
#define FEDGE_COMMON_NET_HTTP_SERVER_H_

// A small HTTP/1.1 server for operational endpoints (/metrics, /healthz) and
// local inference. Handlers run on a small pool of worker threads; requests
// are bounded in size and time so a slow or hostile client cannot tie it up.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace fedge::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string query;   // after '?', undecoded
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
  int read_timeout_ms = 10000;
};

class HttpServer {
 public:
  // Binds `address` ("host:port"; port 0 picks a free port) and starts
  // serving. InvalidArgument for a malformed address, Unavailable if the
  // port cannot be bound (the message names the address).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& address, HttpServerOptions options = {});
  virtual ~HttpServer() = default;

  // Routes `method` + exact `path` to `handler`. Unknown paths get 404,
  // known paths with another method 405. Register before traffic arrives.
  virtual void Handle(const std::string& method, const std::string& path,
                      HttpHandler handler) = 0;

  // The bound port (useful with port 0).
  virtual int port() const = 0;

  // Stops accepting, finishes in-flight requests and joins the threads.
  // Idempotent; also done by the destructor.
  virtual void Shutdown() = 0;
};

}  // namespace fedge::net

#endif  // FEDGE_COMMON_NET_HTTP_SERVER_H_
