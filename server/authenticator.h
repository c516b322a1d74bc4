#ifndef FEDGE_SERVER_AUTHENTICATOR_H_
#define FEDGE_SERVER_AUTHENTICATOR_H_

// Who is calling, and may they? Every RPC handler starts here. With mutual
// TLS the identity is the verified client certificate (its CN and role),
// checked against the revocation list on every call, not only at the
// handshake, so a client revoked mid-run is refused on its open connection
// too. In the loudly-labelled insecure local demo mode, clients name
// themselves in the `fedge-client-id` metadata entry and admin calls are
// open.

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "common/pki/identity.h"
#include "common/pki/revocation.h"

namespace fedge::server {

inline constexpr char kInsecureClientIdMetadata[] = "fedge-client-id";

class Authenticator {
 public:
  // `revocations` null means insecure demo mode.
  explicit Authenticator(pki::RevocationList* revocations)
      : revocations_(revocations) {}

  // The caller's identity if it holds `role`: Unauthenticated without a
  // usable identity, PermissionDenied for a revoked certificate or another
  // role.
  absl::StatusOr<pki::PeerIdentity> Authenticate(
      const grpc::ServerContextBase& context, pki::Role role) const;

  bool insecure() const { return revocations_ == nullptr; }
  pki::RevocationList* revocations() const { return revocations_; }

 private:
  pki::RevocationList* revocations_;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_AUTHENTICATOR_H_
