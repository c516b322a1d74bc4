#include "common/net/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <deque>
#include <exception>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/net/http_listen.h"
#include "common/net/http_parsing.h"
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
    WriteAll(fd, SerializeHttpResponse(response, head_only, allow));
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
    const std::string reply = SerializeHttpResponse(
        HttpErrorResponse(503, "server busy, retry later"), false, "");
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
      ReplyAndClose(fd, HttpErrorResponse(status, message), false, "",
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
      head_end = FindRequestHeadEnd(buffer, &scan_from);
      if (head_end != 0) break;
      if (buffer.size() > limit) {
        return fail(413, absl::StrCat("request headers exceed the limit of ",
                                      limit, " bytes"));
      }
      const Io io = ReadSome(fd, limit + 1 - buffer.size(), deadline, &buffer);
      if (io != Io::kOk) return on_io_end(io);
    }

    HttpRequestHead parsed;
    const HttpError error = ParseRequestHead(
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
        return HttpErrorResponse(
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
        return HttpErrorResponse(
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
      return HttpErrorResponse(500, "the handler failed; see the server log");
    } catch (...) {
      FEDGE_LOG(Error, "http") << "handler for " << request.method << " "
                               << request.path << " threw a non-exception";
      return HttpErrorResponse(500, "the handler failed; see the server log");
    }
    if (response.status < 200 || response.status > 599 ||
        response.content_type.find_first_of("\r\n") != std::string::npos) {
      FEDGE_LOG(Error, "http")
          << "handler for " << request.method << " " << request.path
          << " returned status " << response.status << " with content type '"
          << absl::CEscape(response.content_type)
          << "'; expected a status from 200 to 599 and a one-line type";
      return HttpErrorResponse(500, "the handler returned an invalid response");
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
  int port = 0;
  FEDGE_ASSIGN_OR_RETURN(std::vector<int> listeners,
                         OpenHttpListeners(address, &port));
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
