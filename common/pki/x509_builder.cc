#include "common/pki/x509_builder.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <ctime>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "common/pki/identity.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::pki {
namespace {

// A CRL's nextUpdate. fedge servers re-read the CRL whenever the file changes
// and do not expire it; the field is for other tools that check CRLs.
constexpr absl::Duration kCrlLifetime = absl::Hours(24 * 365);

// Holds key material and wipes it when it goes out of scope.
class SecretString {
 public:
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  ~SecretString() { OPENSSL_cleanse(value_.data(), value_.size()); }
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  const std::string& get() const { return value_; }

 private:
  std::string value_;
};

absl::StatusOr<ASN1_TIMEPtr> Asn1Time(absl::Time t) {
  ASN1_TIMEPtr out(ASN1_TIME_set(nullptr, absl::ToTimeT(t)));
  if (out == nullptr) return OpenSslError("cannot encode time");
  return out;
}

// 128 bits from OpenSSL's DRBG, as a positive, non-zero INTEGER.
absl::StatusOr<ASN1_INTEGERPtr> RandomSerial() {
  unsigned char bytes[16];
  do {
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
      return OpenSslError("cannot draw a serial number");
    }
  } while (std::all_of(std::begin(bytes), std::end(bytes),
                       [](unsigned char b) { return b == 0; }));
  BIGNUMPtr bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (bn == nullptr) return OpenSslError("BN_bin2bn");
  ASN1_INTEGERPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (serial == nullptr) return OpenSslError("BN_to_ASN1_INTEGER");
  return serial;
}

absl::StatusOr<X509_NAMEPtr> MakeName(const std::string& organization,
                                      const std::string& unit,
                                      const std::string& common_name) {
  X509_NAMEPtr name(X509_NAME_new());
  auto add = [&](int nid, const std::string& value) {
    return value.empty() ||
           X509_NAME_add_entry_by_NID(
               name.get(), nid, MBSTRING_UTF8,
               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
               0) == 1;
  };
  if (name == nullptr || !add(NID_organizationName, organization) ||
      !add(NID_organizationalUnitName, unit) ||
      !add(NID_commonName, common_name)) {
    return OpenSslError(absl::StrCat("cannot build subject CN=", common_name));
  }
  return name;
}

absl::Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid,
                          const char* value) {
  X509_EXTENSIONPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(
        absl::StrCat("cannot add extension ", OBJ_nid2sn(nid), "=", value));
  }
  return absl::OkStatus();
}

}  // namespace

// PKCS#8 PEM; the buffer is secure memory so it is wiped when freed.
absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key) {
  BIOPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return OpenSslError("cannot encode private key");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> CertificatePem(X509* cert) {
  BIOPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslError("cannot encode certificate");
  }
  return BioContents(bio.get());
}

// ---- Keys ----

absl::StatusOr<EVP_PKEYPtr> GenerateP256Key() {
  EVP_PKEYPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) return OpenSslError("cannot make a P-256 key");
  return key;
}

absl::StatusOr<EVP_PKEYPtr> GenerateEd25519Key() {
  EVP_PKEYPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (key == nullptr) return OpenSslError("cannot make an Ed25519 key");
  return key;
}

absl::StatusOr<std::string> PublicKeyPem(EVP_PKEY* key) {
  BIOPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return OpenSslError("cannot encode public key");
  }
  return BioContents(bio.get());
}

absl::StatusOr<EVP_PKEYPtr> ParsePrivateKey(absl::string_view pem,
                                            const std::string& path) {
  BIOPtr bio = ReadBio(pem);
  EVP_PKEYPtr key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        " is not an unencrypted PEM private key (expected -----BEGIN "
        "PRIVATE KEY-----)"));
  }
  return key;
}

absl::StatusOr<EVP_PKEYPtr> ReadPrivateKey(const std::string& path) {
  FEDGE_RETURN_IF_ERROR(util::CheckPrivateFile(path));
  FEDGE_ASSIGN_OR_RETURN(std::string pem, util::ReadFile(path));
  SecretString secret(std::move(pem));
  return ParsePrivateKey(secret.get(), path);
}

absl::Status WritePrivateKey(const std::string& path, EVP_PKEY* key) {
  FEDGE_ASSIGN_OR_RETURN(std::string pem, PrivateKeyPem(key));
  SecretString secret(std::move(pem));
  return util::WriteFileAtomically(path, secret.get(), 0600);
}

// ---- Certificates ----

absl::StatusOr<X509Ptr> ParseCertificate(absl::string_view pem,
                                         const std::string& path) {
  BIOPtr bio = ReadBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        " is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)"));
  }
  return cert;
}

absl::Status WriteCertificate(const std::string& path, X509* cert) {
  FEDGE_ASSIGN_OR_RETURN(std::string pem, CertificatePem(cert));
  return util::WriteFileAtomically(path, pem, 0644);
}

std::string SerialHex(const ASN1_INTEGER* serial) {
  BIGNUMPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return "";
  std::string out = NormalizeSerialHex(hex);
  OPENSSL_free(hex);
  return out;
}

absl::StatusOr<absl::Time> FromAsn1Time(const ASN1_TIME* t) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return OpenSslError("cannot decode time");
  return absl::FromTimeT(timegm(&tm));
}

absl::Status AddGeneralName(GENERAL_NAMES* names, int type,
                            const std::string& value) {
  ASN1_STRING* data = nullptr;
  if (type == GEN_IPADD) {
    data = a2i_IPADDRESS(value.c_str());
  } else {
    data = ASN1_IA5STRING_new();
    if (data != nullptr &&
        ASN1_STRING_set(data, value.data(), static_cast<int>(value.size())) !=
            1) {
      ASN1_STRING_free(data);
      data = nullptr;
    }
  }
  GENERAL_NAME* name = data == nullptr ? nullptr : GENERAL_NAME_new();
  if (name == nullptr) {
    ASN1_STRING_free(data);
    return OpenSslError(absl::StrCat("cannot encode subjectAltName ", value));
  }
  GENERAL_NAME_set0_value(name, type, data);
  if (sk_GENERAL_NAME_push(names, name) == 0) {
    GENERAL_NAME_free(name);
    return OpenSslError("sk_GENERAL_NAME_push");
  }
  return absl::OkStatus();
}

absl::StatusOr<X509Ptr> MakeCertificate(const CertSpec& spec) {
  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509_new");
  FEDGE_ASSIGN_OR_RETURN(ASN1_INTEGERPtr serial, RandomSerial());
  FEDGE_ASSIGN_OR_RETURN(
      X509_NAMEPtr subject,
      MakeName(spec.organization, spec.unit, spec.common_name));
  FEDGE_ASSIGN_OR_RETURN(ASN1_TIMEPtr not_before, Asn1Time(spec.not_before));
  FEDGE_ASSIGN_OR_RETURN(ASN1_TIMEPtr not_after, Asn1Time(spec.not_after));
  X509* issuer = spec.issuer != nullptr ? spec.issuer : cert.get();
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(cert.get(), spec.issuer != nullptr
                                           ? X509_get_subject_name(spec.issuer)
                                           : subject.get()) != 1 ||
      X509_set1_notBefore(cert.get(), not_before.get()) != 1 ||
      X509_set1_notAfter(cert.get(), not_after.get()) != 1 ||
      X509_set_pubkey(cert.get(), spec.subject_key) != 1) {
    return OpenSslError("cannot fill in certificate");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : spec.extensions) {
    FEDGE_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, nid, value));
  }
  // SKID before AKID: a self-signed certificate's AKID is its own SKID.
  FEDGE_RETURN_IF_ERROR(
      AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  FEDGE_RETURN_IF_ERROR(AddExtension(
      cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  if (spec.alt_names != nullptr &&
      X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, spec.alt_names, 0,
                        X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("cannot add subjectAltName");
  }
  if (X509_sign(cert.get(), spec.issuer_key, EVP_sha256()) <= 0) {
    return OpenSslError(
        absl::StrCat("cannot sign certificate CN=", spec.common_name));
  }
  return cert;
}

absl::StatusOr<Leaf> MakeLeaf(X509* ca_cert, EVP_PKEY* ca_key,
                              const std::string& organization,
                              absl::Time ca_not_after, const std::string& role,
                              const std::string& common_name,
                              const char* extended_key_usage,
                              GENERAL_NAMES* alt_names, int validity_days,
                              absl::Time now) {
  // Tolerates clocks a few minutes behind the issuer's.
  constexpr absl::Duration kClockSkew = absl::Minutes(5);
  Leaf leaf;
  FEDGE_ASSIGN_OR_RETURN(leaf.key, GenerateP256Key());
  CertSpec spec;
  spec.organization = organization;
  spec.unit = role;
  spec.common_name = common_name;
  spec.subject_key = leaf.key.get();
  spec.issuer = ca_cert;
  spec.issuer_key = ca_key;
  spec.not_before = now - kClockSkew;
  spec.not_after =
      std::min(now + absl::Hours(24) * validity_days, ca_not_after);
  spec.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature"},
                     {NID_ext_key_usage, extended_key_usage}};
  spec.alt_names = alt_names;
  FEDGE_ASSIGN_OR_RETURN(leaf.cert, MakeCertificate(spec));
  leaf.not_after = spec.not_after;
  return leaf;
}

// ---- Revocation lists ----

absl::StatusOr<X509_CRLPtr> ReadCrl(const std::string& path, EVP_PKEY* ca_key) {
  FEDGE_ASSIGN_OR_RETURN(std::string pem, util::ReadFile(path));
  BIOPtr bio = ReadBio(pem);
  X509_CRLPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (crl == nullptr) {
    ERR_clear_error();
    return absl::DataLossError(absl::StrCat(
        path, " is not a PEM CRL (expected -----BEGIN X509 CRL-----)"));
  }
  if (X509_CRL_verify(crl.get(), ca_key) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not signed by the federation CA"));
  }
  return crl;
}

bool CrlHasSerial(X509_CRL* crl, const ASN1_INTEGER* serial) {
  const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    if (ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(entry), serial) == 0) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::string> SignCrl(X509* ca_cert, EVP_PKEY* ca_key,
                                    X509_CRL* previous,
                                    const ASN1_INTEGER* revoke,
                                    absl::Time now) {
  X509_CRLPtr crl(X509_CRL_new());
  if (crl == nullptr) return OpenSslError("X509_CRL_new");
  FEDGE_ASSIGN_OR_RETURN(ASN1_TIMEPtr this_update, Asn1Time(now));
  FEDGE_ASSIGN_OR_RETURN(ASN1_TIMEPtr next_update,
                         Asn1Time(now + kCrlLifetime));
  if (X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_cert)) !=
          1 ||
      X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) != 1) {
    return OpenSslError("cannot fill in CRL");
  }
  long number = 1;
  if (previous != nullptr) {
    ASN1_INTEGERPtr old_number(static_cast<ASN1_INTEGER*>(
        X509_CRL_get_ext_d2i(previous, NID_crl_number, nullptr, nullptr)));
    if (old_number != nullptr) number = ASN1_INTEGER_get(old_number.get()) + 1;
    const STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(previous);
    for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
      X509_REVOKEDPtr copy(X509_REVOKED_dup(sk_X509_REVOKED_value(entries, i)));
      if (copy == nullptr ||
          X509_CRL_add0_revoked(crl.get(), copy.get()) != 1) {
        return OpenSslError("cannot copy CRL entry");
      }
      copy.release();  // owned by the CRL now
    }
  }
  if (revoke != nullptr) {
    X509_REVOKEDPtr entry(X509_REVOKED_new());
    if (entry == nullptr ||
        X509_REVOKED_set_serialNumber(entry.get(),
                                      const_cast<ASN1_INTEGER*>(revoke)) != 1 ||
        X509_REVOKED_set_revocationDate(entry.get(), this_update.get()) != 1 ||
        X509_CRL_add0_revoked(crl.get(), entry.get()) != 1) {
      return OpenSslError("cannot add CRL entry");
    }
    entry.release();
  }
  ASN1_INTEGERPtr crl_number(ASN1_INTEGER_new());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert, nullptr, nullptr, crl.get(), 0);
  X509_EXTENSIONPtr akid(X509V3_EXT_nconf_nid(
      nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (crl_number == nullptr ||
      ASN1_INTEGER_set(crl_number.get(), number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0,
                            X509V3_ADD_DEFAULT) != 1 ||
      akid == nullptr || X509_CRL_add_ext(crl.get(), akid.get(), -1) != 1 ||
      X509_CRL_sort(crl.get()) != 1 ||
      X509_CRL_sign(crl.get(), ca_key, EVP_sha256()) <= 0) {
    return OpenSslError("cannot sign CRL");
  }
  BIOPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) {
    return OpenSslError("cannot encode CRL");
  }
  return BioContents(bio.get());
}

}  // namespace fedge::pki
