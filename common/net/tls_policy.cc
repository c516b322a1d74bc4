#include "common/net/tls_policy.h"

#include <openssl/bio.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

#include "absl/base/call_once.h"
#include "absl/strings/str_cat.h"

namespace fedge::net {
namespace {

// Applied by OpenSSL to every SSL_CTX created afterwards. Protocol turns
// every version off and TLS 1.3 back on (as options, which gRPC keeps);
// MinProtocol says the same for contexts nobody adjusts. CipherString keeps
// Debian's default security level, which this section replaces.
constexpr char kConfig[] =
    "fedge_openssl = fedge_init\n"
    "[fedge_init]\n"
    "ssl_conf = fedge_ssl\n"
    "[fedge_ssl]\n"
    "system_default = fedge_tls\n"
    "[fedge_tls]\n"
    "Protocol = -ALL, TLSv1.3\n"
    "MinProtocol = TLSv1.3\n"
    "CipherString = DEFAULT:@SECLEVEL=2\n";

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

absl::Status Apply() {
  // The system configuration first (it is read once per process), so that
  // it cannot replace this one later.
  if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, nullptr) != 1) {
    return absl::InternalError(
        absl::StrCat("OpenSSL failed to initialise: ", OpenSslErrors()));
  }
  CONF* conf = NCONF_new(nullptr);
  BIO* bio = BIO_new_mem_buf(kConfig, -1);
  long error_line = 0;
  absl::Status status;
  if (conf == nullptr || bio == nullptr) {
    status = absl::ResourceExhaustedError("out of memory for OpenSSL's config");
  } else if (NCONF_load_bio(conf, bio, &error_line) <= 0) {
    status = absl::InternalError(
        absl::StrCat("OpenSSL did not parse fedge's TLS settings (line ",
                     error_line, "): ", OpenSslErrors()));
  } else if (CONF_modules_load(conf, "fedge_openssl", 0) <= 0) {
    status = absl::InternalError(absl::StrCat(
        "OpenSSL refused fedge's TLS 1.3-only settings: ", OpenSslErrors()));
  }
  BIO_free(bio);
  NCONF_free(conf);
  return status;
}

}  // namespace

absl::Status RequireTls13() {
  static absl::once_flag once;
  static absl::Status* outcome = nullptr;
  absl::call_once(once, [] { outcome = new absl::Status(Apply()); });
  return *outcome;
}

}  // namespace fedge::net
