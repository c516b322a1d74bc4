#include "common/pki/memory_issuer.h"

#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "common/pki/identity.h"
#include "common/pki/x509_builder.h"
#include "common/util/status_macros.h"

namespace fedge::pki {

absl::StatusOr<std::unique_ptr<MemoryIssuer>> MemoryIssuer::Load(
    const std::string& pki_dir) {
  FEDGE_ASSIGN_OR_RETURN(CertificateAuthority ca,
                         LoadCertificateAuthority(PkiPaths(pki_dir)));
  return std::unique_ptr<MemoryIssuer>(new MemoryIssuer(std::move(ca)));
}

absl::StatusOr<IssuedIdentity> MemoryIssuer::IssueDevice(const std::string& id,
                                                         int validity_days) {
  if (!IsValidClientId(id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid client id '", id, "'"));
  }
  GENERAL_NAMESPtr alt_names(sk_GENERAL_NAME_new_null());
  if (alt_names == nullptr) {
    return absl::InternalError("sk_GENERAL_NAME_new_null failed");
  }
  FEDGE_RETURN_IF_ERROR(AddGeneralName(alt_names.get(), GEN_URI,
                                       absl::StrCat("fedge://device/", id)));
  absl::MutexLock lock(&mu_);
  FEDGE_ASSIGN_OR_RETURN(
      Leaf leaf, MakeLeaf(ca_.cert.get(), ca_.key.get(), ca_.organization,
                          ca_.not_after, "device", id, "clientAuth",
                          alt_names.get(), validity_days, absl::Now()));
  IssuedIdentity out;
  out.id = id;
  FEDGE_ASSIGN_OR_RETURN(out.certificate_pem, CertificatePem(leaf.cert.get()));
  FEDGE_ASSIGN_OR_RETURN(out.private_key_pem, PrivateKeyPem(leaf.key.get()));
  return out;
}

}  // namespace fedge::pki
