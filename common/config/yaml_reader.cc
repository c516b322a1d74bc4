#include "common/config/yaml_reader.h"

#include <algorithm>
#include <deque>
#include <exception>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/config/key_suggestion.h"
#include "common/config/yaml_value.h"
#include "common/util/file_util.h"
#include "yaml-cpp/anchor.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace fedge::config {
namespace internal {

// One problem found in the file. `line` and `column` are 0-based as in
// yaml-cpp; -1 when the problem has no position (a missing key).
struct Problem {
  int line = -1;
  int column = -1;
  std::string text;  // "dotted.key: what is wrong"
};

// One key of a mapping as written in the file (its first occurrence).
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  bool unknown_reported = false;
};

struct MapState {
  std::string path;  // "" for the top level
  // Written in the file as a mapping with at least one key or as {}.
  bool present = false;
  // Written in the file but not as a mapping: reads nothing, reports nothing.
  bool inert = false;
  std::vector<Entry> entries;
  std::vector<std::string> declared;  // in the order the schema asked
};

struct ReaderContext {
  std::string origin;
  std::string base_dir;
  YAML::Node root;
  std::deque<MapState> maps;  // stable addresses for MapReaders
  std::map<std::string, MapState*> maps_by_path;
  std::vector<Problem> problems;

  void Add(const YAML::Mark& mark, const std::string& path,
           absl::string_view problem) {
    Problem p;
    if (mark.line >= 0) {
      p.line = mark.line;
      p.column = mark.column;
    }
    p.text = absl::StrCat(path, ": ", problem);
    problems.push_back(std::move(p));
  }
};

}  // namespace internal

namespace {

using internal::Convert;
using internal::Describe;
using internal::Entry;
using internal::Issue;
using internal::MapState;
using internal::ReaderContext;
using internal::ValueText;

constexpr size_t kMaxReportedProblems = 20;

std::string JoinKey(absl::string_view map_path, absl::string_view key) {
  if (map_path.empty()) return std::string(key);
  return absl::StrCat(map_path, ".", key);
}

// Indexes a mapping's keys, reporting duplicates and keys that are not
// plain scalars.
void IndexEntries(ReaderContext* context, MapState* map,
                  const YAML::Node& node) {
  std::map<std::string, int> first_line;
  for (YAML::const_iterator it = node.begin(); it != node.end(); ++it) {
    // Copies: the iterator hands out a temporary pair.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar() || key.Scalar().empty()) {
      context->Add(
          key.Mark(), map->path.empty() ? "(top level)" : map->path,
          absl::StrCat("keys must be non-empty words, got ", Describe(key)));
      continue;
    }
    auto [pos, inserted] = first_line.emplace(key.Scalar(), key.Mark().line);
    if (!inserted) {
      context->Add(key.Mark(), JoinKey(map->path, key.Scalar()),
                   absl::StrCat("duplicate key (first set on line ",
                                pos->second + 1, "); keep one of the two"));
      continue;
    }
    map->entries.push_back(Entry{key.Scalar(), key, value});
  }
}

// Declares `key` in `map` and returns its entry, or nullptr if the file
// does not set it.
const Entry* Lookup(MapState* map, absl::string_view key) {
  if (std::find(map->declared.begin(), map->declared.end(), key) ==
      map->declared.end()) {
    map->declared.emplace_back(key);
  }
  for (const Entry& entry : map->entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

template <typename T>
bool ReadKeyUnguarded(ReaderContext* context, MapState* map,
                      absl::string_view key, bool required, T* out,
                      const Check<T>& check) {
  if (map->inert) return false;
  const Entry* entry = Lookup(map, key);
  const std::string path = JoinKey(map->path, key);
  if (entry == nullptr || entry->value.IsNull()) {
    if (!required) return true;
    if (entry != nullptr) {
      context->Add(entry->key_node.Mark(), path, "required key has no value");
    } else {
      context->Add(YAML::Mark::null_mark(), path, "required key is missing");
    }
    return false;
  }
  T value{};
  if (std::optional<Issue> issue = Convert(entry->value, &value)) {
    context->Add(issue->mark, path + issue->suffix, issue->problem);
    return false;
  }
  if (check) {
    const std::string text = ValueText(entry->value);
    std::string problem = check(value, CheckContext{key, text});
    if (!problem.empty()) {
      context->Add(entry->value.Mark(), path, problem);
      return false;
    }
  }
  *out = std::move(value);
  return true;
}

// yaml-cpp's accessors do not throw on the nodes a parse produced, but no
// exception of theirs may leave this module: one becomes a problem.
template <typename T>
bool ReadKey(ReaderContext* context, MapState* map, absl::string_view key,
             bool required, T* out, const Check<T>& check) {
  try {
    return ReadKeyUnguarded(context, map, key, required, out, check);
  } catch (const YAML::Exception& e) {
    context->Add(e.mark, JoinKey(map->path, key),
                 absl::StrCat("cannot be read: ", e.msg));
    return false;
  }
}

}  // namespace

template <typename T>
bool MapReader::Optional(
    absl::string_view key, T* out,
    Check<typename internal::TypeIdentity<T>::type> check) {
  return ReadKey(context_, state_, key, /*required=*/false, out, check);
}

template <typename T>
bool MapReader::Required(
    absl::string_view key, T* out,
    Check<typename internal::TypeIdentity<T>::type> check) {
  return ReadKey(context_, state_, key, /*required=*/true, out, check);
}

#define FEDGE_CONFIG_INSTANTIATE_(T)                                     \
  template bool MapReader::Optional<T>(absl::string_view, T*, Check<T>); \
  template bool MapReader::Required<T>(absl::string_view, T*, Check<T>)

FEDGE_CONFIG_INSTANTIATE_(std::string);
FEDGE_CONFIG_INSTANTIATE_(bool);
FEDGE_CONFIG_INSTANTIATE_(int);
FEDGE_CONFIG_INSTANTIATE_(int64_t);
FEDGE_CONFIG_INSTANTIATE_(uint32_t);
FEDGE_CONFIG_INSTANTIATE_(uint64_t);
FEDGE_CONFIG_INSTANTIATE_(double);
FEDGE_CONFIG_INSTANTIATE_(float);
FEDGE_CONFIG_INSTANTIATE_(absl::Duration);
FEDGE_CONFIG_INSTANTIATE_(absl::Time);
FEDGE_CONFIG_INSTANTIATE_(std::vector<std::string>);
FEDGE_CONFIG_INSTANTIATE_(std::vector<int64_t>);
FEDGE_CONFIG_INSTANTIATE_(std::vector<double>);

#undef FEDGE_CONFIG_INSTANTIATE_

bool MapReader::OptionalPath(absl::string_view key, std::string* out,
                             Check<std::string> check) {
  std::string value = *out;
  if (!Optional(key, &value, std::move(check))) return false;
  *out = ResolvePath(context_->base_dir, value);
  return true;
}

bool MapReader::RequiredPath(absl::string_view key, std::string* out) {
  std::string value;
  Check<std::string> non_empty = [](const std::string& v,
                                    const CheckContext&) -> std::string {
    return v.empty() ? "must not be empty (expected a file path)" : "";
  };
  if (!Required(key, &value, non_empty)) return false;
  *out = ResolvePath(context_->base_dir, value);
  return true;
}

MapReader MapReader::Child(absl::string_view key) {
  const std::string path = KeyPath(key);
  const Entry* entry = state_->inert ? nullptr : Lookup(state_, key);
  auto found = context_->maps_by_path.find(path);
  if (found != context_->maps_by_path.end()) {
    return MapReader(context_, found->second);
  }
  MapState& child = context_->maps.emplace_back();
  child.path = path;
  context_->maps_by_path[path] = &child;
  if (state_->inert) {
    child.inert = true;
  } else if (entry != nullptr && !entry->value.IsNull()) {
    if (entry->value.IsMap()) {
      child.present = true;
      try {
        IndexEntries(context_, &child, entry->value);
      } catch (const YAML::Exception& e) {
        child.inert = true;
        context_->Add(e.mark, path, absl::StrCat("cannot be read: ", e.msg));
      }
    } else {
      child.inert = true;
      context_->Add(entry->value.Mark(), path,
                    absl::StrCat("expected a mapping (keys indented below it, "
                                 "or {key: value, ...}), got ",
                                 Describe(entry->value)));
    }
  }
  return MapReader(context_, &child);
}

bool MapReader::present() const { return state_->present; }

bool MapReader::Has(absl::string_view key) const {
  for (const Entry& entry : state_->entries) {
    if (entry.key == key) return !entry.value.IsNull();
  }
  return false;
}

void MapReader::Fail(absl::string_view key, absl::string_view problem) {
  YAML::Mark mark = YAML::Mark::null_mark();
  for (const Entry& entry : state_->entries) {
    if (entry.key == key) {
      mark = entry.value.IsNull() ? entry.key_node.Mark() : entry.value.Mark();
      break;
    }
  }
  context_->Add(mark, KeyPath(key), problem);
}

std::string MapReader::KeyPath(absl::string_view key) const {
  return JoinKey(state_->path, key);
}

namespace {

// Walks a YAML stream's documents without building them, to find a second
// one with content. (yaml-cpp 0.7's LoadAll would do it, but loops forever,
// allocating, on some malformed input such as ",\n": yaml-cpp issue 1040.)
class SecondDocumentFinder : public YAML::EventHandler {
 public:
  // The mark of the first node of a document after the first that is not
  // null (a trailing '---' is harmless), if there is one.
  const std::optional<YAML::Mark>& found() const { return found_; }

  void OnDocumentStart(const YAML::Mark&) override { ++documents_; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    Content(mark);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Content(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&,
                       YAML::anchor_t, YAML::EmitterStyle::value) override {
    Content(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Content(mark);
  }
  void OnMapEnd() override {}

 private:
  void Content(const YAML::Mark& mark) {
    if (documents_ > 1 && !found_.has_value()) found_ = mark;
  }
  int documents_ = 0;
  std::optional<YAML::Mark> found_;
};

// Parses the first document of `text` into `root`, and tells whether a later
// one has content (`second`). Throws YAML::Exception on a syntax error.
void ParseFirstDocument(const std::string& text, YAML::Node* root,
                        std::optional<YAML::Mark>* second) {
  *root = YAML::Load(text);
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  SecondDocumentFinder finder;
  // A config needs only to know whether there is a second document: a few
  // documents suffice, and the bound keeps a parser that does not advance
  // from looping.
  for (int i = 0; i < 8 && !finder.found().has_value() &&
                  parser.HandleNextDocument(finder);
       ++i) {
  }
  *second = finder.found();
}

}  // namespace

absl::StatusOr<YamlDocument> YamlDocument::Parse(absl::string_view text,
                                                 std::string origin,
                                                 std::string base_dir) {
  YAML::Node root;
  std::optional<YAML::Mark> second;
  try {
    ParseFirstDocument(std::string(text), &root, &second);
  } catch (const YAML::Exception& e) {
    std::string where = origin;
    if (e.mark.line >= 0) {
      where =
          absl::StrCat(origin, ":", e.mark.line + 1, ":", e.mark.column + 1);
    }
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": YAML syntax error: ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": cannot parse the YAML: ", e.what()));
  }
  if (!root.IsDefined() || root.IsNull()) {
    return absl::InvalidArgumentError(absl::StrCat(
        origin,
        ": the config is empty (expected a mapping of keys to values, "
        "such as 'rounds: 5')"));
  }
  if (second.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        origin, ":", second->line + 1, ":", second->column + 1,
        ": a second YAML document (after '---'); a config file holds one"));
  }
  if (!root.IsMap()) {
    const YAML::Mark mark = root.Mark();
    return absl::InvalidArgumentError(absl::StrCat(
        origin, ":", mark.line + 1, ":", mark.column + 1,
        ": expected a mapping of keys to values at the top level, got ",
        Describe(root)));
  }
  auto context = std::make_unique<ReaderContext>();
  context->origin = std::move(origin);
  context->base_dir = std::move(base_dir);
  context->root = root;
  MapState& top = context->maps.emplace_back();
  top.present = true;
  context->maps_by_path[""] = &top;
  try {
    IndexEntries(context.get(), &top, context->root);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(context->origin, ": cannot read the YAML: ", e.msg));
  }
  return YamlDocument(std::move(context));
}

YamlDocument::YamlDocument(std::unique_ptr<ReaderContext> context)
    : context_(std::move(context)) {}
YamlDocument::YamlDocument(YamlDocument&&) noexcept = default;
YamlDocument& YamlDocument::operator=(YamlDocument&&) noexcept = default;
YamlDocument::~YamlDocument() = default;

MapReader YamlDocument::root() {
  return MapReader(context_.get(), &context_->maps.front());
}

bool YamlDocument::has_errors() const { return !context_->problems.empty(); }

absl::Status YamlDocument::Finish() {
  for (MapState& map : context_->maps) {
    if (!map.present || map.inert) continue;
    for (Entry& entry : map.entries) {
      if (entry.unknown_reported ||
          std::find(map.declared.begin(), map.declared.end(), entry.key) !=
              map.declared.end()) {
        continue;
      }
      entry.unknown_reported = true;
      std::string problem = "unknown key";
      const std::string suggestion = SuggestKey(entry.key, map.declared);
      if (!suggestion.empty()) {
        absl::StrAppend(&problem, " (did you mean '", suggestion, "'?)");
      }
      absl::StrAppend(
          &problem, "; known keys: ",
          map.declared.empty() ? "(none)" : absl::StrJoin(map.declared, ", "));
      context_->Add(entry.key_node.Mark(), JoinKey(map.path, entry.key),
                    problem);
    }
  }
  if (context_->problems.empty()) return absl::OkStatus();

  std::vector<internal::Problem> problems = context_->problems;
  // File order; problems without a position (missing keys) last.
  std::stable_sort(problems.begin(), problems.end(),
                   [](const internal::Problem& a, const internal::Problem& b) {
                     const bool a_placed = a.line >= 0;
                     const bool b_placed = b.line >= 0;
                     if (a_placed != b_placed) return a_placed;
                     if (a.line != b.line) return a.line < b.line;
                     return a.column < b.column;
                   });
  std::vector<std::string> lines;
  for (const internal::Problem& p : problems) {
    if (lines.size() == kMaxReportedProblems) {
      lines.push_back(absl::StrCat("... and ", problems.size() - lines.size(),
                                   " more problems"));
      break;
    }
    if (p.line >= 0) {
      lines.push_back(absl::StrCat(context_->origin, ":", p.line + 1, ":",
                                   p.column + 1, ": ", p.text));
    } else {
      lines.push_back(absl::StrCat(context_->origin, ": ", p.text));
    }
  }
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

absl::StatusOr<std::string> ReadConfigFile(const std::string& path) {
  absl::StatusOr<std::string> text = util::ReadFile(path);
  if (!text.ok()) {
    return absl::NotFoundError(
        absl::StrCat("config file: ", text.status().message()));
  }
  return text;
}

std::string ConfigBaseDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (base_dir.empty() || path.empty() || path[0] == '/') return path;
  return util::JoinPath(base_dir, path);
}

}  // namespace fedge::config
