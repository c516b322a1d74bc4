#ifndef FEDGE_COMMON_PKI_OPENSSL_UTIL_H_
#define FEDGE_COMMON_PKI_OPENSSL_UTIL_H_

// Internal to common/pki: owning pointers for OpenSSL objects, OpenSSL's
// error queue as a Status, and memory BIOs.

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fedge::pki {

// Frees an OpenSSL object with its own free function.
template <typename T, void (*kFree)(T*)>
struct OpenSslFree {
  void operator()(T* p) const { kFree(p); }
};
template <typename T, void (*kFree)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree<T, kFree>>;

using BIOPtr = OpenSslPtr<BIO, BIO_free_all>;
using BIGNUMPtr = OpenSslPtr<BIGNUM, BN_free>;
using EVP_PKEYPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = OpenSslPtr<X509, X509_free>;
using X509_CRLPtr = OpenSslPtr<X509_CRL, X509_CRL_free>;
using X509_NAMEPtr = OpenSslPtr<X509_NAME, X509_NAME_free>;
using X509_REVOKEDPtr = OpenSslPtr<X509_REVOKED, X509_REVOKED_free>;
using X509_EXTENSIONPtr = OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using ASN1_INTEGERPtr = OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;
using ASN1_TIMEPtr = OpenSslPtr<ASN1_TIME, ASN1_TIME_free>;
using GENERAL_NAMESPtr = OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;

// Internal("<what>: <OpenSSL's queued errors, '; '-separated>"), or just
// Internal("<what>") if the queue is empty. Empties the queue.
absl::Status OpenSslError(absl::string_view what);

// Everything written to the memory BIO `bio`.
std::string BioContents(BIO* bio);

// A read-only memory BIO over `data`, which must outlive it; null if OpenSSL
// cannot allocate one.
BIOPtr ReadBio(absl::string_view data);

}  // namespace fedge::pki

#endif  // FEDGE_COMMON_PKI_OPENSSL_UTIL_H_
