#ifndef FEDGE_COMMON_CONFIG_YAML_READER_H_
#define FEDGE_COMMON_CONFIG_YAML_READER_H_

// A strict, schema-driven reader over yaml-cpp. A schema is a function that
// walks a YamlDocument with MapReaders, naming each key it knows and the C++
// field it lands in:
//
//   MapReader cohort = doc.root().Child("cohort");
//   cohort.Optional("min_clients", &config.min_clients, AtLeast<uint32_t>(1));
//   cohort.Optional("fraction", &config.fraction, GreaterThanAtMost(0.0, 1.0));
//   return doc.Finish();  // also reports keys no schema asked for
//
// Every problem is collected (not just the first) as
// "FILE:LINE:COL: dotted.key: what is wrong (what is expected)" with 1-based
// line and column; Finish() returns them all, in file order, as one
// InvalidArgument. A key written with an empty value (`key:` or `key: ~`)
// counts as absent, so the default stands.
//
// Value types a reader converts to: std::string, bool, int, int64_t,
// uint32_t, uint64_t (also size_t), double, float, absl::Duration ("250ms",
// "30s", "5m", "1h30m"), absl::Time (RFC 3339), std::vector<std::string> and
// std::vector<int64_t> (YAML sequences). Integers are decimal; integers,
// numbers and booleans may not be quoted strings.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fedge::config {

namespace internal {
struct ReaderContext;
struct MapState;
template <typename T>
struct TypeIdentity {
  using type = T;
};
}  // namespace internal

// What a Check sees besides the value: the key's last component ("fraction")
// and the value as written in the file ("1.5"), for messages.
struct CheckContext {
  absl::string_view name;
  absl::string_view text;
};

// A validation of one value: returns "" if the value is acceptable, else the
// problem, e.g. "1.5 is out of range (expected 0 < fraction <= 1)". The
// reader prefixes it with the location and the dotted key. An empty
// std::function accepts everything. Ready-made checks: value_checks.h.
template <typename T>
using Check = std::function<std::string(const T& value, const CheckContext&)>;

// A view of one YAML mapping of a document, named by its dotted path. Cheap
// to copy; valid while its YamlDocument lives. A MapReader for a mapping the
// file does not contain reads every key as absent.
class MapReader {
 public:
  // Declares `key` and, if the file sets it to a non-empty value, converts it
  // into *out and applies `check`. Leaves *out unchanged (the default) if the
  // key is absent. Returns false if a problem was recorded.
  template <typename T>
  bool Optional(absl::string_view key, T* out,
                Check<typename internal::TypeIdentity<T>::type> check = {});

  // As Optional, but an absent key (or one with an empty value) is an error:
  // "FILE: dotted.key: required key is missing".
  template <typename T>
  bool Required(absl::string_view key, T* out,
                Check<typename internal::TypeIdentity<T>::type> check = {});

  // A file path: a string that, unless empty or absolute, is resolved
  // against the config file's directory. The default in *out is resolved the
  // same way when the key is absent, so every relative path of a config is
  // relative to the config file.
  // `check` sees the value before it is resolved.
  bool OptionalPath(absl::string_view key, std::string* out,
                    Check<std::string> check = {});
  // A file path that must be present and non-empty.
  bool RequiredPath(absl::string_view key, std::string* out);

  // Declares `key` as a nested mapping and returns a reader for it. A value
  // that is not a mapping is an error; the returned reader is then inert
  // (reports nothing more about that key). Calling Child twice with the same
  // key returns readers of the same mapping.
  MapReader Child(absl::string_view key);

  // True if this mapping is written in the file (with a non-empty value).
  bool present() const;

  // True if the file sets `key` (to a non-empty value) in this mapping. Does
  // not declare the key.
  bool Has(absl::string_view key) const;

  // Records "LOC: dotted.key: problem", where LOC is the position of `key`'s
  // value if the file sets it, else just the file name. For rules that span
  // several keys, checked after reading them.
  void Fail(absl::string_view key, absl::string_view problem);

  // "cohort.min_clients" for key "min_clients" of mapping "cohort".
  std::string KeyPath(absl::string_view key) const;

 private:
  friend class YamlDocument;
  MapReader(internal::ReaderContext* context, internal::MapState* state)
      : context_(context), state_(state) {}

  internal::ReaderContext* context_;
  internal::MapState* state_;
};

// One parsed config file and the problems found in it so far.
class YamlDocument {
 public:
  // Parses `text`. `origin` names the file in messages; `base_dir` is what
  // relative paths resolve against ("" keeps them relative to the working
  // directory). InvalidArgument for a YAML syntax error
  // ("FILE:LINE:COL: YAML syntax error: ..."), an empty document, a top level
  // that is not a mapping, or more than one document in the file.
  static absl::StatusOr<YamlDocument> Parse(absl::string_view text,
                                            std::string origin,
                                            std::string base_dir);

  YamlDocument(YamlDocument&&) noexcept;
  YamlDocument& operator=(YamlDocument&&) noexcept;
  ~YamlDocument();

  // The top-level mapping.
  MapReader root();

  // True once any problem has been recorded.
  bool has_errors() const;

  // Reports every key of every mapping a schema visited that the schema did
  // not declare ("unknown key", with a suggestion when a declared key is
  // close), then returns OK or one InvalidArgument listing every problem in
  // file order (one a line; at most 20, then a count of the rest). May be
  // called more than once.
  absl::Status Finish();

 private:
  explicit YamlDocument(std::unique_ptr<internal::ReaderContext> context);
  std::unique_ptr<internal::ReaderContext> context_;
};

// Reads a config file whole. NotFound, naming the file, if it cannot be read.
absl::StatusOr<std::string> ReadConfigFile(const std::string& path);

// The directory a config file's relative paths are resolved against: the
// directory part of `path` ("" if it has none, i.e. the working directory).
std::string ConfigBaseDir(const std::string& path);

// `path` resolved against `base_dir`; empty and absolute paths, and any path
// when base_dir is "", are returned unchanged.
std::string ResolvePath(const std::string& base_dir, const std::string& path);

}  // namespace fedge::config

#endif  // FEDGE_COMMON_CONFIG_YAML_READER_H_
