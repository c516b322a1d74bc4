#include "server/authenticator.h"

#include "absl/strings/str_cat.h"
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
  if (peer.role != role) {
    return absl::PermissionDeniedError(
        absl::StrCat("this service accepts only ", pki::RoleName(role),
                     " certificates, and the certificate of ", peer.id,
                     " has role ", pki::RoleName(peer.role)));
  }
  return peer;
}

}  // namespace fedge::server
