#include "server/authenticator.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/certificate_signature.h"
#include "common/net/tls_credentials.h"
#include "common/util/status_macros.h"

namespace fedge::server {

absl::StatusOr<pki::PeerIdentity> Authenticator::Authenticate(
    const grpc::ServerContextBase& context, pki::Role role) const {
  if (insecure()) {
    pki::PeerIdentity peer;
    peer.role = role;
    if (role == pki::Role::kAdmin) {
      peer.id = "admin";
      return peer;
    }
    const auto& metadata = context.client_metadata();
    auto it = metadata.find(kInsecureClientIdMetadata);
    if (it == metadata.end()) {
      return absl::UnauthenticatedError(
          absl::StrCat("insecure demo mode: send your client id in the '",
                       kInsecureClientIdMetadata, "' metadata entry"));
    }
    peer.id = std::string(it->second.data(), it->second.size());
    if (!pki::IsValidClientId(peer.id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid client id '", peer.id, "'"));
    }
    return peer;
  }
  FEDGE_ASSIGN_OR_RETURN(pki::PeerIdentity peer, net::PeerFromContext(context));
  if (revocations_->IsRevoked(peer.serial_hex, peer.id)) {
    return absl::PermissionDeniedError(
        absl::StrCat("certificate of ", peer.id, " (serial ", peer.serial_hex,
                     ") is revoked"));
  }
  if (peer.role == pki::Role::kSimulator && role == pki::Role::kDevice) {
    return VirtualClient(context, peer);
  }
  if (peer.role != role) {
    return absl::PermissionDeniedError(
        absl::StrCat("this service accepts only ", pki::RoleName(role),
                     " certificates, and the certificate of ", peer.id,
                     " has role ", pki::RoleName(peer.role)));
  }
  return peer;
}

absl::StatusOr<pki::PeerIdentity> Authenticator::VirtualClient(
    const grpc::ServerContextBase& context,
    const pki::PeerIdentity& simulator) const {
  if (!virtual_clients_.accept) {
    return absl::PermissionDeniedError(absl::StrCat(
        "simulator ", simulator.id,
        " may not act for virtual clients here: this server does not accept "
        "them (simulation.accept_virtual_clients)"));
  }
  const auto& metadata = context.client_metadata();
  auto id_entry = metadata.find(kVirtualClientMetadata);
  if (id_entry == metadata.end()) {
    return absl::UnauthenticatedError(
        absl::StrCat("a simulator's call must name its virtual client in '",
                     kVirtualClientMetadata, "'"));
  }
  pki::PeerIdentity peer;
  peer.id = std::string(id_entry->second.data(), id_entry->second.size());
  peer.role = pki::Role::kDevice;
  if (!pki::IsValidClientId(peer.id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid virtual client id '", peer.id, "'"));
  }
  // The simulator holds a certificate for each of its virtual clients,
  // issued by the federation's CA: without it a simulator could speak for
  // any client id, a real device's included.
  auto cert_entry = metadata.find(kVirtualCertificateMetadata);
  if (cert_entry == metadata.end()) {
    return absl::UnauthenticatedError(
        absl::StrCat("a simulator's call for virtual client ", peer.id,
                     " must carry that client's certificate in '",
                     kVirtualCertificateMetadata, "'"));
  }
  std::string pem(cert_entry->second.data(), cert_entry->second.size());
  FEDGE_ASSIGN_OR_RETURN(pki::PeerIdentity cert, pki::IdentityFromPem(pem));
  if (cert.id != peer.id || cert.role != pki::Role::kDevice) {
    return absl::PermissionDeniedError(absl::StrCat(
        "virtual client ", peer.id, " presented the certificate of ", cert.id));
  }
  if (absl::Status s = crypto::VerifyCertificateChain(
          pem, virtual_clients_.ca_certificate_pem);
      !s.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("certificate of virtual client ", peer.id,
                     " does not verify: ", s.message()));
  }
  peer = std::move(cert);
  if (revocations_->IsRevoked(peer.serial_hex, peer.id)) {
    return absl::PermissionDeniedError(
        absl::StrCat("virtual client ", peer.id, " is revoked"));
  }
  return peer;
}

}  // namespace fedge::server
