#ifndef FEDGE_COMMON_PKI_ISSUED_INDEX_H_
#define FEDGE_COMMON_PKI_ISSUED_INDEX_H_

// Internal to common/pki: issued.tsv, the index of every certificate the CA
// issued. One line a certificate, tab-separated:
//   serial  role  id  not_after  status
// after a '#' header line; `status` is "active" or "revoked".

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fedge::pki {

inline constexpr char kIssuedActive[] = "active";
inline constexpr char kIssuedRevoked[] = "revoked";

struct IssuedRecord {
  std::string serial;     // lower-case hex (NormalizeSerialHex)
  std::string role;       // "ca", "server", "admin" or "device"
  std::string id;         // the certificate's common name
  std::string not_after;  // RFC 3339, UTC
  std::string status;     // kIssuedActive or kIssuedRevoked
};

// The records of the index at `path`, in file order; none if the file does
// not exist. Blank lines and lines starting with '#' are skipped. DataLoss
// naming the file and line for a line without exactly five fields.
absl::StatusOr<std::vector<IssuedRecord>> ReadIssuedIndex(
    const std::string& path);

// Replaces the index at `path` atomically (mode 0644) with a header line and
// `records`.
absl::Status WriteIssuedIndex(const std::string& path,
                              const std::vector<IssuedRecord>& records);

}  // namespace fedge::pki

#endif  // FEDGE_COMMON_PKI_ISSUED_INDEX_H_
