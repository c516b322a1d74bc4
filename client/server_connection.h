#ifndef FEDGE_CLIENT_SERVER_CONNECTION_H_
#define FEDGE_CLIENT_SERVER_CONNECTION_H_

// One channel from an edge client to the aggregator, and its stub. A fresh
// connection per session makes a reconnect a real new connection (and TLS
// handshake), never a cached one.

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/net/tls_credentials.h"
#include "fedge/v1/federation.grpc.pb.h"

namespace fedge::client {

class ServerConnection {
 public:
  // Opens a channel to `address` with mutual TLS (`tls`), or plaintext
  // naming itself `insecure_id` (the insecure local demo).
  static absl::StatusOr<std::unique_ptr<ServerConnection>> Open(
      const std::string& address, const std::optional<net::ClientTlsFiles>& tls,
      const std::string& insecure_id, absl::Duration rpc_timeout);

  // A virtual client of a fleet simulator on a shared `channel` (opened with
  // the simulator's certificate): calls name `virtual_id`, and Join also
  // presents the virtual client's own certificate.
  static std::unique_ptr<ServerConnection> Virtual(
      std::shared_ptr<grpc::Channel> channel, std::string virtual_id,
      std::string certificate_pem, absl::Duration rpc_timeout);

  // A channel with fedge's settings (keepalive, message size, its own
  // connection): mutual TLS with `tls`, or plaintext.
  static absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(
      const std::string& address,
      const std::optional<net::ClientTlsFiles>& tls);

  v1::Federation::Stub& stub() { return *stub_; }

  // Adds identity metadata (insecure mode: the client id; a virtual client:
  // its id and certificate) and, if `with_deadline`, the RPC timeout or
  // `deadline`.
  void Prepare(grpc::ClientContext* context,
               std::optional<absl::Time> deadline = std::nullopt,
               bool with_deadline = true) const;

 private:
  ServerConnection(std::shared_ptr<grpc::Channel> channel,
                   std::string insecure_id, absl::Duration timeout);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Federation::Stub> stub_;
  std::string insecure_id_;
  std::string virtual_id_;
  std::string virtual_certificate_;
  absl::Duration timeout_;
};

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_SERVER_CONNECTION_H_
