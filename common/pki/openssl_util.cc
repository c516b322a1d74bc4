#include "common/pki/openssl_util.h"

#include <openssl/err.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fedge::pki {

absl::Status OpenSslError(absl::string_view what) {
  std::vector<std::string> errors;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    errors.emplace_back(buf);
  }
  return absl::InternalError(absl::StrCat(what, errors.empty() ? "" : ": ",
                                          absl::StrJoin(errors, "; ")));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

BIOPtr ReadBio(absl::string_view data) {
  return BIOPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

}  // namespace fedge::pki
