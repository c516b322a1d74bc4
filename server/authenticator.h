#ifndef FEDGE_SERVER_AUTHENTICATOR_H_
#define FEDGE_SERVER_AUTHENTICATOR_H_

// Who is calling, and may they? Every RPC handler starts here. With mutual
// TLS the identity is the verified client certificate (its CN and role),
// checked against the revocation list on every call, not only at the
// handshake, so a client revoked mid-run is refused on its open connection
// too. In the loudly-labelled insecure local demo mode, clients name
// themselves in the `fedge-client-id` metadata entry and admin calls are
// open.
//
// Virtual clients: a fleet simulator's certificate (role simulator) may act
// for the virtual clients it simulates, named in the `fedge-virtual-client`
// metadata entry, on a server configured to accept them (never by default).
// Every such call carries the virtual client's own device certificate
// (issued by the federation CA, naming it) in
// `fedge-virtual-certificate-bin`; it is verified like a TLS client
// certificate (chain, id, revocation) and used for secure aggregation. A
// call without it is refused, so a simulator cannot speak for a client id
// it holds no certificate for.

#include <grpcpp/server_context.h>

#include <functional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/pki/identity.h"
#include "common/pki/revocation.h"

namespace fedge::server {

inline constexpr char kInsecureClientIdMetadata[] = "fedge-client-id";
inline constexpr char kVirtualClientMetadata[] = "fedge-virtual-client";
inline constexpr char kVirtualCertificateMetadata[] =
    "fedge-virtual-certificate-bin";

struct VirtualClientPolicy {
  bool accept = false;
  // The federation CA, to verify virtual clients' certificates.
  std::string ca_certificate_pem;
};

class Authenticator {
 public:
  // `revocations` null means insecure demo mode.
  explicit Authenticator(pki::RevocationList* revocations,
                         VirtualClientPolicy virtual_clients = {})
      : revocations_(revocations),
        virtual_clients_(std::move(virtual_clients)) {}

  // The caller's identity if it holds `role`: Unauthenticated without a
  // usable identity, PermissionDenied for a revoked certificate or another
  // role.
  absl::StatusOr<pki::PeerIdentity> Authenticate(
      const grpc::ServerContextBase& context, pki::Role role) const;

  // Called with the caller's address and the refusal whenever
  // Authenticate refuses a caller (the audit log records them). Set before
  // serving.
  void SetFailureListener(
      std::function<void(const std::string& caller, const absl::Status&)>
          listener) {
    on_failure_ = std::move(listener);
  }

  bool insecure() const { return revocations_ == nullptr; }
  pki::RevocationList* revocations() const { return revocations_; }

 private:
  absl::StatusOr<pki::PeerIdentity> Identify(
      const grpc::ServerContextBase& context, pki::Role role) const;
  absl::StatusOr<pki::PeerIdentity> VirtualClient(
      const grpc::ServerContextBase& context,
      const pki::PeerIdentity& simulator) const;
  // The identity in a virtual client's certificate once its chain to the
  // federation CA verified (validity dates included); a certificate's chain
  // is checked again at most once an hour, not on every call.
  absl::StatusOr<pki::PeerIdentity> VerifiedVirtualCertificate(
      const std::string& pem) const;

  pki::RevocationList* revocations_;
  VirtualClientPolicy virtual_clients_;
  std::function<void(const std::string&, const absl::Status&)> on_failure_;
  // Certificates whose chain verified, by SHA-256 of their PEM, with when.
  // Bounded: cleared when it reaches kMaxVerifiedCertificates.
  struct Verified {
    pki::PeerIdentity identity;
    absl::Time at;
  };
  mutable absl::Mutex verified_mu_;
  mutable absl::flat_hash_map<std::string, Verified> verified_
      ABSL_GUARDED_BY(verified_mu_);
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_AUTHENTICATOR_H_
