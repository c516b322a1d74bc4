#ifndef FEDGE_COMMON_PKI_REVOCATION_H_
#define FEDGE_COMMON_PKI_REVOCATION_H_

// The set of revoked certificates a server honours on every connection: the
// serials in the CA-signed CRL file (re-read whenever the file changes), plus
// serials and ids revoked at run time through the Admin service.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace fedge::pki {

class RevocationList {
 public:
  // Loads `crl_path` and checks its signature against the CA certificate.
  // An empty `crl_path` means no CRL file. FailedPrecondition if the CRL is
  // not signed by that CA.
  static absl::StatusOr<std::unique_ptr<RevocationList>> Load(
      const std::string& crl_path, const std::string& ca_cert_path);

  // True if the certificate with this serial (lower-case hex) or this holder
  // id is revoked. Re-reads the CRL file if its modification time or size
  // changed; a CRL that fails to load or verify, or is older (by CRL number)
  // than the loaded one, keeps the previous list and is logged.
  bool IsRevoked(const std::string& serial_hex, const std::string& id);

  // Revokes at run time (Admin service).
  void RevokeId(const std::string& id);

  // Certificates the CRL names plus ids revoked at run time.
  size_t size();

 private:
  RevocationList(std::string crl_path, std::string ca_pem);
  absl::Status ReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Calls ReloadLocked if the file's identity (inode, mtime, size) changed.
  void MaybeReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string crl_path_;
  const std::string ca_pem_;
  absl::Mutex mu_;
  int64_t crl_mtime_ns_ ABSL_GUARDED_BY(mu_) = -1;
  int64_t crl_size_ ABSL_GUARDED_BY(mu_) = -1;
  // An atomic replacement (rename) always changes the inode, even when the
  // new file has the same size and lands in the same mtime tick.
  int64_t crl_inode_ ABSL_GUARDED_BY(mu_) = -1;
  // The loaded CRL's number; an older CRL is refused (no rollback).
  int64_t crl_number_ ABSL_GUARDED_BY(mu_) = -1;
  absl::flat_hash_set<std::string> crl_serials_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> revoked_ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::pki

#endif  // FEDGE_COMMON_PKI_REVOCATION_H_
