#ifndef FEDGE_COMMON_UTIL_JSON_WRITER_H_
#define FEDGE_COMMON_UTIL_JSON_WRITER_H_

// Builds compact JSON text (RFC 8259) for metrics.jsonl, reports and
// summaries: strings are escaped, non-finite numbers become null, and keys
// keep their insertion order.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace fedge::util {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // Inside an object: the next value's key.
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // Shortest text that reads back to the same double; NaN/Inf → null.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  // The text so far (complete once every Begin has its End).
  const std::string& str() const { return out_; }

 private:
  // Before a value: nothing after a key, else a separating comma if the
  // open container already holds an element.
  void BeforeValue();
  // Before an array element or an object key: the separating comma if
  // needed; marks the open container as non-empty.
  void StartElement();
  JsonWriter& Open(char bracket);
  JsonWriter& Close(char bracket);
  std::string out_;
  // Per open container: whether it already holds an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// `value` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view value);

}  // namespace fedge::util

#endif  // FEDGE_COMMON_UTIL_JSON_WRITER_H_
