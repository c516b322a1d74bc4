#ifndef FEDGE_COMMON_PKI_X509_BUILDER_H_
#define FEDGE_COMMON_PKI_X509_BUILDER_H_

// Internal to common/pki: the OpenSSL work behind the certificate authority.
// Keys (made with the EVP API), certificates and CRLs: building, signing,
// encoding and parsing. Errors that name a file say what it should contain.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/pki/openssl_util.h"

namespace fedge::pki {

// ---- Keys ----

// A new ECDSA P-256 key, for everything that speaks TLS.
absl::StatusOr<EVP_PKEYPtr> GenerateP256Key();

// A new Ed25519 key.
absl::StatusOr<EVP_PKEYPtr> GenerateEd25519Key();

// The public half of `key` as PEM (-----BEGIN PUBLIC KEY-----).
absl::StatusOr<std::string> PublicKeyPem(EVP_PKEY* key);

// Parses an unencrypted PEM private key; InvalidArgument naming `path` if it
// is not one.
absl::StatusOr<EVP_PKEYPtr> ParsePrivateKey(absl::string_view pem,
                                            const std::string& path);

// Reads a private key file, refusing one that group or others can read
// (util::CheckPrivateFile). The PEM text is wiped from memory after parsing.
absl::StatusOr<EVP_PKEYPtr> ReadPrivateKey(const std::string& path);

// Writes `key` as PKCS#8 PEM to `path`, atomically and mode 0600. The PEM
// text is wiped from memory after writing.
absl::Status WritePrivateKey(const std::string& path, EVP_PKEY* key);

// ---- Certificates ----

// Parses a PEM certificate; InvalidArgument naming `path` if it is not one.
absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view pem,
                                         const std::string& path);

// Writes `cert` as PEM to `path`, atomically and mode 0644.
absl::Status WriteCertificate(const std::string& path, X509* cert);

// The serial number as lower-case hex without leading zeros
// (NormalizeSerialHex), or "" if it cannot be read.
std::string SerialHex(const ASN1_INTEGER* serial);

// The time an ASN1_TIME denotes, to the second.
absl::StatusOr<absl::Time> FromAsn1Time(const ASN1_TIME* t);

// Appends one subjectAltName entry to `names`: `type` is GEN_DNS, GEN_IPADD
// (`value` an IPv4 or IPv6 literal) or GEN_URI.
absl::Status AddGeneralName(GENERAL_NAMES* names, int type,
                            const std::string& value);

// What a new certificate says about its holder and who signs it.
struct CertSpec {
  std::string organization;
  std::string unit;  // fedge role, or "" for the CA
  std::string common_name;
  EVP_PKEY* subject_key = nullptr;
  X509* issuer = nullptr;  // nullptr: self-signed
  EVP_PKEY* issuer_key = nullptr;
  absl::Time not_before;
  absl::Time not_after;
  // Extensions other than SKID, AKID and subjectAltName, as openssl.cnf values.
  std::vector<std::pair<int, const char*>> extensions;
  GENERAL_NAMES* alt_names = nullptr;  // optional
};

// An X.509 v3 certificate as `spec` describes it, with a random 128-bit
// serial, subject and authority key identifiers, signed with SHA-256 by
// `spec.issuer_key`.
absl::StatusOr<X509Ptr> MakeCertificate(const CertSpec& spec);

// A fresh P-256 key and an end-entity certificate for it signed by the CA:
// subject O=`organization`, OU=`role`, CN=`common_name`; CA:FALSE,
// digitalSignature, the given extended key usage and optional SANs; valid
// from `now` minus a few minutes of clock skew to `now` + validity_days, but
// never past `ca_not_after`.
struct Leaf {
  EVP_PKEYPtr key;
  X509Ptr cert;
  absl::Time not_after;
};
absl::StatusOr<Leaf> MakeLeaf(X509* ca_cert, EVP_PKEY* ca_key,
                              const std::string& organization,
                              absl::Time ca_not_after, const std::string& role,
                              const std::string& common_name,
                              const char* extended_key_usage,
                              GENERAL_NAMES* alt_names, int validity_days,
                              absl::Time now);

// PEM encodings (the private key as PKCS#8).
absl::StatusOr<std::string> CertificatePem(X509* cert);
absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key);

// ---- Revocation lists ----

// Reads the PEM CRL at `path` and checks its signature with `ca_key`:
// DataLoss if the file is not a CRL, FailedPrecondition if another key
// signed it.
absl::StatusOr<X509_CRLPtr> ReadCrl(const std::string& path, EVP_PKEY* ca_key);

// Whether `crl` lists `serial`.
bool CrlHasSerial(X509_CRL* crl, const ASN1_INTEGER* serial);

// A PEM CRL issued by `ca_cert` and signed with `ca_key`, listing the entries
// of `previous` (if not null) plus `revoke` (if not null, revoked at `now`),
// numbered one past `previous`. Valid from `now` for a year.
absl::StatusOr<std::string> SignCrl(X509* ca_cert, EVP_PKEY* ca_key,
                                    X509_CRL* previous,
                                    const ASN1_INTEGER* revoke, absl::Time now);

}  // namespace fedge::pki

#endif  // FEDGE_COMMON_PKI_X509_BUILDER_H_
