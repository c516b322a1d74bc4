#ifndef FEDGE_COMMON_NET_HTTP_LISTEN_H_
#define FEDGE_COMMON_NET_HTTP_LISTEN_H_

// The listening sockets of HttpServer (common/net/http_server.h).

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace fedge::net {

// The message of errno value `error` ("Connection refused").
std::string ErrnoText(int error);

// Parses `address` (ParseListenAddress in common/net/http_parsing.h), then
// binds and listens on every address its host resolves to ("localhost" may
// give both 127.0.0.1 and ::1), non-blocking and close-on-exec. With port 0
// the first socket picks the port and the others reuse it; `*bound_port` is
// the port in use. At least one must succeed (a failure on another address is
// logged as a warning); otherwise Unavailable with the first failure, naming
// the address and a hint (port in use, privileged port, foreign address).
// InvalidArgument for a malformed address or a bracketed host that is not an
// IPv6 address. The caller owns and closes the returned descriptors.
absl::StatusOr<std::vector<int>> OpenHttpListeners(const std::string& address,
                                                   int* bound_port);

}  // namespace fedge::net

#endif  // FEDGE_COMMON_NET_HTTP_LISTEN_H_
