#include "client/server_connection.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "common/util/status_macros.h"

namespace fedge::client {
namespace {

constexpr char kInsecureClientIdMetadata[] = "fedge-client-id";
constexpr char kVirtualClientMetadata[] = "fedge-virtual-client";
constexpr char kVirtualCertificateMetadata[] = "fedge-virtual-certificate-bin";

}  // namespace

ServerConnection::ServerConnection(std::shared_ptr<grpc::Channel> channel,
                                   std::string insecure_id,
                                   absl::Duration timeout)
    : channel_(std::move(channel)),
      stub_(v1::Federation::NewStub(channel_)),
      insecure_id_(std::move(insecure_id)),
      timeout_(timeout) {}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ServerConnection::OpenChannel(
    const std::string& address, const std::optional<net::ClientTlsFiles>& tls) {
  grpc::ChannelArguments args;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (tls.has_value()) {
    FEDGE_ASSIGN_OR_RETURN(net::ClientCredentials creds,
                           net::MakeClientCredentials(*tls));
    credentials = creds.credentials;
    args = creds.args;
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetMaxReceiveMessageSize(4 << 20);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, credentials, args);
}

absl::StatusOr<std::unique_ptr<ServerConnection>> ServerConnection::Open(
    const std::string& address, const std::optional<net::ClientTlsFiles>& tls,
    const std::string& insecure_id, absl::Duration rpc_timeout) {
  FEDGE_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel,
                         OpenChannel(address, tls));
  return std::unique_ptr<ServerConnection>(new ServerConnection(
      std::move(channel), tls.has_value() ? "" : insecure_id, rpc_timeout));
}

std::unique_ptr<ServerConnection> ServerConnection::Virtual(
    std::shared_ptr<grpc::Channel> channel, std::string virtual_id,
    std::string certificate_pem, absl::Duration rpc_timeout) {
  std::unique_ptr<ServerConnection> conn(
      new ServerConnection(std::move(channel), "", rpc_timeout));
  conn->virtual_id_ = std::move(virtual_id);
  conn->virtual_certificate_ = std::move(certificate_pem);
  return conn;
}

void ServerConnection::Prepare(grpc::ClientContext* context,
                               std::optional<absl::Time> deadline,
                               bool with_deadline) const {
  if (!insecure_id_.empty()) {
    context->AddMetadata(kInsecureClientIdMetadata, insecure_id_);
  }
  if (!virtual_id_.empty()) {
    context->AddMetadata(kVirtualClientMetadata, virtual_id_);
    context->AddMetadata(kVirtualCertificateMetadata, virtual_certificate_);
  }
  if (with_deadline) {
    absl::Time d = deadline.value_or(absl::Now() + timeout_);
    context->set_deadline(absl::ToChronoTime(d));
  }
}

}  // namespace fedge::client
