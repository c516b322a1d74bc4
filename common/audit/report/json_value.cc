#include "common/audit/report/json_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

#include "common/util/json_writer.h"

namespace fedge::audit::report {
namespace {

template <typename Number>
void AppendNumber(Number value, std::string* out) {
  char buffer[32];  // any int64, uint64 or shortest double
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

}  // namespace

JsonValue JsonValue::Bool(bool value) {
  JsonValue v;
  v.kind_ = Kind::kBool;
  v.bool_ = value;
  return v;
}

JsonValue JsonValue::Int(int64_t value) {
  JsonValue v;
  v.kind_ = Kind::kInt;
  v.int_ = value;
  return v;
}

JsonValue JsonValue::Uint(uint64_t value) {
  JsonValue v;
  v.kind_ = Kind::kUint;
  v.uint_ = value;
  return v;
}

JsonValue JsonValue::Double(double value) {
  JsonValue v;
  if (!std::isfinite(value)) return v;
  v.kind_ = Kind::kDouble;
  v.double_ = value;
  return v;
}

JsonValue JsonValue::String(absl::string_view value) {
  JsonValue v;
  v.kind_ = Kind::kString;
  v.string_ = std::string(value);
  return v;
}

JsonValue JsonValue::Array() {
  JsonValue v;
  v.kind_ = Kind::kArray;
  return v;
}

JsonValue JsonValue::Object() {
  JsonValue v;
  v.kind_ = Kind::kObject;
  return v;
}

JsonValue JsonValue::Strings(const std::vector<std::string>& values) {
  JsonValue v = Array();
  for (const std::string& s : values) v.Push(String(s));
  return v;
}

JsonValue JsonValue::Uints(const std::vector<uint64_t>& values) {
  JsonValue v = Array();
  for (uint64_t n : values) v.Push(Uint(n));
  return v;
}

JsonValue& JsonValue::Set(absl::string_view key, JsonValue value) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) {
      items_[i] = std::move(value);
      return *this;
    }
  }
  keys_.emplace_back(key);
  items_.push_back(std::move(value));
  return *this;
}

JsonValue& JsonValue::Push(JsonValue value) {
  items_.push_back(std::move(value));
  return *this;
}

std::string JsonValue::Write() const {
  std::string out;
  WriteTo(&out);
  return out;
}

void JsonValue::WriteTo(std::string* out) const {
  switch (kind_) {
    case Kind::kNull:
      out->append("null");
      return;
    case Kind::kBool:
      out->append(bool_ ? "true" : "false");
      return;
    case Kind::kInt:
      AppendNumber(int_, out);
      return;
    case Kind::kUint:
      AppendNumber(uint_, out);
      return;
    case Kind::kDouble:
      AppendNumber(double_, out);
      return;
    case Kind::kString:
      out->append(util::JsonQuote(string_));
      return;
    case Kind::kArray:
      out->push_back('[');
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i > 0) out->push_back(',');
        items_[i].WriteTo(out);
      }
      out->push_back(']');
      return;
    case Kind::kObject: {
      std::vector<size_t> order(keys_.size());
      std::iota(order.begin(), order.end(), 0);
      // std::string compares bytes, which for UTF-8 keys is code point order.
      std::sort(order.begin(), order.end(),
                [this](size_t a, size_t b) { return keys_[a] < keys_[b]; });
      out->push_back('{');
      for (size_t i = 0; i < order.size(); ++i) {
        if (i > 0) out->push_back(',');
        out->append(util::JsonQuote(keys_[order[i]]));
        out->push_back(':');
        items_[order[i]].WriteTo(out);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace fedge::audit::report
