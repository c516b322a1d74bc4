#ifndef FEDGE_COMMON_PKI_AUTHORITY_H_
#define FEDGE_COMMON_PKI_AUTHORITY_H_

// A federation's certificate authority on disk (`fedge pki`). Keys are ECDSA
// P-256 (the audit key is Ed25519), made with OpenSSL 3's EVP API; private
// key files are written 0600 from the moment they exist.
//
// Layout of the PKI directory:
//   ca.crt ca.key                 federation CA (self-signed, CA:TRUE)
//   server.crt server.key         aggregator (serverAuth; SANs from names)
//   admin.crt admin.key           operator (clientAuth, OU=admin)
//   audit.key audit.pub           Ed25519 key that signs audit checkpoints
//   crl.pem                       CA-signed revocation list (starts empty)
//   clients/<id>.crt <id>.key     devices (clientAuth, OU=device)
//   simulators/<id>.crt <id>.key  fleet simulators (clientAuth,
//                                 OU=simulator): act for virtual clients
//                                 on servers that accept them
//   issued.tsv                    serial, role, id, not-after of every cert

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fedge::pki {

struct PkiPaths {
  explicit PkiPaths(std::string dir) : dir(std::move(dir)) {}
  std::string dir;
  std::string ca_cert() const;
  std::string ca_key() const;
  std::string server_cert() const;
  std::string server_key() const;
  std::string admin_cert() const;
  std::string admin_key() const;
  std::string audit_key() const;
  std::string audit_pub() const;
  std::string crl() const;
  std::string client_cert(const std::string& id) const;
  std::string client_key(const std::string& id) const;
  std::string simulator_cert(const std::string& id) const;
  std::string simulator_key(const std::string& id) const;
  std::string issued_index() const;
};

struct InitOptions {
  std::string federation_name = "fedge";
  // DNS names and IP addresses for the server certificate's SANs.
  std::vector<std::string> server_names = {"localhost", "127.0.0.1"};
  int validity_days = 825;
  // Overwrite an existing PKI in `dir` (otherwise AlreadyExists).
  bool force = false;
};

// Creates the CA, the server and admin certificates, the audit key and an
// empty CRL in `dir` (created if missing).
absl::Status InitFederation(const std::string& dir, const InitOptions& options);

// Issues clients/<id>.crt and .key signed by the CA. InvalidArgument for an
// invalid id, AlreadyExists if the id was issued before (and not revoked).
absl::Status IssueClient(const std::string& dir, const std::string& id,
                         int validity_days = 825);

// Issues simulators/<id>.crt and .key (OU=simulator) for `fedge sim
// --shard` against a server of this federation that accepts virtual clients.
absl::Status IssueSimulator(const std::string& dir, const std::string& id,
                            int validity_days = 825);

// Adds the serial of clients/<id>.crt to the CRL, re-signs it and replaces
// crl.pem atomically. NotFound if no certificate was issued to `id`.
absl::Status RevokeClient(const std::string& dir, const std::string& id);

// Reads a PEM certificate file (a CA or a leaf) and checks that it parses.
// Errors name the file.
absl::StatusOr<std::string> ReadCertificatePem(const std::string& path);

// A certificate and its private key, as PEM text for TLS stacks.
struct PemKeyPair {
  std::string cert_pem;
  std::string key_pem;
};

// Reads a certificate and its private key. The key file is checked with
// util::CheckPrivateFile first (FailedPrecondition with the chmod to run if
// group or others can read it); InvalidArgument if either file does not parse
// or the key does not belong to the certificate. Errors name the file.
absl::StatusOr<PemKeyPair> ReadKeyPair(const std::string& cert_path,
                                       const std::string& key_path);

}  // namespace fedge::pki

#endif  // FEDGE_COMMON_PKI_AUTHORITY_H_
