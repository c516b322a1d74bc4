#ifndef FEDGE_COMMON_MODELS_TORCH_STATUS_H_
#define FEDGE_COMMON_MODELS_TORCH_STATUS_H_

// Internal to fedge's LibTorch code: turns an exception caught at a LibTorch
// call into an absl::Status, so that no exception leaves common/models or the
// trainer.

#include <c10/util/Exception.h>

#include <exception>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace fedge::models {

// `code` with "<context>: <exception message>"; LibTorch's backtrace is left
// out of the message (it is noise to a user).
inline absl::Status StatusFromException(absl::StatusCode code,
                                        absl::string_view context,
                                        const std::exception& e) {
  const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
  absl::string_view message =
      torch_error != nullptr ? torch_error->what_without_backtrace() : e.what();
  return absl::Status(code, absl::StrCat(context, ": ", message));
}

}  // namespace fedge::models

#endif  // FEDGE_COMMON_MODELS_TORCH_STATUS_H_
