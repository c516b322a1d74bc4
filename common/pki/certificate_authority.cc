#include "common/pki/certificate_authority.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "common/pki/x509_builder.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::pki {
namespace {

std::string SubjectEntry(const X509_NAME* name, int nid) {
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return "";
  const ASN1_STRING* data =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
}

}  // namespace

absl::StatusOr<CertificateAuthority> LoadCertificateAuthority(
    const PkiPaths& paths) {
  if (!util::PathExists(paths.ca_cert())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no federation CA in ", paths.dir, " (", paths.ca_cert(),
        " is missing): run `fedge pki init --dir ", paths.dir, "` first"));
  }
  FEDGE_ASSIGN_OR_RETURN(std::string pem, util::ReadFile(paths.ca_cert()));
  CertificateAuthority ca;
  FEDGE_ASSIGN_OR_RETURN(ca.cert, ParseCertificate(pem, paths.ca_cert()));
  FEDGE_ASSIGN_OR_RETURN(ca.key, ReadPrivateKey(paths.ca_key()));
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(
        absl::StrCat(paths.ca_key(), " is not the key of ", paths.ca_cert()));
  }
  ca.organization =
      SubjectEntry(X509_get_subject_name(ca.cert.get()), NID_organizationName);
  FEDGE_ASSIGN_OR_RETURN(ca.not_after,
                         FromAsn1Time(X509_get0_notAfter(ca.cert.get())));
  return ca;
}

}  // namespace fedge::pki
