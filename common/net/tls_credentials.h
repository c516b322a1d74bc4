#ifndef FEDGE_COMMON_NET_TLS_CREDENTIALS_H_
#define FEDGE_COMMON_NET_TLS_CREDENTIALS_H_

// gRPC credentials for fedge's mutual TLS. Servers require and verify a
// client certificate chaining to the federation CA and refuse revoked ones
// during the handshake; clients verify the server against the same CA.

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/channel_arguments.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/pki/identity.h"
#include "common/pki/revocation.h"

namespace fedge::net {

struct ServerTlsFiles {
  std::string ca_cert;
  std::string cert;
  std::string key;
};

// Told of each handshake refused for a certificate that the CA signed but
// fedge does not accept (revoked, or without a fedge identity): `caller`
// names the certificate, `reason` says why. Called on gRPC's handshake
// threads, so it must be thread-safe. (Certificates OpenSSL itself refuses,
// expired or of another CA, never reach it.)
using HandshakeRefusalListener =
    std::function<void(const std::string& caller, const std::string& reason)>;

// Mutual-TLS server credentials. Reads the files (the key file must be 0600:
// FailedPrecondition otherwise), requires a client certificate signed by the
// CA, and checks every handshake's leaf certificate against `revocations`
// (which must outlive the server). Errors name the file at fault.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files, pki::RevocationList* revocations,
    HandshakeRefusalListener on_refused = nullptr);

struct ClientTlsFiles {
  std::string ca_cert;
  std::string cert;
  std::string key;
  // If set, the name checked against the server certificate's SANs instead
  // of the host in the target address.
  std::string server_name;
};

// Mutual-TLS channel credentials plus the channel arguments they need (the
// server-name override).
struct ClientCredentials {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  grpc::ChannelArguments args;
};
absl::StatusOr<ClientCredentials> MakeClientCredentials(
    const ClientTlsFiles& files);

// The identity of the caller of an RPC, from its verified certificate.
// Unauthenticated if the connection carries no certificate.
absl::StatusOr<pki::PeerIdentity> PeerFromContext(
    const grpc::ServerContextBase& context);

}  // namespace fedge::net

#endif  // FEDGE_COMMON_NET_TLS_CREDENTIALS_H_
