#include "common/pki/revocation.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/pki/identity.h"
#include "common/pki/openssl_util.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::pki {
namespace {

X509Ptr ParseCa(const std::string& pem) {
  BIOPtr bio = ReadBio(pem);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

struct FileStat {
  int64_t inode = -1;
  int64_t mtime_ns = -1;
  int64_t size = -1;
};

absl::StatusOr<FileStat> StatFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    std::string message =
        absl::StrCat("cannot stat ", path, ": ", std::strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(message)
                           : absl::InternalError(message);
  }
  FileStat out;
  out.inode = static_cast<int64_t>(st.st_ino);
  out.mtime_ns =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  out.size = static_cast<int64_t>(st.st_size);
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RevocationList>> RevocationList::Load(
    const std::string& crl_path, const std::string& ca_cert_path) {
  FEDGE_ASSIGN_OR_RETURN(std::string ca_pem, util::ReadFile(ca_cert_path));
  if (ParseCa(ca_pem) == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        ca_cert_path,
        " is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)"));
  }
  std::unique_ptr<RevocationList> list(
      new RevocationList(crl_path, std::move(ca_pem)));
  if (!crl_path.empty()) {
    absl::MutexLock lock(&list->mu_);
    FEDGE_RETURN_IF_ERROR(list->ReloadLocked());
  }
  return list;
}

RevocationList::RevocationList(std::string crl_path, std::string ca_pem)
    : crl_path_(std::move(crl_path)), ca_pem_(std::move(ca_pem)) {}

absl::Status RevocationList::ReloadLocked() {
  FEDGE_ASSIGN_OR_RETURN(FileStat stat, StatFile(crl_path_));
  FEDGE_ASSIGN_OR_RETURN(std::string pem, util::ReadFile(crl_path_));
  auto bio = ReadBio(pem);
  X509_CRLPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (crl == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        crl_path_, " is not a PEM CRL (expected -----BEGIN X509 CRL-----)"));
  }
  X509Ptr ca = ParseCa(ca_pem_);
  if (ca == nullptr) return absl::InternalError("CA certificate unreadable");
  // Whoever can write the file must not be able to drop entries: only a CRL
  // that names our CA as issuer and carries its signature is accepted.
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()),
                    X509_get_subject_name(ca.get())) != 0 ||
      X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.get())) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(
        absl::StrCat(crl_path_,
                     " is not signed by the federation CA; regenerate it with "
                     "`fedge pki revoke` against the same PKI directory"));
  }

  // Nor replay an older CRL signed before a revocation.
  int64_t number = -1;
  if (ASN1_INTEGER* n = static_cast<ASN1_INTEGER*>(
          X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr))) {
    number = ASN1_INTEGER_get(n);
    ASN1_INTEGER_free(n);
  }
  if (number < crl_number_) {
    return absl::FailedPreconditionError(absl::StrCat(
        crl_path_, " has CRL number ", number, ", older than the loaded ",
        crl_number_, ": refusing to roll revocations back"));
  }

  absl::flat_hash_set<std::string> serials;
  const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    BIGNUMPtr bn(
        ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(entry), nullptr));
    char* hex = bn == nullptr ? nullptr : BN_bn2hex(bn.get());
    if (hex == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(crl_path_, " has an unreadable serial number"));
    }
    serials.insert(NormalizeSerialHex(hex));
    OPENSSL_free(hex);
  }
  crl_serials_ = std::move(serials);
  crl_number_ = number;
  crl_inode_ = stat.inode;
  crl_mtime_ns_ = stat.mtime_ns;
  crl_size_ = stat.size;
  return absl::OkStatus();
}

void RevocationList::MaybeReloadLocked() {
  absl::StatusOr<FileStat> stat = StatFile(crl_path_);
  if (!stat.ok()) {
    // A missing CRL must not un-revoke anyone: keep the list.
    if (crl_size_ != -2) {
      FEDGE_LOG(Error, "pki") << stat.status().message()
                              << "; keeping the previous revocation list";
      crl_size_ = -2;  // log once until the file is back
    }
    return;
  }
  if (stat->inode == crl_inode_ && stat->mtime_ns == crl_mtime_ns_ &&
      stat->size == crl_size_) {
    return;
  }
  absl::Status status = ReloadLocked();
  if (status.ok()) {
    FEDGE_LOG(Info, "pki") << "reloaded " << crl_path_ << ": "
                           << crl_serials_.size() << " revoked serial(s)";
    return;
  }
  FEDGE_LOG(Error, "pki") << status.message()
                          << "; keeping the previous revocation list";
  // Remember the broken file so it is not re-read on every handshake.
  crl_inode_ = stat->inode;
  crl_mtime_ns_ = stat->mtime_ns;
  crl_size_ = stat->size;
}

bool RevocationList::IsRevoked(const std::string& serial_hex,
                               const std::string& id) {
  const std::string serial = NormalizeSerialHex(serial_hex);
  absl::MutexLock lock(&mu_);
  if (!crl_path_.empty()) MaybeReloadLocked();
  return (!serial.empty() && crl_serials_.contains(serial)) ||
         revoked_ids_.contains(id);
}

size_t RevocationList::size() {
  absl::MutexLock lock(&mu_);
  MaybeReloadLocked();
  return crl_serials_.size() + revoked_ids_.size();
}

void RevocationList::RevokeId(const std::string& id) {
  absl::MutexLock lock(&mu_);
  revoked_ids_.insert(id);
}

}  // namespace fedge::pki
