#ifndef FEDGE_COMMON_NET_TLS_POLICY_H_
#define FEDGE_COMMON_NET_TLS_POLICY_H_

// fedge speaks TLS 1.3 only, at both ends of every connection.
//
// gRPC 1.51 sets the lowest version of each OpenSSL context it makes to
// TLS 1.2 and offers no setting to raise it. OpenSSL's own configuration
// can still switch TLS 1.2 off for every context of the process: its
// `ssl_conf` module applies the `system_default` section to each new
// SSL_CTX as protocol options (SSL_OP_NO_TLSv1_2, ...), which gRPC's
// minimum version leaves alone. RequireTls13 loads such a configuration
// (in memory; no file or environment variable) before any credentials are
// made, so a peer offering only TLS 1.2 fails the handshake.

#include "absl/status/status.h"

namespace fedge::net {

// The version every fedge connection negotiates, as the audit log names it.
inline constexpr char kTlsMinVersion[] = "TLS 1.3";

// Idempotent and thread-safe; the first call does the work and every call
// returns its outcome. An error means OpenSSL refused the configuration;
// then no TLS credentials should be made.
absl::Status RequireTls13();

}  // namespace fedge::net

#endif  // FEDGE_COMMON_NET_TLS_POLICY_H_
