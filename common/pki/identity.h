#ifndef FEDGE_COMMON_PKI_IDENTITY_H_
#define FEDGE_COMMON_PKI_IDENTITY_H_

// Who a certificate says its holder is. fedge certificates carry the holder's
// role in the subject's organizationalUnitName and its id in the commonName:
//   O=fedge federation <name>, OU=device, CN=<device id>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/sha256.h"

namespace fedge::pki {

// kSimulator: a fleet simulator, which may act for the virtual clients it
// simulates on a server that accepts virtual clients (never by default).
enum class Role { kServer, kAdmin, kDevice, kSimulator };

// "server" / "admin" / "device" / "simulator".
absl::string_view RoleName(Role role);
absl::StatusOr<Role> ParseRole(absl::string_view name);

struct PeerIdentity {
  std::string id;                  // subject CN
  Role role = Role::kDevice;       // subject OU
  std::string serial_hex;          // certificate serial, lower-case hex
  std::string fingerprint_sha256;  // SHA-256 of the DER certificate, hex
  std::string certificate_pem;     // the (leaf) certificate itself, PEM
};

// Parses a PEM certificate (the first one, if a chain is given).
// InvalidArgument if it is not a certificate or lacks a fedge role or id.
absl::StatusOr<PeerIdentity> IdentityFromPem(absl::string_view cert_pem);

// SHA-256 of a PEM certificate's DER encoding (its fingerprint); any
// certificate, fedge role or not.
absl::StatusOr<crypto::Sha256Digest> CertificateSha256(
    absl::string_view cert_pem);

// Device ids become file names and log fields: 1-64 characters of
// [A-Za-z0-9._-], not starting with '.' or '-'.
bool IsValidClientId(absl::string_view id);

// A certificate serial number in fedge's canonical form: lower-case hex
// without leading zeros ("0" for zero). Also accepts upper-case digits (as
// `openssl x509 -serial` prints them) and colon-separated bytes (as browsers
// do), so an operator may paste either. Returns "" for anything else.
std::string NormalizeSerialHex(absl::string_view hex);

}  // namespace fedge::pki

#endif  // FEDGE_COMMON_PKI_IDENTITY_H_
