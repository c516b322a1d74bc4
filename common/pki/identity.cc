#include "common/pki/identity.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/pki/openssl_util.h"
#include "common/util/status_macros.h"

namespace fedge::pki {
namespace {

// The UTF-8 value of the first `nid` entry of `name`, or "" if absent.
std::string NameEntry(const X509_NAME* name, int nid) {
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return "";
  const ASN1_STRING* data =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

// SHA-256 of the certificate's DER encoding.
absl::StatusOr<crypto::Sha256Digest> DerSha256(X509* cert) {
  unsigned char* der = nullptr;
  int der_len = i2d_X509(cert, &der);
  if (der_len <= 0) return absl::InternalError("i2d_X509 failed");
  crypto::Sha256Digest digest = crypto::Sha256(absl::string_view(
      reinterpret_cast<const char*>(der), static_cast<size_t>(der_len)));
  OPENSSL_free(der);
  return digest;
}

X509Ptr ParsePemCertificate(absl::string_view cert_pem) {
  BIOPtr bio = ReadBio(cert_pem);
  if (bio == nullptr) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

constexpr char kNotPem[] =
    "not a PEM certificate (expected -----BEGIN CERTIFICATE-----)";

}  // namespace

absl::StatusOr<crypto::Sha256Digest> CertificateSha256(
    absl::string_view cert_pem) {
  X509Ptr cert = ParsePemCertificate(cert_pem);
  if (cert == nullptr) return absl::InvalidArgumentError(kNotPem);
  return DerSha256(cert.get());
}

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kServer:
      return "server";
    case Role::kAdmin:
      return "admin";
    case Role::kDevice:
      return "device";
    case Role::kSimulator:
      return "simulator";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  if (name == "server") return Role::kServer;
  if (name == "admin") return Role::kAdmin;
  if (name == "device") return Role::kDevice;
  if (name == "simulator") return Role::kSimulator;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown role '", name,
                   "' (expected server, admin, device or "
                   "simulator)"));
}

absl::StatusOr<PeerIdentity> IdentityFromPem(absl::string_view cert_pem) {
  X509Ptr cert = ParsePemCertificate(cert_pem);
  if (cert == nullptr) return absl::InvalidArgumentError(kNotPem);

  const X509_NAME* subject = X509_get_subject_name(cert.get());
  PeerIdentity identity;
  identity.id = NameEntry(subject, NID_commonName);
  std::string role = NameEntry(subject, NID_organizationalUnitName);
  if (identity.id.empty()) {
    return absl::InvalidArgumentError(
        "certificate subject has no commonName: not a fedge certificate");
  }
  absl::StatusOr<Role> parsed_role = ParseRole(role);
  if (!parsed_role.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "certificate of '", identity.id, "' has no fedge role: subject OU is '",
        role, "', expected server, admin, device or simulator"));
  }
  identity.role = *parsed_role;

  BIGNUMPtr serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (serial == nullptr) {
    return absl::InvalidArgumentError("certificate serial number is invalid");
  }
  char* hex = BN_bn2hex(serial.get());
  if (hex == nullptr) return absl::InternalError("BN_bn2hex failed");
  identity.serial_hex = NormalizeSerialHex(hex);
  OPENSSL_free(hex);
  if (identity.serial_hex.empty()) {  // negative: BN_bn2hex wrote a '-'
    return absl::InvalidArgumentError("certificate serial number is negative");
  }

  FEDGE_ASSIGN_OR_RETURN(crypto::Sha256Digest digest, DerSha256(cert.get()));
  identity.fingerprint_sha256 = crypto::ToHex(digest);

  BIOPtr out(BIO_new(BIO_s_mem()));
  if (out == nullptr || PEM_write_bio_X509(out.get(), cert.get()) != 1) {
    return absl::InternalError("PEM_write_bio_X509 failed");
  }
  char* pem = nullptr;
  long pem_len = BIO_get_mem_data(out.get(), &pem);
  identity.certificate_pem.assign(pem, static_cast<size_t>(pem_len));
  return identity;
}

bool IsValidClientId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  if (id.front() == '.' || id.front() == '-') return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

std::string NormalizeSerialHex(absl::string_view hex) {
  std::string out;
  out.reserve(hex.size());
  for (char c : hex) {
    if (c == ':') continue;
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return "";
    char lower = absl::ascii_tolower(static_cast<unsigned char>(c));
    if (out.empty() && lower == '0') continue;  // leading zero
    out.push_back(lower);
  }
  if (out.empty()) {
    // All zeros is the serial 0; nothing at all is not a serial.
    return hex.find('0') == absl::string_view::npos ? "" : "0";
  }
  return out;
}

}  // namespace fedge::pki
