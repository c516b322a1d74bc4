#ifndef FEDGE_COMMON_CRYPTO_CERTIFICATE_SIGNATURE_H_
#define FEDGE_COMMON_CRYPTO_CERTIFICATE_SIGNATURE_H_

// Signatures made with a federation member's certificate key (ECDSA P-256
// with SHA-256, DER-encoded signatures), and their verification against the
// federation CA. Secure aggregation uses them so that a client's advertised
// keys are bound to its certificate and the server cannot substitute them.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fedge::crypto {

// Signs `message` with the private key in `private_key_pem` (PKCS#8 or
// SEC1 PEM, ECDSA P-256). Returns the DER signature.
absl::StatusOr<std::string> SignWithPrivateKeyPem(
    absl::string_view private_key_pem, absl::string_view message);

// Verifies a DER ECDSA-SHA256 signature with the public key of the (leaf)
// certificate in `certificate_pem`. PermissionDenied if it does not verify.
absl::Status VerifyWithCertificate(absl::string_view certificate_pem,
                                   absl::string_view message,
                                   absl::string_view signature_der);

// Verifies that `certificate_pem` was issued by the CA in `ca_pem` and is
// within its validity period now. PermissionDenied naming the reason
// (OpenSSL's verification error) otherwise.
absl::Status VerifyCertificateChain(absl::string_view certificate_pem,
                                    absl::string_view ca_pem);

// Verifies a raw ECDSA P-256 signature given the public key as an
// uncompressed SEC1 point (65 bytes, 04 || X || Y) and SHA-256 as the hash.
// For known-answer tests from published vectors.
absl::Status VerifyEcdsaP256Sha256(absl::string_view public_point,
                                   absl::string_view message,
                                   absl::string_view signature_der);

}  // namespace fedge::crypto

#endif  // FEDGE_COMMON_CRYPTO_CERTIFICATE_SIGNATURE_H_
