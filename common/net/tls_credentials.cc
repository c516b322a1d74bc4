#include "common/net/tls_credentials.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/net/tls_policy.h"
#include "common/pki/authority.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::net {
namespace {

using grpc::experimental::CertificateVerifier;
using grpc::experimental::ExternalCertificateVerifier;
using grpc::experimental::IdentityKeyCertPair;
using grpc::experimental::StaticDataCertificateProvider;
using grpc::experimental::TlsCustomVerificationCheckRequest;

// Runs after OpenSSL has verified the client's chain against the federation
// CA: refuses certificates that carry no fedge identity and revoked ones.
// Returning a non-OK status fails the handshake, so a refused client never
// reaches a handler.
class RevocationVerifier final : public ExternalCertificateVerifier {
 public:
  RevocationVerifier(pki::RevocationList* revocations,
                     HandshakeRefusalListener on_refused)
      : revocations_(revocations), on_refused_(std::move(on_refused)) {}

  bool Verify(TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> /*callback*/,
              grpc::Status* sync_status) override {
    grpc::string_ref cert = request->peer_cert();
    absl::StatusOr<pki::PeerIdentity> identity =
        pki::IdentityFromPem(absl::string_view(cert.data(), cert.size()));
    if (!identity.ok()) {
      FEDGE_LOG(Warning, "tls")
          << "refused a client certificate: " << identity.status().message();
      Refuse("a certificate without a fedge identity",
             absl::StrCat("refused in the TLS handshake: ",
                          identity.status().message()));
      *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                  std::string(identity.status().message()));
      return true;
    }
    if (revocations_ != nullptr &&
        revocations_->IsRevoked(identity->serial_hex, identity->id)) {
      FEDGE_LOG(Warning, "tls")
          << "refused revoked certificate of " << pki::RoleName(identity->role)
          << " '" << identity->id << "' (serial " << identity->serial_hex
          << ")";
      Refuse(identity->id,
             absl::StrCat("refused in the TLS handshake: the certificate of ",
                          identity->id, " (serial ", identity->serial_hex,
                          ") is revoked"));
      *sync_status = grpc::Status(
          grpc::StatusCode::UNAUTHENTICATED,
          absl::StrCat("certificate of '", identity->id, "' is revoked"));
      return true;
    }
    *sync_status = grpc::Status::OK;
    return true;
  }

  // Verification is synchronous, so there is never a pending request.
  void Cancel(TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  void Refuse(const std::string& caller, const std::string& reason) {
    if (on_refused_) on_refused_(caller, reason);
  }

  pki::RevocationList* const revocations_;
  const HandshakeRefusalListener on_refused_;
};

// The federation CA and this end's certificate and key, read and checked
// (pki::ReadCertificatePem, pki::ReadKeyPair) and handed to gRPC.
absl::StatusOr<std::shared_ptr<StaticDataCertificateProvider>> LoadCertificates(
    const std::string& ca_cert, const std::string& cert,
    const std::string& key) {
  FEDGE_ASSIGN_OR_RETURN(std::string ca_pem, pki::ReadCertificatePem(ca_cert));
  FEDGE_ASSIGN_OR_RETURN(pki::PemKeyPair pair, pki::ReadKeyPair(cert, key));
  return std::make_shared<StaticDataCertificateProvider>(
      ca_pem, std::vector<IdentityKeyCertPair>{
                  {std::move(pair.key_pem), std::move(pair.cert_pem)}});
}

}  // namespace

// gRPC 1.51's TLS options have no way to pin the protocol version; TLS 1.2
// is switched off through OpenSSL's configuration instead (tls_policy.h).

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files, pki::RevocationList* revocations,
    HandshakeRefusalListener on_refused) {
  FEDGE_RETURN_IF_ERROR(RequireTls13());
  FEDGE_ASSIGN_OR_RETURN(
      std::shared_ptr<StaticDataCertificateProvider> provider,
      LoadCertificates(files.ca_cert, files.cert, files.key));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.set_certificate_verifier(
      ExternalCertificateVerifier::Create<RevocationVerifier>(
          revocations, std::move(on_refused)));
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(options);
  if (credentials == nullptr) {
    return absl::InternalError("gRPC refused the TLS server options");
  }
  return credentials;
}

absl::StatusOr<ClientCredentials> MakeClientCredentials(
    const ClientTlsFiles& files) {
  FEDGE_RETURN_IF_ERROR(RequireTls13());
  FEDGE_ASSIGN_OR_RETURN(
      std::shared_ptr<StaticDataCertificateProvider> provider,
      LoadCertificates(files.ca_cert, files.cert, files.key));
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  // The chain is checked against the federation CA only (not the system
  // roots), then the server's SANs against the target (or override) name.
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  ClientCredentials out;
  out.credentials = grpc::experimental::TlsCredentials(options);
  if (out.credentials == nullptr) {
    return absl::InternalError("gRPC refused the TLS channel options");
  }
  if (!files.server_name.empty()) {
    out.args.SetSslTargetNameOverride(files.server_name);
  }
  return out;
}

absl::StatusOr<pki::PeerIdentity> PeerFromContext(
    const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError(
        "the connection carries no verified client certificate");
  }
  std::vector<grpc::string_ref> certs =
      auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (certs.empty()) {
    return absl::UnauthenticatedError(
        "the connection carries no client certificate");
  }
  absl::StatusOr<pki::PeerIdentity> identity = pki::IdentityFromPem(
      absl::string_view(certs.front().data(), certs.front().size()));
  if (!identity.ok()) {
    return absl::UnauthenticatedError(identity.status().message());
  }
  return identity;
}

}  // namespace fedge::net
