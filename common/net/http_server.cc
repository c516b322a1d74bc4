#include "common/net/http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <deque>
#include <exception>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::net {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

constexpr size_t kReadChunk = 16 * 1024;
// Accepted connections waiting for a worker; beyond this, new ones get 503.
constexpr size_t kMaxPendingConnections = 256;
// After an error reply to a request that was not read completely, unread
// input is drained for at most this long / this much before closing, so the
// client receives the reply instead of a TCP reset.
constexpr int kLingerMs = 2000;
constexpr size_t kLingerMaxBytes = 1 << 20;
// Pause before accepting again when out of file descriptors.
constexpr int kAcceptBackoffMs = 100;

std::string ErrnoText(int error) {
  char buffer[256];
  // GNU strerror_r: returns the message, which need not be in `buffer`.
  return strerror_r(error, buffer, sizeof(buffer));
}

// ---------------------------------------------------------------------------
// Listening address.

struct HostPort {
  std::string host;
  bool bracketed = false;  // "[::1]:80": must be an IPv6 literal
  int port = 0;
};

absl::StatusOr<HostPort> ParseAddress(const std::string& address) {
  const auto invalid = [&address](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid listen address '", address, "': ", why,
                     " (expected host:port, e.g. 127.0.0.1:8080, [::1]:8080 or "
                     "localhost:0; port 0 picks a free port)"));
  };
  HostPort out;
  std::string port_text;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos) {
      return invalid("missing ']' after the IPv6 address");
    }
    if (close + 1 >= address.size() || address[close + 1] != ':') {
      return invalid("missing ':port' after ']'");
    }
    out.host = address.substr(1, close - 1);
    out.bracketed = true;
    port_text = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) return invalid("missing ':port'");
    out.host = address.substr(0, colon);
    if (out.host.find(':') != std::string::npos) {
      return invalid("an IPv6 address needs brackets, e.g. [::1]:8080");
    }
    port_text = address.substr(colon + 1);
  }
  if (out.host.empty()) {
    return invalid("missing host; use 0.0.0.0 or [::] for all interfaces");
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port_text, &out.port) || out.port > 65535) {
    return invalid(
        absl::StrCat("port '", port_text, "' is not a number from 0 to 65535"));
  }
  return out;
}

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

// Binds and listens on every address `hp.host` resolves to ("localhost" may
// give both 127.0.0.1 and ::1). With port 0 the first socket picks the port
// and the others reuse it. At least one must succeed; the first failure is
// the error.
absl::StatusOr<std::vector<int>> Listen(const std::string& address,
                                        const HostPort& hp, int* bound_port) {
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

// ---------------------------------------------------------------------------
// Request parsing.

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsToken(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

// The offset just past the blank line ending the request head ("\r\n\r\n",
// or bare "\n\n" from lenient clients), or 0 if it has not arrived yet.
// `scan_from` remembers progress between calls.
size_t FindHeadEnd(const std::string& buffer, size_t* scan_from) {
  for (size_t i = *scan_from; i < buffer.size(); ++i) {
    if (buffer[i] != '\n') continue;
    if (i + 1 < buffer.size() && buffer[i + 1] == '\n') return i + 2;
    if (i + 2 < buffer.size() && buffer[i + 1] == '\r' &&
        buffer[i + 2] == '\n') {
      return i + 3;
    }
    if (i + 2 >= buffer.size()) {
      *scan_from = i;
      return 0;
    }
  }
  *scan_from = buffer.size();
  return 0;
}

struct ParsedHead {
  HttpRequest request;
  size_t content_length = 0;
  bool expect_continue = false;
};

struct HttpError {
  int status = 0;  // 0: no error
  std::string message;
};

// Parses the request line and headers (`head` without the blank line).
HttpError ParseHead(absl::string_view head, size_t max_request_bytes,
                    ParsedHead* parsed) {
  HttpRequest& request = parsed->request;
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  for (absl::string_view& line : lines) absl::ConsumeSuffix(&line, "\r");

  const std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || !IsToken(parts[0]) || parts[1].empty()) {
    return {400, "malformed request line; expected 'METHOD /path HTTP/1.1'"};
  }
  const absl::string_view version = parts[2];
  if (version.size() != 8 || !absl::StartsWith(version, "HTTP/") ||
      !absl::ascii_isdigit(version[5]) || version[6] != '.' ||
      !absl::ascii_isdigit(version[7])) {
    return {400, absl::StrCat("malformed HTTP version '", version,
                              "'; expected HTTP/1.1")};
  }
  if (version[5] != '1') {
    return {505, absl::StrCat(version, " is not supported; use HTTP/1.1")};
  }
  absl::string_view target = parts[1];
  for (absl::string_view scheme : {"http://", "https://"}) {
    if (absl::StartsWithIgnoreCase(target, scheme)) {
      // Absolute form: keep only the path and query.
      target.remove_prefix(scheme.size());
      const size_t slash = target.find('/');
      target = slash == absl::string_view::npos ? "/" : target.substr(slash);
    }
  }
  if (target[0] != '/') {
    return {400, "request target must be a path starting with '/'"};
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
      return {400, "request target contains a control character"};
    }
  }
  request.method = std::string(parts[0]);
  const size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != absl::string_view::npos) {
    request.query = std::string(target.substr(question + 1));
  }

  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      return {400, "folded header lines are not supported"};
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
      return {400, absl::StrCat("malformed header line '",
                                absl::CEscape(line.substr(0, 80)), "'")};
    }
    const std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    const absl::string_view value =
        absl::StripAsciiWhitespace(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) {
        return {400, absl::StrCat("header '", name,
                                  "' contains a control character")};
      }
    }
    auto [it, inserted] = request.headers.emplace(name, std::string(value));
    if (!inserted) {
      if (name == "content-length") {
        if (it->second != value) {
          return {400, "conflicting Content-Length headers"};
        }
      } else {
        absl::StrAppend(&it->second, ", ", value);
      }
    }
  }

  if (request.headers.count("transfer-encoding") != 0) {
    return {411,
            "Transfer-Encoding (chunked) request bodies are not supported; "
            "send the body with a Content-Length header"};
  }
  if (auto it = request.headers.find("content-length");
      it != request.headers.end()) {
    const std::string& text = it->second;
    if (text.empty() ||
        !std::all_of(text.begin(), text.end(), absl::ascii_isdigit)) {
      return {400, absl::StrCat("invalid Content-Length '", absl::CEscape(text),
                                "'")};
    }
    uint64_t length = 0;
    if (text.size() > 18 || !absl::SimpleAtoi(text, &length) ||
        length > max_request_bytes) {
      return {413, absl::StrCat("request body of ", text,
                                " bytes exceeds the limit of ",
                                max_request_bytes, " bytes")};
    }
    parsed->content_length = static_cast<size_t>(length);
  }
  if (auto it = request.headers.find("expect"); it != request.headers.end()) {
    if (!absl::EqualsIgnoreCase(it->second, "100-continue")) {
      return {417, absl::StrCat("unsupported expectation '",
                                absl::CEscape(it->second), "'")};
    }
    parsed->expect_continue = true;
  }
  return {};
}

// ---------------------------------------------------------------------------
// Responses.

const char* ReasonPhrase(int status) {
  static constexpr std::pair<int, const char*> kPhrases[] = {
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {204, "No Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {303, "See Other"},
      {304, "Not Modified"},
      {307, "Temporary Redirect"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {408, "Request Timeout"},
      {409, "Conflict"},
      {411, "Length Required"},
      {413, "Content Too Large"},
      {415, "Unsupported Media Type"},
      {417, "Expectation Failed"},
      {422, "Unprocessable Content"},
      {429, "Too Many Requests"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
      {505, "HTTP Version Not Supported"},
  };
  for (const auto& [code, phrase] : kPhrases) {
    if (code == status) return phrase;
  }
  return "Status";  // clients must not depend on the phrase (RFC 9112 4)
}

HttpResponse ErrorResponse(int status, absl::string_view message) {
  HttpResponse response;
  response.status = status;
  response.body =
      absl::StrCat(status, " ", ReasonPhrase(status), ": ", message, "\n");
  return response;
}

// The whole response; `allow` is the Allow header for 405 (or empty).
std::string SerializeResponse(const HttpResponse& response, bool head_only,
                              const std::string& allow) {
  const int status = response.status;
  // 204 and 304 carry no body (RFC 9110 §6.4.1); 204 also no length.
  const bool no_body = status == 204 || status == 304;
  std::string out =
      absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\nDate: ",
                   absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::Now(),
                                    absl::UTCTimeZone()),
                   "\r\nConnection: close\r\n");
  if (!no_body) {
    absl::StrAppend(&out, "Content-Type: ", response.content_type,
                    "\r\nContent-Length: ", response.body.size(), "\r\n");
  }
  if (!allow.empty()) absl::StrAppend(&out, "Allow: ", allow, "\r\n");
  out += "\r\n";
  if (!head_only && !no_body) out += response.body;
  return out;
}

// ---------------------------------------------------------------------------
// The server.

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(HttpServerOptions options, std::vector<int> listeners,
                 int port, int wake_read, int wake_write)
      : options_(options),
        listeners_(std::move(listeners)),
        port_(port),
        wake_read_(wake_read),
        wake_write_(wake_write) {}

  ~HttpServerImpl() override { Shutdown(); }

  absl::Status StartThreads() {
    try {
      accept_thread_ = std::thread([this] { AcceptLoop(); });
      for (int i = 0; i < options_.worker_threads; ++i) {
        workers_.emplace_back([this] { WorkerLoop(); });
      }
    } catch (const std::system_error& e) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot start HTTP server threads: ", e.what()));
    }
    return absl::OkStatus();
  }

  void Handle(const std::string& method, const std::string& path,
              HttpHandler handler) override {
    absl::MutexLock lock(&routes_mu_);
    routes_[path][method] = std::move(handler);
  }

  int port() const override { return port_; }

  void Shutdown() override {
    absl::MutexLock guard(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
    {
      absl::MutexLock lock(&queue_mu_);
      stopping_ = true;
    }
    // The pipe is never drained, so every poll that includes it wakes now
    // and on every later call.
    const char byte = 1;
    while (write(wake_write_, &byte, 1) < 0 && errno == EINTR) {
    }
    if (accept_thread_.joinable()) accept_thread_.join();
    for (std::thread& worker : workers_) worker.join();
    for (int fd : listeners_) close(fd);
    {
      absl::MutexLock lock(&queue_mu_);
      for (int fd : pending_) close(fd);
      pending_.clear();
    }
    close(wake_read_);
    close(wake_write_);
  }

 private:
  enum class Io { kOk, kClosed, kTimeout, kStopped, kError };

  bool WorkAvailable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
    return stopping_ || !pending_.empty();
  }

  Deadline DeadlineFromNow(int ms) const {
    return SteadyClock::now() + std::chrono::milliseconds(ms);
  }

  // Waits until `fd` is ready for `events`. An interruptible wait also ends
  // when Shutdown() starts.
  Io WaitFor(int fd, short events, Deadline deadline,
             bool interruptible) const {
    while (true) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          deadline - SteadyClock::now());
      if (left.count() <= 0) return Io::kTimeout;
      pollfd fds[2] = {{fd, events, 0}, {wake_read_, POLLIN, 0}};
      const int n =
          poll(fds, interruptible ? 2 : 1,
               static_cast<int>(std::min<int64_t>(left.count(), INT_MAX)));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Io::kError;
      }
      if (interruptible && fds[1].revents != 0) return Io::kStopped;
      // Errors and hang-ups also end the wait; the next recv/send says which.
      if (fds[0].revents != 0) return Io::kOk;
    }
  }

  // Appends up to `max_bytes` (> 0) read from `fd` to `buffer`.
  Io ReadSome(int fd, size_t max_bytes, Deadline deadline,
              std::string* buffer) const {
    char chunk[kReadChunk];
    while (true) {
      const ssize_t n = recv(fd, chunk, std::min(max_bytes, sizeof(chunk)), 0);
      if (n > 0) {
        buffer->append(chunk, static_cast<size_t>(n));
        return Io::kOk;
      }
      if (n == 0) return Io::kClosed;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return Io::kError;
      const Io wait = WaitFor(fd, POLLIN, deadline, /*interruptible=*/true);
      if (wait != Io::kOk) return wait;
    }
  }

  // Not interruptible: a response being written is finished (or times out)
  // even while shutting down.
  bool WriteAll(int fd, absl::string_view data) const {
    const Deadline deadline = DeadlineFromNow(options_.read_timeout_ms);
    while (!data.empty()) {
      const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
      if (WaitFor(fd, POLLOUT, deadline, /*interruptible=*/false) != Io::kOk) {
        return false;
      }
    }
    return true;
  }

  // Closes after the client has seen our FIN, discarding what it still
  // sends (bounded), so a reply to an unread request is not lost to a reset.
  void LingeringClose(int fd) const {
    shutdown(fd, SHUT_WR);
    const Deadline deadline =
        DeadlineFromNow(std::min(kLingerMs, options_.read_timeout_ms));
    std::string discard;
    size_t discarded = 0;
    while (discarded < kLingerMaxBytes &&
           ReadSome(fd, kReadChunk, deadline, &discard) == Io::kOk) {
      discarded += discard.size();
      discard.clear();
    }
    close(fd);
  }

  void ReplyAndClose(int fd, const HttpResponse& response, bool head_only,
                     const std::string& allow, bool unread_input) const {
    WriteAll(fd, SerializeResponse(response, head_only, allow));
    if (unread_input) {
      LingeringClose(fd);
    } else {
      close(fd);
    }
  }

  void AcceptLoop() {
    std::vector<pollfd> fds;
    for (int fd : listeners_) fds.push_back({fd, POLLIN, 0});
    fds.push_back({wake_read_, POLLIN, 0});
    bool warned_exhausted = false;
    while (true) {
      if (poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        FEDGE_LOG(Error, "http") << "poll failed: " << ErrnoText(errno);
        pollfd wake = {wake_read_, POLLIN, 0};
        poll(&wake, 1, kAcceptBackoffMs);
        continue;
      }
      if (fds.back().revents != 0) return;
      for (size_t i = 0; i + 1 < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        while (true) {
          const int client = accept4(fds[i].fd, nullptr, nullptr,
                                     SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (client >= 0) {
            warned_exhausted = false;
            Enqueue(client);
            continue;
          }
          if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) {
            continue;
          }
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
              errno == ENOMEM) {
            if (!warned_exhausted) {
              FEDGE_LOG(Warning, "http")
                  << "cannot accept connections on port " << port_ << ": "
                  << ErrnoText(errno)
                  << "; retrying (raise the open-file limit with ulimit -n)";
              warned_exhausted = true;
            }
            pollfd wake = {wake_read_, POLLIN, 0};
            poll(&wake, 1, kAcceptBackoffMs);
          }
          break;  // EAGAIN: nothing more to accept for now
        }
      }
    }
  }

  void Enqueue(int client) {
    {
      absl::MutexLock lock(&queue_mu_);
      if (pending_.size() < kMaxPendingConnections) {
        pending_.push_back(client);
        return;
      }
    }
    // Overloaded: say so without blocking the accept loop.
    const std::string reply = SerializeResponse(
        ErrorResponse(503, "server busy, retry later"), false, "");
    send(client, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    close(client);
  }

  void WorkerLoop() {
    while (true) {
      int fd = -1;
      {
        absl::MutexLock lock(&queue_mu_);
        queue_mu_.Await(absl::Condition(this, &HttpServerImpl::WorkAvailable));
        if (stopping_) return;
        fd = pending_.front();
        pending_.pop_front();
      }
      Serve(fd);
    }
  }

  // Reads one request from `fd`, answers it and closes the connection.
  void Serve(int fd) {
    const Deadline deadline = DeadlineFromNow(options_.read_timeout_ms);
    const size_t limit = options_.max_request_bytes;
    const auto fail = [&](int status, absl::string_view message) {
      ReplyAndClose(fd, ErrorResponse(status, message), false, "",
                    /*unread_input=*/true);
    };
    const auto on_io_end = [&](Io io) {
      if (io == Io::kTimeout) {
        fail(408, absl::StrCat("request not received within ",
                               options_.read_timeout_ms, " ms"));
      } else {
        close(fd);  // client went away, I/O error, or shutting down
      }
    };

    std::string buffer;
    size_t scan_from = 0;
    size_t head_end = 0;
    while (true) {
      // A client may send blank lines before the request line (RFC 9112
      // §2.2); they are skipped.
      if (scan_from == 0) {
        const size_t start = buffer.find_first_not_of("\r\n");
        buffer.erase(0, start == std::string::npos ? buffer.size() : start);
      }
      head_end = FindHeadEnd(buffer, &scan_from);
      if (head_end != 0) break;
      if (buffer.size() > limit) {
        return fail(413, absl::StrCat("request headers exceed the limit of ",
                                      limit, " bytes"));
      }
      const Io io = ReadSome(fd, limit + 1 - buffer.size(), deadline, &buffer);
      if (io != Io::kOk) return on_io_end(io);
    }

    ParsedHead parsed;
    const HttpError error = ParseHead(
        absl::string_view(buffer).substr(0, head_end), limit, &parsed);
    if (error.status != 0) return fail(error.status, error.message);
    const size_t total = head_end + parsed.content_length;
    if (total > limit) {
      return fail(
          413, absl::StrCat("request of ", total,
                            " bytes exceeds the limit of ", limit, " bytes"));
    }
    if (parsed.expect_continue && buffer.size() < total &&
        !WriteAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) {
      return on_io_end(Io::kError);
    }
    while (buffer.size() < total) {
      const Io io = ReadSome(fd, total - buffer.size(), deadline, &buffer);
      if (io != Io::kOk) return on_io_end(io);
    }

    HttpRequest& request = parsed.request;
    request.body = buffer.substr(head_end, parsed.content_length);
    std::string allow;
    const HttpResponse response = Dispatch(request, &allow);
    FEDGE_LOG(Debug, "http")
        << request.method << " " << request.path << " " << response.status
        << " (" << response.body.size() << " bytes)";
    ReplyAndClose(fd, response, request.method == "HEAD", allow,
                  /*unread_input=*/buffer.size() > total);
  }

  // Runs the handler for `request`, or answers 404/405/500 itself.
  HttpResponse Dispatch(const HttpRequest& request, std::string* allow) {
    HttpHandler handler;
    {
      absl::ReaderMutexLock lock(&routes_mu_);
      const auto route = routes_.find(request.path);
      if (route == routes_.end()) {
        return ErrorResponse(
            404, absl::StrCat("no handler for ", absl::CEscape(request.path)));
      }
      const auto& methods = route->second;
      auto it = methods.find(request.method);
      if (it == methods.end() && request.method == "HEAD") {
        it = methods.find("GET");
      }
      if (it == methods.end()) {
        std::vector<std::string> allowed;
        for (const auto& [method, unused] : methods) allowed.push_back(method);
        if (methods.count("GET") != 0 && methods.count("HEAD") == 0) {
          allowed.push_back("HEAD");
          std::sort(allowed.begin(), allowed.end());
        }
        *allow = absl::StrJoin(allowed, ", ");
        return ErrorResponse(
            405, absl::StrCat(request.method, " is not allowed for ",
                              request.path, "; allowed: ", *allow));
      }
      handler = it->second;
    }
    HttpResponse response;
    try {
      response = handler(request);
    } catch (const std::exception& e) {
      FEDGE_LOG(Error, "http") << "handler for " << request.method << " "
                               << request.path << " threw: " << e.what();
      return ErrorResponse(500, "the handler failed; see the server log");
    } catch (...) {
      FEDGE_LOG(Error, "http") << "handler for " << request.method << " "
                               << request.path << " threw a non-exception";
      return ErrorResponse(500, "the handler failed; see the server log");
    }
    if (response.status < 200 || response.status > 599 ||
        response.content_type.find_first_of("\r\n") != std::string::npos) {
      FEDGE_LOG(Error, "http")
          << "handler for " << request.method << " " << request.path
          << " returned status " << response.status << " with content type '"
          << absl::CEscape(response.content_type)
          << "'; expected a status from 200 to 599 and a one-line type";
      return ErrorResponse(500, "the handler returned an invalid response");
    }
    return response;
  }

  const HttpServerOptions options_;
  const std::vector<int> listeners_;
  const int port_;
  const int wake_read_;
  const int wake_write_;
  std::thread accept_thread_;
  std::vector<std::thread> workers_;

  absl::Mutex routes_mu_;
  std::map<std::string, std::map<std::string, HttpHandler>> routes_
      ABSL_GUARDED_BY(routes_mu_);

  absl::Mutex queue_mu_;
  std::deque<int> pending_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;

  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& address, HttpServerOptions options) {
  if (options.worker_threads < 1 || options.read_timeout_ms < 1 ||
      options.max_request_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid HTTP server options: worker_threads (",
                     options.worker_threads, "), read_timeout_ms (",
                     options.read_timeout_ms, ") and max_request_bytes (",
                     options.max_request_bytes, ") must all be at least 1"));
  }
  FEDGE_ASSIGN_OR_RETURN(const HostPort hp, ParseAddress(address));
  int port = 0;
  FEDGE_ASSIGN_OR_RETURN(std::vector<int> listeners,
                         Listen(address, hp, &port));
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    const int error = errno;
    for (int fd : listeners) close(fd);
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot create the HTTP server's wakeup pipe: ", ErrnoText(error)));
  }
  auto server = std::make_unique<HttpServerImpl>(options, std::move(listeners),
                                                 port, wake[0], wake[1]);
  FEDGE_RETURN_IF_ERROR(server->StartThreads());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace fedge::net
