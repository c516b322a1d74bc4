#ifndef FEDGE_COMMON_PKI_CERTIFICATE_AUTHORITY_H_
#define FEDGE_COMMON_PKI_CERTIFICATE_AUTHORITY_H_

// A federation CA loaded for issuing: its certificate and private key.
// Internal to common/pki.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pki/authority.h"
#include "common/pki/openssl_util.h"

namespace fedge::pki {

struct CertificateAuthority {
  X509Ptr cert;
  EVP_PKEYPtr key;
  std::string organization;  // subject O, copied into issued certificates
  absl::Time not_after;
};

// Loads ca.crt and ca.key of a PKI directory (the key must be 0600 and
// belong to the certificate). FailedPrecondition, saying what to run, if the
// directory has no CA.
absl::StatusOr<CertificateAuthority> LoadCertificateAuthority(
    const PkiPaths& paths);

}  // namespace fedge::pki

#endif  // FEDGE_COMMON_PKI_CERTIFICATE_AUTHORITY_H_
