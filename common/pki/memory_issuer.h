#ifndef FEDGE_COMMON_PKI_MEMORY_ISSUER_H_
#define FEDGE_COMMON_PKI_MEMORY_ISSUER_H_

// Device identities made in memory by a federation's CA, for the fleet
// simulator's virtual clients: thousands of certificates that are never
// written to disk and never recorded in issued.tsv. Only for a simulation
// federation, whose CA key is on the simulating machine anyway.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/pki/certificate_authority.h"

namespace fedge::pki {

struct IssuedIdentity {
  std::string id;
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8
};

class MemoryIssuer {
 public:
  // Loads the CA of the PKI in `pki_dir` (needs ca.key).
  static absl::StatusOr<std::unique_ptr<MemoryIssuer>> Load(
      const std::string& pki_dir);

  // A device certificate (OU=device, CN=id) and its key. Thread-safe.
  absl::StatusOr<IssuedIdentity> IssueDevice(const std::string& id,
                                             int validity_days = 30);

 private:
  explicit MemoryIssuer(CertificateAuthority ca) : ca_(std::move(ca)) {}
  absl::Mutex mu_;
  CertificateAuthority ca_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::pki

#endif  // FEDGE_COMMON_PKI_MEMORY_ISSUER_H_
