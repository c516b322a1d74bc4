#ifndef FEDGE_COMMON_UTIL_STATUS_MACROS_H_
#define FEDGE_COMMON_UTIL_STATUS_MACROS_H_

// Debian's Abseil (20220623) has absl::Status but no status macros; these are
// the two fedge uses everywhere.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define FEDGE_STATUS_CONCAT_INNER_(a, b) a##b
#define FEDGE_STATUS_CONCAT_(a, b) FEDGE_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function if it is not OK.
#define FEDGE_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::absl::Status fedge_status_ = (expr);         \
    if (!fedge_status_.ok()) return fedge_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the enclosing function, otherwise moves the value into `lhs`, which may be a
// declaration ("auto x") or an existing variable.
#define FEDGE_ASSIGN_OR_RETURN(lhs, rexpr) \
  FEDGE_ASSIGN_OR_RETURN_IMPL_(            \
      FEDGE_STATUS_CONCAT_(fedge_statusor_, __LINE__), lhs, rexpr)

#define FEDGE_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // FEDGE_COMMON_UTIL_STATUS_MACROS_H_
