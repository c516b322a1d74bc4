#include "common/pki/openssl_util.h"

namespace fedge::pki {

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(crypto::internal::WithOpenSslErrors(what));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

BIOPtr ReadBio(absl::string_view data) {
  return crypto::internal::ReadOnlyBio(data);
}

}  // namespace fedge::pki
