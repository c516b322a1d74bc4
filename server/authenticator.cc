#include "server/authenticator.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/certificate_signature.h"
#include "common/crypto/sha256.h"
#include "common/net/tls_credentials.h"
#include "common/util/status_macros.h"

namespace fedge::server {

absl::StatusOr<pki::PeerIdentity> Authenticator::Authenticate(
    const grpc::ServerContextBase& context, pki::Role role) const {
  absl::StatusOr<pki::PeerIdentity> peer = Identify(context, role);
  if (!peer.ok() && on_failure_) on_failure_(context.peer(), peer.status());
  return peer;
}

absl::StatusOr<pki::PeerIdentity> Authenticator::Identify(
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
  FEDGE_ASSIGN_OR_RETURN(pki::PeerIdentity cert,
                         VerifiedVirtualCertificate(pem));
  if (cert.id != peer.id) {
    return absl::PermissionDeniedError(absl::StrCat(
        "virtual client ", peer.id, " presented the certificate of ", cert.id));
  }
  peer = std::move(cert);
  if (revocations_->IsRevoked(peer.serial_hex, peer.id)) {
    return absl::PermissionDeniedError(
        absl::StrCat("virtual client ", peer.id, " is revoked"));
  }
  return peer;
}

absl::StatusOr<pki::PeerIdentity> Authenticator::VerifiedVirtualCertificate(
    const std::string& pem) const {
  // Thousands of virtual clients each call several times a round: verify a
  // certificate's chain (an ECDSA verification) once, not on every call.
  constexpr size_t kMaxVerifiedCertificates = 1 << 20;
  constexpr absl::Duration kReverifyAfter = absl::Hours(1);
  const std::string key = crypto::DigestBytes(crypto::Sha256(pem));
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&verified_mu_);
    auto it = verified_.find(key);
    if (it != verified_.end() && now - it->second.at < kReverifyAfter) {
      return it->second.identity;
    }
  }
  FEDGE_ASSIGN_OR_RETURN(pki::PeerIdentity cert, pki::IdentityFromPem(pem));
  if (cert.role != pki::Role::kDevice) {
    return absl::PermissionDeniedError(
        absl::StrCat("the certificate of virtual client ", cert.id,
                     " is not a device certificate"));
  }
  if (absl::Status s = crypto::VerifyCertificateChain(
          pem, virtual_clients_.ca_certificate_pem);
      !s.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("certificate of virtual client ", cert.id,
                     " does not verify: ", s.message()));
  }
  absl::MutexLock lock(&verified_mu_);
  if (verified_.size() >= kMaxVerifiedCertificates) verified_.clear();
  verified_[key] = Verified{cert, now};
  return cert;
}

}  // namespace fedge::server
