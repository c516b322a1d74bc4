#ifndef FEDGE_COMMON_PKI_OPENSSL_UTIL_H_
#define FEDGE_COMMON_PKI_OPENSSL_UTIL_H_

// Internal to common/pki: owning pointers for the X.509 objects it builds,
// OpenSSL's error queue as a Status, and memory BIOs. The generic pieces
// (OpenSslPtr, the error queue, read-only BIOs) are common/crypto's.

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/crypto/openssl_util.h"

namespace fedge::pki {

using crypto::internal::OpenSslPtr;

using BIOPtr = crypto::internal::BioPtr;
using BIGNUMPtr = OpenSslPtr<BIGNUM, BN_free>;
using EVP_PKEYPtr = crypto::internal::PkeyPtr;
using X509Ptr = crypto::internal::X509Ptr;
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
