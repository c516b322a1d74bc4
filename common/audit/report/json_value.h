#ifndef FEDGE_COMMON_AUDIT_REPORT_JSON_VALUE_H_
#define FEDGE_COMMON_AUDIT_REPORT_JSON_VALUE_H_

// A JSON document built in memory, then written with its object keys
// sorted. Building a tree first (rather than streaming through JsonWriter)
// means key order cannot depend on the order the code happens to set them.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace fedge::audit::report {

class JsonValue {
 public:
  JsonValue() = default;  // null

  static JsonValue Null() { return JsonValue(); }
  static JsonValue Bool(bool value);
  static JsonValue Int(int64_t value);
  static JsonValue Uint(uint64_t value);
  static JsonValue Double(double value);  // NaN and infinities: null
  static JsonValue String(absl::string_view value);
  static JsonValue Array();
  static JsonValue Object();
  static JsonValue Strings(const std::vector<std::string>& values);
  static JsonValue Uints(const std::vector<uint64_t>& values);

  // On an object: sets `key` (replacing an earlier value of the same key).
  JsonValue& Set(absl::string_view key, JsonValue value);
  // On an array: appends.
  JsonValue& Push(JsonValue value);

  // Compact text, keys of every object in byte order.
  std::string Write() const;

 private:
  enum class Kind {
    kNull,
    kBool,
    kInt,
    kUint,
    kDouble,
    kString,
    kArray,
    kObject
  };

  void WriteTo(std::string* out) const;

  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  double double_ = 0;
  std::string string_;
  // Array elements, or object values with their keys in `keys_`.
  std::vector<JsonValue> items_;
  std::vector<std::string> keys_;
};

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_JSON_VALUE_H_
