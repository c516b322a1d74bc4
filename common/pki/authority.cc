#include "common/pki/authority.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/pki/certificate_authority.h"
#include "common/pki/identity.h"
#include "common/pki/issued_index.h"
#include "common/pki/openssl_util.h"
#include "common/pki/x509_builder.h"
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
std::string PkiPaths::simulator_cert(const std::string& id) const {
  return util::JoinPath(dir, absl::StrCat("simulators/", id, ".crt"));
}
std::string PkiPaths::simulator_key(const std::string& id) const {
  return util::JoinPath(dir, absl::StrCat("simulators/", id, ".key"));
}
std::string PkiPaths::client_key(const std::string& id) const {
  return util::JoinPath(util::JoinPath(dir, "clients"), id + ".key");
}
std::string PkiPaths::issued_index() const {
  return util::JoinPath(dir, "issued.tsv");
}

namespace {

// The CA signs for ten years unless asked for longer; leaves never outlive it.
constexpr int kMinCaValidityDays = 3650;
constexpr int kMaxValidityDays = 36500;
// notBefore is back-dated so a peer whose clock runs a little behind accepts
// a certificate issued a moment ago.
constexpr absl::Duration kClockSkew = absl::Minutes(5);
constexpr size_t kMaxFederationName = 40;

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
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

using Ca = CertificateAuthority;

IssuedRecord RecordOf(X509* cert, absl::string_view role, absl::string_view id,
                      absl::Time not_after) {
  return {SerialHex(X509_get0_serialNumber(cert)), std::string(role),
          std::string(id), Rfc3339(not_after), kIssuedActive};
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
  FEDGE_ASSIGN_OR_RETURN(
      Leaf leaf,
      MakeLeaf(ca.cert.get(), ca.key.get(), ca.organization, ca.not_after, role,
               common_name, extended_key_usage, alt_names, validity_days, now));
  FEDGE_RETURN_IF_ERROR(WritePrivateKey(key_path, leaf.key.get()));
  FEDGE_RETURN_IF_ERROR(WriteCertificate(cert_path, leaf.cert.get()));
  return RecordOf(leaf.cert.get(), role, common_name, leaf.not_after);
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

  FEDGE_ASSIGN_OR_RETURN(std::string crl, SignCrl(ca.cert.get(), ca.key.get(),
                                                  nullptr, nullptr, now));
  FEDGE_RETURN_IF_ERROR(util::WriteFileAtomically(paths.crl(), crl, 0644));
  return WriteIssuedIndex(paths.issued_index(), records);
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
  FEDGE_ASSIGN_OR_RETURN(Ca ca, LoadCertificateAuthority(paths));
  FEDGE_ASSIGN_OR_RETURN(std::vector<IssuedRecord> records,
                         ReadIssuedIndex(paths.issued_index()));
  for (const IssuedRecord& r : records) {
    if (r.role == "device" && r.id == id && r.status == kIssuedActive) {
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
  return WriteIssuedIndex(paths.issued_index(), records);
}

absl::Status IssueSimulator(const std::string& dir, const std::string& id,
                            int validity_days) {
  if (!IsValidClientId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid simulator id '", id, "'"));
  }
  FEDGE_RETURN_IF_ERROR(CheckValidityDays(validity_days));
  PkiPaths paths(dir);
  FEDGE_ASSIGN_OR_RETURN(Ca ca, LoadCertificateAuthority(paths));
  FEDGE_ASSIGN_OR_RETURN(std::vector<IssuedRecord> records,
                         ReadIssuedIndex(paths.issued_index()));
  FEDGE_RETURN_IF_ERROR(
      util::MakeDirectories(util::JoinPath(dir, "simulators")));
  FEDGE_ASSIGN_OR_RETURN(
      IssuedRecord record,
      IssueLeaf(ca, "simulator", id, "clientAuth", nullptr, validity_days,
                util::Clock::Real()->Now(), paths.simulator_cert(id),
                paths.simulator_key(id)));
  records.push_back(record);
  return WriteIssuedIndex(paths.issued_index(), records);
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

  FEDGE_ASSIGN_OR_RETURN(Ca ca, LoadCertificateAuthority(paths));
  FEDGE_ASSIGN_OR_RETURN(X509_CRLPtr crl, ReadCrl(paths.crl(), ca.key.get()));
  FEDGE_ASSIGN_OR_RETURN(std::vector<IssuedRecord> records,
                         ReadIssuedIndex(paths.issued_index()));
  bool index_active = false;
  for (IssuedRecord& r : records) {
    if (r.serial == serial_hex && r.status == kIssuedActive) {
      r.status = kIssuedRevoked;
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
    FEDGE_ASSIGN_OR_RETURN(std::string new_crl,
                           SignCrl(ca.cert.get(), ca.key.get(), crl.get(),
                                   serial, util::Clock::Real()->Now()));
    FEDGE_RETURN_IF_ERROR(
        util::WriteFileAtomically(paths.crl(), new_crl, 0644));
  }
  return WriteIssuedIndex(paths.issued_index(), records);
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
