#include "cli/flags.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace fedge::cli {
namespace {

const FlagDef* Find(const std::vector<FlagDef>& defs, const std::string& name) {
  for (const FlagDef& def : defs) {
    if (def.name == name) return &def;
  }
  return nullptr;
}

std::string Known(const std::vector<FlagDef>& defs) {
  std::vector<std::string> names;
  for (const FlagDef& def : defs) names.push_back("--" + def.name);
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

}  // namespace

std::string ParsedFlags::Get(const std::string& name,
                             const std::string& fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return fallback;
  return it->second.back();
}

std::vector<std::string> ParsedFlags::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  return it->second;
}

absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagDef>& defs,
                                       const std::vector<std::string>& args,
                                       const std::string& command) {
  ParsedFlags parsed;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positional || !absl::StartsWith(arg, "--")) {
      parsed.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_inline_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline_value = true;
    }
    const FlagDef* def = Find(defs, name);
    if (def == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(command, ": unknown flag --", name,
                       " (accepted: ", Known(defs), ")"));
    }
    if (def->value_name.empty()) {
      if (has_inline_value) {
        return absl::InvalidArgumentError(
            absl::StrCat(command, ": --", name, " takes no value"));
      }
    } else if (!has_inline_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            command, ": --", name, " needs a value (", def->value_name, ")"));
      }
      value = args[++i];
    }
    auto& slot = parsed.values_[name];
    if (!slot.empty() && !def->repeated) {
      return absl::InvalidArgumentError(
          absl::StrCat(command, ": --", name, " given more than once"));
    }
    slot.push_back(value);
  }
  return parsed;
}

std::string FlagsUsage(const std::vector<FlagDef>& defs) {
  std::string out;
  for (const FlagDef& def : defs) {
    std::string lhs = "--" + def.name;
    if (!def.value_name.empty()) absl::StrAppend(&lhs, " ", def.value_name);
    absl::StrAppendFormat(&out, "  %-28s %s%s\n", lhs, def.help,
                          def.repeated ? " (repeatable)" : "");
  }
  return out;
}

absl::Status RequireFlag(const ParsedFlags& flags, const std::string& name,
                         const std::string& command) {
  if (flags.Has(name) && !flags.Get(name).empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(command, ": --", name, " is required"));
}

}  // namespace fedge::cli
