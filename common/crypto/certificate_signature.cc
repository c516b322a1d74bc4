#include "common/crypto/certificate_signature.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/openssl_util.h"
#include "common/util/status_macros.h"

namespace fedge::crypto {
namespace {

using internal::MdCtxPtr;
using internal::PkeyCtxPtr;
using internal::PkeyPtr;
using internal::WithOpenSslErrors;
using internal::X509Ptr;

constexpr char kP256GroupName[] = "prime256v1";
constexpr size_t kP256PointBytes = 65;

int NoPassword(char*, int, int, void*) { return -1; }

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// OK if `key` is an EC key on P-256; InvalidArgument naming `what` if not.
absl::Status CheckIsP256(EVP_PKEY* key, absl::string_view what) {
  char group[64] = {};
  size_t group_len = 0;
  if (!EVP_PKEY_is_a(key, "EC") ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                     sizeof(group), &group_len) != 1 ||
      std::strcmp(group, kP256GroupName) != 0) {
    internal::DrainOpenSslErrors();
    const char* type = EVP_PKEY_get0_type_name(key);
    return absl::InvalidArgumentError(absl::StrCat(
        what, " is not an ECDSA P-256 key (found ",
        type == nullptr ? "an unknown type" : type,
        group[0] != '\0' ? absl::StrCat(" on ", group) : std::string(),
        "); federation keys are P-256, as made by `fedge pki`"));
  }
  return absl::OkStatus();
}

absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view pem,
                                         absl::string_view what) {
  internal::BioPtr bio = internal::ReadOnlyBio(pem);
  if (bio == nullptr) return absl::InternalError("cannot read PEM text");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassword, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(WithOpenSslErrors(
        absl::StrCat(what,
                     " is not a PEM certificate (expected -----BEGIN "
                     "CERTIFICATE-----)")));
  }
  return cert;
}

// Verifies a DER ECDSA signature over SHA-256(message) with `key`.
absl::Status VerifyEcdsaSha256(EVP_PKEY* key, absl::string_view message,
                               absl::string_view signature_der) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr,
                              key, nullptr) != 1) {
    return absl::InternalError(
        WithOpenSslErrors("ECDSA verification setup failed"));
  }
  // 0 is a wrong signature, a negative value a malformed one; both mean the
  // signature does not hold.
  int result =
      EVP_DigestVerify(ctx.get(), Bytes(signature_der), signature_der.size(),
                       Bytes(message), message.size());
  internal::DrainOpenSslErrors();
  if (result != 1) {
    return absl::PermissionDeniedError(
        "ECDSA P-256/SHA-256 signature does not verify for this message and "
        "key");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> SignWithPrivateKeyPem(
    absl::string_view private_key_pem, absl::string_view message) {
  internal::BioPtr bio = internal::ReadOnlyBio(private_key_pem);
  if (bio == nullptr) return absl::InternalError("cannot read PEM text");
  PkeyPtr key(PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, NoPassword,
                                         nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(WithOpenSslErrors(
        "not an unencrypted PEM private key (expected PKCS#8 -----BEGIN "
        "PRIVATE KEY----- or SEC1 -----BEGIN EC PRIVATE KEY-----)"));
  }
  FEDGE_RETURN_IF_ERROR(CheckIsP256(key.get(), "the private key"));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr,
                            key.get(), nullptr) != 1) {
    return absl::InternalError(WithOpenSslErrors("ECDSA signing setup failed"));
  }
  size_t max_len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &max_len, Bytes(message),
                     message.size()) != 1) {
    return absl::InternalError(WithOpenSslErrors("ECDSA signing failed"));
  }
  std::string signature(max_len, '\0');
  size_t len = max_len;
  if (EVP_DigestSign(ctx.get(),
                     reinterpret_cast<unsigned char*>(signature.data()), &len,
                     Bytes(message), message.size()) != 1) {
    return absl::InternalError(WithOpenSslErrors("ECDSA signing failed"));
  }
  signature.resize(len);
  return signature;
}

absl::Status VerifyWithCertificate(absl::string_view certificate_pem,
                                   absl::string_view message,
                                   absl::string_view signature_der) {
  FEDGE_ASSIGN_OR_RETURN(X509Ptr cert,
                         ParseCertificate(certificate_pem, "the certificate"));
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        WithOpenSslErrors("the certificate's public key cannot be read"));
  }
  FEDGE_RETURN_IF_ERROR(CheckIsP256(key, "the certificate's public key"));
  return VerifyEcdsaSha256(key, message, signature_der);
}

absl::Status VerifyCertificateChain(absl::string_view certificate_pem,
                                    absl::string_view ca_pem) {
  FEDGE_ASSIGN_OR_RETURN(X509Ptr cert,
                         ParseCertificate(certificate_pem, "the certificate"));
  FEDGE_ASSIGN_OR_RETURN(X509Ptr ca,
                         ParseCertificate(ca_pem, "the CA certificate"));
  internal::X509StorePtr store(X509_STORE_new());
  internal::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (store == nullptr || ctx == nullptr ||
      X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return absl::InternalError(
        WithOpenSslErrors("certificate verification setup failed"));
  }
  // Validity is checked against the current time (OpenSSL's default).
  int ok = X509_verify_cert(ctx.get());
  internal::DrainOpenSslErrors();
  if (ok != 1) {
    int error = X509_STORE_CTX_get_error(ctx.get());
    return absl::PermissionDeniedError(absl::StrCat(
        "certificate not accepted by the federation CA: ",
        X509_verify_cert_error_string(error),
        " (check that it was issued by this federation's CA and has not "
        "expired)"));
  }
  return absl::OkStatus();
}

absl::Status VerifyEcdsaP256Sha256(absl::string_view public_point,
                                   absl::string_view message,
                                   absl::string_view signature_der) {
  if (public_point.size() != kP256PointBytes || public_point[0] != 0x04) {
    return absl::InvalidArgumentError(absl::StrCat(
        "P-256 public key must be an uncompressed SEC1 point (65 bytes "
        "starting with 0x04), got ",
        public_point.size(), " bytes"));
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                       const_cast<char*>(kP256GroupName), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        const_cast<char*>(public_point.data()),
                                        public_point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* raw_key = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return absl::InternalError(WithOpenSslErrors("cannot load a P-256 key"));
  }
  // Import decodes the point and rejects one that is not on the curve.
  if (EVP_PKEY_fromdata(ctx.get(), &raw_key, EVP_PKEY_PUBLIC_KEY, params) !=
      1) {
    return absl::InvalidArgumentError(
        WithOpenSslErrors("not a point on the P-256 curve"));
  }
  PkeyPtr key(raw_key);
  return VerifyEcdsaSha256(key.get(), message, signature_der);
}

}  // namespace fedge::crypto
