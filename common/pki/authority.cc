#include "common/pki/authority.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/pki/identity.h"
#include "common/util/clock.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::pki {

std::string PkiPaths::ca_cert() const { return util::JoinPath(dir, "ca.crt"); }
std::string PkiPaths::ca_key() const { return util::JoinPath(dir, "ca.key"); }
std::string PkiPaths::server_cert() const {
  return util::JoinPath(dir, "server.crt");
}
std::string PkiPaths::server_key() const {
  return util::JoinPath(dir, "server.key");
}
std::string PkiPaths::admin_cert() const {
  return util::JoinPath(dir, "admin.crt");
}
std::string PkiPaths::admin_key() const {
  return util::JoinPath(dir, "admin.key");
}
std::string PkiPaths::audit_key() const {
  return util::JoinPath(dir, "audit.key");
}
std::string PkiPaths::audit_pub() const {
  return util::JoinPath(dir, "audit.pub");
}
std::string PkiPaths::crl() const { return util::JoinPath(dir, "crl.pem"); }
std::string PkiPaths::client_cert(const std::string& id) const {
  return util::JoinPath(util::JoinPath(dir, "clients"), id + ".crt");
}
std::string PkiPaths::client_key(const std::string& id) const {
  return util::JoinPath(util::JoinPath(dir, "clients"), id + ".key");
}
std::string PkiPaths::issued_index() const {
  return util::JoinPath(dir, "issued.tsv");
}

namespace {

#define FEDGE_OPENSSL_PTR(Type, free_fn)           \
  struct Type##Deleter {                           \
    void operator()(Type* p) const { free_fn(p); } \
  };                                               \
  using Type##Ptr = std::unique_ptr<Type, Type##Deleter>

FEDGE_OPENSSL_PTR(BIO, BIO_free_all);
FEDGE_OPENSSL_PTR(BIGNUM, BN_free);
FEDGE_OPENSSL_PTR(EVP_PKEY, EVP_PKEY_free);
FEDGE_OPENSSL_PTR(X509, X509_free);
FEDGE_OPENSSL_PTR(X509_CRL, X509_CRL_free);
FEDGE_OPENSSL_PTR(X509_NAME, X509_NAME_free);
FEDGE_OPENSSL_PTR(X509_REVOKED, X509_REVOKED_free);
FEDGE_OPENSSL_PTR(X509_EXTENSION, X509_EXTENSION_free);
FEDGE_OPENSSL_PTR(ASN1_INTEGER, ASN1_INTEGER_free);
FEDGE_OPENSSL_PTR(ASN1_TIME, ASN1_TIME_free);
FEDGE_OPENSSL_PTR(GENERAL_NAMES, GENERAL_NAMES_free);
#undef FEDGE_OPENSSL_PTR

// The CA signs for ten years unless asked for longer; leaves never outlive it.
constexpr int kMinCaValidityDays = 3650;
constexpr int kMaxValidityDays = 36500;
// A CRL's nextUpdate. fedge servers re-read the CRL whenever the file changes
// and do not expire it; the field is for other tools that check CRLs.
constexpr absl::Duration kCrlLifetime = absl::Hours(24 * 365);
// notBefore is back-dated so a peer whose clock runs a little behind accepts
// a certificate issued a moment ago.
constexpr absl::Duration kClockSkew = absl::Minutes(5);
constexpr size_t kMaxFederationName = 40;

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

// Drains OpenSSL's error queue into a status message.
absl::Status OpenSslError(absl::string_view what) {
  std::vector<std::string> errors;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    errors.emplace_back(buf);
  }
  return absl::InternalError(absl::StrCat(what, errors.empty() ? "" : ": ",
                                          absl::StrJoin(errors, "; ")));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

BIOPtr ReadBio(absl::string_view data) {
  return BIOPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// ECDSA P-256 for everything that speaks TLS.
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

absl::StatusOr<std::string> PublicKeyPem(EVP_PKEY* key) {
  BIOPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return OpenSslError("cannot encode public key");
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

// Reads a private key file, refusing one that group or others can read.
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

absl::Status WriteCertificate(const std::string& path, X509* cert) {
  FEDGE_ASSIGN_OR_RETURN(std::string pem, CertificatePem(cert));
  return util::WriteFileAtomically(path, pem, 0644);
}

absl::StatusOr<ASN1_TIMEPtr> Asn1Time(absl::Time t) {
  ASN1_TIMEPtr out(ASN1_TIME_set(nullptr, absl::ToTimeT(t)));
  if (out == nullptr) return OpenSslError("cannot encode time");
  return out;
}

absl::StatusOr<absl::Time> FromAsn1Time(const ASN1_TIME* t) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return OpenSslError("cannot decode time");
  return absl::FromTimeT(timegm(&tm));
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
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

std::string SerialHex(const ASN1_INTEGER* serial) {
  BIGNUMPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return "";
  std::string out = NormalizeSerialHex(hex);
  OPENSSL_free(hex);
  return out;
}

std::string NameEntry(const X509_NAME* name, int nid) {
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return "";
  const ASN1_STRING* data =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
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

// One subjectAltName entry: `type` is GEN_DNS, GEN_IPADD or GEN_URI.
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

bool IsIpAddress(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

bool IsDnsName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  absl::string_view rest = name;
  if (absl::StartsWith(rest, "*.")) rest.remove_prefix(2);  // wildcard
  if (rest.empty() || rest.front() == '.' || rest.front() == '-') return false;
  for (char c : rest) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
        c != '.') {
      return false;
    }
  }
  return true;
}

absl::Status CheckValidityDays(int days) {
  if (days < 1 || days > kMaxValidityDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("validity of ", days, " days is out of range: use 1 to ",
                     kMaxValidityDays));
  }
  return absl::OkStatus();
}

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

struct Ca {
  X509Ptr cert;
  EVP_PKEYPtr key;
  std::string organization;
  absl::Time not_after;
};

absl::StatusOr<Ca> LoadCa(const PkiPaths& paths) {
  if (!util::PathExists(paths.ca_cert())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no federation CA in ", paths.dir, " (", paths.ca_cert(),
        " is missing): run `fedge pki init --dir ", paths.dir, "` first"));
  }
  FEDGE_ASSIGN_OR_RETURN(std::string pem, util::ReadFile(paths.ca_cert()));
  Ca ca;
  FEDGE_ASSIGN_OR_RETURN(ca.cert, ParseCertificate(pem, paths.ca_cert()));
  FEDGE_ASSIGN_OR_RETURN(ca.key, ReadPrivateKey(paths.ca_key()));
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(
        absl::StrCat(paths.ca_key(), " is not the key of ", paths.ca_cert()));
  }
  ca.organization =
      NameEntry(X509_get_subject_name(ca.cert.get()), NID_organizationName);
  FEDGE_ASSIGN_OR_RETURN(ca.not_after,
                         FromAsn1Time(X509_get0_notAfter(ca.cert.get())));
  return ca;
}

// ---- issued.tsv ----

constexpr char kIndexHeader[] = "# serial\trole\tid\tnot_after\tstatus\n";
constexpr char kActive[] = "active";
constexpr char kRevoked[] = "revoked";

struct IssuedRecord {
  std::string serial;
  std::string role;
  std::string id;
  std::string not_after;
  std::string status;
};

absl::StatusOr<std::vector<IssuedRecord>> ReadIndex(const std::string& path) {
  absl::StatusOr<std::string> text = util::ReadFile(path);
  if (absl::IsNotFound(text.status())) return std::vector<IssuedRecord>();
  if (!text.ok()) return text.status();
  std::vector<IssuedRecord> records;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    if (fields.size() != 5) {
      return absl::DataLossError(
          absl::StrCat(path, ":", line_number,
                       ": expected 5 tab-separated fields (serial, "
                       "role, id, not_after, status), found ",
                       fields.size()));
    }
    records.push_back({fields[0], fields[1], fields[2], fields[3], fields[4]});
  }
  return records;
}

absl::Status WriteIndex(const std::string& path,
                        const std::vector<IssuedRecord>& records) {
  std::string text = kIndexHeader;
  for (const IssuedRecord& r : records) {
    absl::StrAppend(
        &text,
        absl::StrJoin({r.serial, r.role, r.id, r.not_after, r.status}, "\t"),
        "\n");
  }
  return util::WriteFileAtomically(path, text, 0644);
}

IssuedRecord RecordOf(X509* cert, absl::string_view role, absl::string_view id,
                      absl::Time not_after) {
  return {SerialHex(X509_get0_serialNumber(cert)), std::string(role),
          std::string(id), Rfc3339(not_after), kActive};
}

// ---- CRL ----

absl::StatusOr<X509_CRLPtr> ReadCrl(const std::string& path, const Ca& ca) {
  FEDGE_ASSIGN_OR_RETURN(std::string pem, util::ReadFile(path));
  BIOPtr bio = ReadBio(pem);
  X509_CRLPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (crl == nullptr) {
    ERR_clear_error();
    return absl::DataLossError(absl::StrCat(
        path, " is not a PEM CRL (expected -----BEGIN X509 CRL-----)"));
  }
  if (X509_CRL_verify(crl.get(), ca.key.get()) != 1) {
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

// A CRL listing the entries of `previous` (if any) plus `revoke` (if any),
// numbered one past `previous`, signed by the CA.
absl::StatusOr<std::string> SignCrl(const Ca& ca, X509_CRL* previous,
                                    const ASN1_INTEGER* revoke,
                                    absl::Time now) {
  X509_CRLPtr crl(X509_CRL_new());
  if (crl == nullptr) return OpenSslError("X509_CRL_new");
  FEDGE_ASSIGN_OR_RETURN(ASN1_TIMEPtr this_update, Asn1Time(now));
  FEDGE_ASSIGN_OR_RETURN(ASN1_TIMEPtr next_update,
                         Asn1Time(now + kCrlLifetime));
  if (X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(),
                               X509_get_subject_name(ca.cert.get())) != 1 ||
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
  X509V3_set_ctx(&ctx, ca.cert.get(), nullptr, nullptr, crl.get(), 0);
  X509_EXTENSIONPtr akid(X509V3_EXT_nconf_nid(
      nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (crl_number == nullptr ||
      ASN1_INTEGER_set(crl_number.get(), number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0,
                            X509V3_ADD_DEFAULT) != 1 ||
      akid == nullptr || X509_CRL_add_ext(crl.get(), akid.get(), -1) != 1 ||
      X509_CRL_sort(crl.get()) != 1 ||
      X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256()) <= 0) {
    return OpenSslError("cannot sign CRL");
  }
  BIOPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) {
    return OpenSslError("cannot encode CRL");
  }
  return BioContents(bio.get());
}

absl::Status CheckInitOptions(const InitOptions& options) {
  const std::string& name = options.federation_name;
  if (name.empty() || name.size() > kMaxFederationName ||
      absl::ascii_isspace(static_cast<unsigned char>(name.front())) ||
      absl::ascii_isspace(static_cast<unsigned char>(name.back())) ||
      std::any_of(name.begin(), name.end(), [](char c) {
        return absl::ascii_iscntrl(static_cast<unsigned char>(c));
      })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid federation name '", name, "': use 1 to ", kMaxFederationName,
        " printable characters without leading or trailing spaces"));
  }
  if (options.server_names.empty()) {
    return absl::InvalidArgumentError(
        "the server certificate needs at least one name (DNS name or IP "
        "address)");
  }
  for (const std::string& server_name : options.server_names) {
    if (!IsIpAddress(server_name) && !IsDnsName(server_name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid server name '", server_name,
          "': expected a DNS name (letters, digits, '-', '.') or an IPv4/IPv6 "
          "address"));
    }
  }
  return CheckValidityDays(options.validity_days);
}

// A leaf certificate and key signed by `ca`, written to cert_path/key_path.
absl::StatusOr<IssuedRecord> IssueLeaf(
    const Ca& ca, const std::string& role, const std::string& common_name,
    const char* extended_key_usage, GENERAL_NAMES* alt_names, int validity_days,
    absl::Time now, const std::string& cert_path, const std::string& key_path) {
  FEDGE_ASSIGN_OR_RETURN(EVP_PKEYPtr key, GenerateP256Key());
  CertSpec spec;
  spec.organization = ca.organization;
  spec.unit = role;
  spec.common_name = common_name;
  spec.subject_key = key.get();
  spec.issuer = ca.cert.get();
  spec.issuer_key = ca.key.get();
  spec.not_before = now - kClockSkew;
  spec.not_after =
      std::min(now + absl::Hours(24) * validity_days, ca.not_after);
  spec.extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature"},
                     {NID_ext_key_usage, extended_key_usage}};
  spec.alt_names = alt_names;
  FEDGE_ASSIGN_OR_RETURN(X509Ptr cert, MakeCertificate(spec));
  FEDGE_RETURN_IF_ERROR(WritePrivateKey(key_path, key.get()));
  FEDGE_RETURN_IF_ERROR(WriteCertificate(cert_path, cert.get()));
  return RecordOf(cert.get(), role, common_name, spec.not_after);
}

}  // namespace

absl::Status InitFederation(const std::string& dir,
                            const InitOptions& options) {
  FEDGE_RETURN_IF_ERROR(CheckInitOptions(options));
  PkiPaths paths(dir);
  if (!options.force &&
      (util::PathExists(paths.ca_cert()) || util::PathExists(paths.ca_key()))) {
    return absl::AlreadyExistsError(absl::StrCat(
        dir, " already holds a federation CA (", paths.ca_cert(),
        "); pass --force to replace it, which invalidates every certificate "
        "it issued"));
  }
  FEDGE_RETURN_IF_ERROR(util::MakeDirectories(dir));
  FEDGE_RETURN_IF_ERROR(util::MakeDirectories(util::JoinPath(dir, "clients")));
  const absl::Time now = util::Clock::Real()->Now();
  std::vector<IssuedRecord> records;

  // The CA.
  Ca ca;
  FEDGE_ASSIGN_OR_RETURN(ca.key, GenerateP256Key());
  ca.organization = absl::StrCat("fedge federation ", options.federation_name);
  ca.not_after = now + absl::Hours(24) *
                           std::max(options.validity_days, kMinCaValidityDays);
  CertSpec spec;
  spec.organization = ca.organization;
  spec.common_name = absl::StrCat(options.federation_name, " federation CA");
  spec.subject_key = ca.key.get();
  spec.issuer_key = ca.key.get();
  spec.not_before = now - kClockSkew;
  spec.not_after = ca.not_after;
  spec.extensions = {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                     {NID_key_usage, "critical,keyCertSign,cRLSign"}};
  FEDGE_ASSIGN_OR_RETURN(ca.cert, MakeCertificate(spec));
  FEDGE_RETURN_IF_ERROR(WritePrivateKey(paths.ca_key(), ca.key.get()));
  FEDGE_RETURN_IF_ERROR(WriteCertificate(paths.ca_cert(), ca.cert.get()));
  records.push_back(
      RecordOf(ca.cert.get(), "ca", spec.common_name, ca.not_after));

  // The aggregator: every name is a SAN; the CN (at most 64 characters in
  // X.509) is informational since clients check the SANs.
  GENERAL_NAMESPtr server_names(sk_GENERAL_NAME_new_null());
  if (server_names == nullptr) return OpenSslError("sk_GENERAL_NAME_new_null");
  for (const std::string& name : options.server_names) {
    FEDGE_RETURN_IF_ERROR(AddGeneralName(
        server_names.get(), IsIpAddress(name) ? GEN_IPADD : GEN_DNS, name));
  }
  const std::string& first = options.server_names.front();
  FEDGE_ASSIGN_OR_RETURN(
      IssuedRecord server,
      IssueLeaf(ca, "server", first.size() <= 64 ? first : "server",
                "serverAuth", server_names.get(), options.validity_days, now,
                paths.server_cert(), paths.server_key()));
  records.push_back(server);

  FEDGE_ASSIGN_OR_RETURN(IssuedRecord admin,
                         IssueLeaf(ca, "admin", "admin", "clientAuth", nullptr,
                                   options.validity_days, now,
                                   paths.admin_cert(), paths.admin_key()));
  records.push_back(admin);

  // The audit key signs checkpoints, not TLS: Ed25519, outside the X.509 tree.
  FEDGE_ASSIGN_OR_RETURN(EVP_PKEYPtr audit, GenerateEd25519Key());
  FEDGE_ASSIGN_OR_RETURN(std::string audit_pub, PublicKeyPem(audit.get()));
  FEDGE_RETURN_IF_ERROR(WritePrivateKey(paths.audit_key(), audit.get()));
  FEDGE_RETURN_IF_ERROR(
      util::WriteFileAtomically(paths.audit_pub(), audit_pub, 0644));

  FEDGE_ASSIGN_OR_RETURN(std::string crl, SignCrl(ca, nullptr, nullptr, now));
  FEDGE_RETURN_IF_ERROR(util::WriteFileAtomically(paths.crl(), crl, 0644));
  return WriteIndex(paths.issued_index(), records);
}

absl::Status IssueClient(const std::string& dir, const std::string& id,
                         int validity_days) {
  if (!IsValidClientId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid client id '", id,
                     "': use 1-64 characters of [A-Za-z0-9._-], "
                     "not starting with '.' or '-'"));
  }
  FEDGE_RETURN_IF_ERROR(CheckValidityDays(validity_days));
  PkiPaths paths(dir);
  FEDGE_ASSIGN_OR_RETURN(Ca ca, LoadCa(paths));
  FEDGE_ASSIGN_OR_RETURN(std::vector<IssuedRecord> records,
                         ReadIndex(paths.issued_index()));
  for (const IssuedRecord& r : records) {
    if (r.role == "device" && r.id == id && r.status == kActive) {
      return absl::AlreadyExistsError(absl::StrCat(
          "client '", id, "' already has an active certificate (serial ",
          r.serial, "); revoke it first with `fedge pki revoke --dir ", dir,
          " --id ", id, "`"));
    }
  }
  FEDGE_RETURN_IF_ERROR(util::MakeDirectories(util::JoinPath(dir, "clients")));
  GENERAL_NAMESPtr alt_names(sk_GENERAL_NAME_new_null());
  if (alt_names == nullptr) return OpenSslError("sk_GENERAL_NAME_new_null");
  FEDGE_RETURN_IF_ERROR(AddGeneralName(alt_names.get(), GEN_URI,
                                       absl::StrCat("fedge://device/", id)));
  FEDGE_ASSIGN_OR_RETURN(
      IssuedRecord record,
      IssueLeaf(ca, "device", id, "clientAuth", alt_names.get(), validity_days,
                util::Clock::Real()->Now(), paths.client_cert(id),
                paths.client_key(id)));
  records.push_back(record);
  return WriteIndex(paths.issued_index(), records);
}

absl::Status RevokeClient(const std::string& dir, const std::string& id) {
  if (!IsValidClientId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid client id '", id, "'"));
  }
  PkiPaths paths(dir);
  const std::string cert_path = paths.client_cert(id);
  if (!util::PathExists(cert_path)) {
    return absl::NotFoundError(absl::StrCat("no certificate was issued to '",
                                            id, "' (", cert_path,
                                            " does not exist)"));
  }
  FEDGE_ASSIGN_OR_RETURN(std::string pem, util::ReadFile(cert_path));
  FEDGE_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificate(pem, cert_path));
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  const std::string serial_hex = SerialHex(serial);

  FEDGE_ASSIGN_OR_RETURN(Ca ca, LoadCa(paths));
  FEDGE_ASSIGN_OR_RETURN(X509_CRLPtr crl, ReadCrl(paths.crl(), ca));
  FEDGE_ASSIGN_OR_RETURN(std::vector<IssuedRecord> records,
                         ReadIndex(paths.issued_index()));
  bool index_active = false;
  for (IssuedRecord& r : records) {
    if (r.serial == serial_hex && r.status == kActive) {
      r.status = kRevoked;
      index_active = true;
    }
  }
  if (CrlHasSerial(crl.get(), serial)) {
    // Either revoked before, or an earlier revoke wrote the CRL and stopped
    // before updating the index: finish that one.
    if (!index_active) {
      return absl::FailedPreconditionError(
          absl::StrCat("client '", id, "' is already revoked (serial ",
                       serial_hex, "); `fedge pki issue-client --id ", id,
                       "` issues a new certificate"));
    }
  } else {
    FEDGE_ASSIGN_OR_RETURN(
        std::string new_crl,
        SignCrl(ca, crl.get(), serial, util::Clock::Real()->Now()));
    FEDGE_RETURN_IF_ERROR(
        util::WriteFileAtomically(paths.crl(), new_crl, 0644));
  }
  return WriteIndex(paths.issued_index(), records);
}

absl::StatusOr<std::string> ReadCertificatePem(const std::string& path) {
  FEDGE_ASSIGN_OR_RETURN(std::string pem, util::ReadFile(path));
  FEDGE_RETURN_IF_ERROR(ParseCertificate(pem, path).status());
  return pem;
}

absl::StatusOr<PemKeyPair> ReadKeyPair(const std::string& cert_path,
                                       const std::string& key_path) {
  PemKeyPair pair;
  FEDGE_ASSIGN_OR_RETURN(pair.cert_pem, util::ReadFile(cert_path));
  FEDGE_ASSIGN_OR_RETURN(X509Ptr cert,
                         ParseCertificate(pair.cert_pem, cert_path));
  FEDGE_RETURN_IF_ERROR(util::CheckPrivateFile(key_path));
  FEDGE_ASSIGN_OR_RETURN(pair.key_pem, util::ReadFile(key_path));
  FEDGE_ASSIGN_OR_RETURN(EVP_PKEYPtr key,
                         ParsePrivateKey(pair.key_pem, key_path));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(key_path, " is not the private key of ", cert_path));
  }
  return pair;
}

}  // namespace fedge::pki
