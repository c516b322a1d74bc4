#include "common/net/http_listen.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/net/http_parsing.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::net {

std::string ErrnoText(int error) {
  char buffer[256];
  // GNU strerror_r: returns the message, which need not be in `buffer`.
  return strerror_r(error, buffer, sizeof(buffer));
}

namespace {

// "127.0.0.1:80" or "[::1]:80".
std::string FormatSocketAddress(const sockaddr* address, socklen_t length) {
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (getnameinfo(address, length, host, sizeof(host), service, sizeof(service),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "(unprintable address)";
  }
  return address->sa_family == AF_INET6 ? absl::StrCat("[", host, "]:", service)
                                        : absl::StrCat(host, ":", service);
}

std::string BindHint(int error, int port) {
  switch (error) {
    case EACCES:
      return port < 1024 ? "; ports below 1024 need root or "
                           "CAP_NET_BIND_SERVICE, choose a port of 1024 or more"
                         : "";
    case EADDRINUSE:
      return "; another process is using this port, stop it or choose "
             "another port (0 picks a free one)";
    case EADDRNOTAVAIL:
      return "; this host has no such address, use one of its own addresses, "
             "0.0.0.0 or [::]";
    default:
      return "";
  }
}

}  // namespace

absl::StatusOr<std::vector<int>> OpenHttpListeners(const std::string& address,
                                                   int* bound_port) {
  FEDGE_ASSIGN_OR_RETURN(const ListenAddress hp, ParseListenAddress(address));
  addrinfo hints{};
  hints.ai_family = hp.bracketed ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags =
      AI_PASSIVE | AI_NUMERICSERV | (hp.bracketed ? AI_NUMERICHOST : 0);
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(hp.host.c_str(), std::to_string(hp.port).c_str(),
                             &hints, &found);
  if (rc != 0) {
    if (hp.bracketed) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid listen address '", address, "': '", hp.host,
                       "' is not an IPv6 address"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": cannot resolve host '",
                     hp.host, "': ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found,
                                                           &freeaddrinfo);
  int port = hp.port;
  std::vector<int> fds;
  std::vector<std::string> errors;
  std::vector<std::string> seen_hosts;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    sockaddr_storage storage{};
    std::memcpy(&storage, ai->ai_addr, ai->ai_addrlen);
    auto* sa = reinterpret_cast<sockaddr*>(&storage);
    if (ai->ai_family == AF_INET) {
      reinterpret_cast<sockaddr_in*>(sa)->sin_port = htons(port);
    } else {
      reinterpret_cast<sockaddr_in6*>(sa)->sin6_port = htons(port);
    }
    const std::string where = FormatSocketAddress(sa, ai->ai_addrlen);
    const std::string host = where.substr(0, where.rfind(':'));
    if (std::find(seen_hosts.begin(), seen_hosts.end(), host) !=
        seen_hosts.end()) {
      continue;
    }
    seen_hosts.push_back(host);

    const int fd =
        socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int error = fd < 0 ? errno : 0;
    if (fd >= 0) {
      const int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      // Keep [::] from also taking the IPv4 port, so "localhost" can hold
      // both families and "[::]" means IPv6 only.
      if (ai->ai_family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
      }
      if (bind(fd, sa, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        error = errno;
        close(fd);
      }
    }
    if (error != 0) {
      errors.push_back(
          absl::StrCat("cannot listen on ", where,
                       where == address ? "" : absl::StrCat(" (", address, ")"),
                       ": ", ErrnoText(error), BindHint(error, port)));
      continue;
    }
    if (port == 0) {
      sockaddr_storage bound{};
      socklen_t length = sizeof(bound);
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
      port = ntohs(bound.ss_family == AF_INET
                       ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                       : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    }
    fds.push_back(fd);
  }
  if (fds.empty()) {
    return absl::UnavailableError(
        errors.empty() ? absl::StrCat("cannot listen on ", address,
                                      ": the host has no IPv4 or IPv6 address")
                       : errors.front());
  }
  for (const std::string& error : errors) {
    FEDGE_LOG(Warning, "http") << error << " (serving on the other addresses)";
  }
  *bound_port = port;
  return fds;
}

}  // namespace fedge::net
