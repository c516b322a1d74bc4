#include "common/data/csv_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::data {
namespace {

// One line of the file: its 1-based number and its text without the line
// ending (LF or CRLF).
struct Line {
  size_t number;
  absl::string_view text;
};

std::vector<Line> SplitLines(absl::string_view content) {
  std::vector<Line> lines;
  size_t number = 0;
  for (absl::string_view text : absl::StrSplit(content, '\n')) {
    ++number;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    lines.push_back({number, text});
  }
  // Blank lines at the end (including the empty piece after the final
  // newline) are not rows.
  while (!lines.empty() &&
         absl::StripAsciiWhitespace(lines.back().text).empty()) {
    lines.pop_back();
  }
  return lines;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("{", absl::StrJoin(shape, ", "), "}");
}

// Parses a label: an integer, or a float with an integral value ("3.0", as
// some tools write integer columns).
std::optional<int64_t> ParseLabel(absl::string_view text) {
  int64_t value;
  if (absl::SimpleAtoi(text, &value)) return value;
  double d;
  if (absl::SimpleAtod(text, &d) && std::isfinite(d) && d == std::floor(d) &&
      std::fabs(d) < 9.0e15) {
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<Dataset> ReadCsv(const std::string& path,
                                const CsvOptions& options) {
  FEDGE_ASSIGN_OR_RETURN(std::string content, util::ReadFile(path));
  std::vector<Line> lines = SplitLines(content);

  std::vector<std::string> header;
  size_t first_row = 0;
  if (options.has_header) {
    if (lines.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": empty file; expected a header line"));
    }
    for (absl::string_view name : absl::StrSplit(lines[0].text, ',')) {
      header.emplace_back(absl::StripAsciiWhitespace(name));
    }
    first_row = 1;
  }
  if (first_row >= lines.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": no data rows", options.has_header ? " after the header" : ""));
  }

  // The header fixes the number of columns; without one, the first row does.
  const size_t num_columns =
      options.has_header
          ? header.size()
          : static_cast<size_t>(
                std::count(lines[0].text.begin(), lines[0].text.end(), ',')) +
                1;
  const size_t where_columns_come_from = lines[0].number;
  if (num_columns < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", where_columns_come_from, ": ", num_columns,
        " column; expected a label column and at least one feature column"));
  }
  if (options.label_column < -1 ||
      options.label_column >= static_cast<int64_t>(num_columns)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": label_column ", options.label_column,
                     " is out of range for ", num_columns, " columns; use 0..",
                     num_columns - 1, " or -1 for the last column"));
  }
  const size_t label_column = options.label_column == -1
                                  ? num_columns - 1
                                  : static_cast<size_t>(options.label_column);
  const size_t num_features = num_columns - 1;

  Dataset dataset;
  if (options.example_shape.empty()) {
    dataset.example_shape = {static_cast<int64_t>(num_features)};
  } else {
    int64_t product = 1;
    for (int64_t d : options.example_shape) {
      if (d <= 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": example_shape ", ShapeString(options.example_shape),
            " has a dimension <= 0"));
      }
      // Stop multiplying once past the feature count; avoids overflow.
      if (product <= static_cast<int64_t>(num_features)) product *= d;
    }
    if (product != static_cast<int64_t>(num_features)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": example_shape ", ShapeString(options.example_shape),
          " does not hold the ", num_features,
          " feature columns of the file; its product must equal ",
          num_features));
    }
    dataset.example_shape = options.example_shape;
  }
  if (options.num_classes < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": num_classes ", options.num_classes,
                     " is negative; use 0 to take max label + 1"));
  }

  // Column names for messages: "column 3 (\"pixel2\")".
  auto column_name = [&header](size_t column) {
    std::string name = absl::StrCat("column ", column + 1);
    if (column < header.size() && !header[column].empty()) {
      absl::StrAppend(&name, " (\"", header[column], "\")");
    }
    return name;
  };

  const size_t num_rows = lines.size() - first_row;
  dataset.features.reserve(num_rows * num_features);
  dataset.labels.reserve(num_rows);
  std::vector<absl::string_view> fields;
  fields.reserve(num_columns);
  int64_t max_label = -1;
  for (size_t r = first_row; r < lines.size(); ++r) {
    const Line& line = lines[r];
    if (absl::StripAsciiWhitespace(line.text).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line.number, ":1: empty line, expected ", num_columns,
          " columns (only trailing blank lines "
          "may be left out)"));
    }
    fields = absl::StrSplit(line.text, ',');
    if (fields.size() != num_columns) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line.number, ":", std::min(fields.size(), num_columns) + 1,
          ": row has ", fields.size(), " columns, expected ", num_columns,
          " (as on line ", where_columns_come_from, ")"));
    }
    for (size_t c = 0; c < num_columns; ++c) {
      const absl::string_view field = absl::StripAsciiWhitespace(fields[c]);
      if (c == label_column) {
        std::optional<int64_t> label = ParseLabel(field);
        if (!label.has_value() || *label < 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              path, ":", line.number, ":", c + 1, ": label \"", field, "\" in ",
              column_name(c), " is not a non-negative integer class index"));
        }
        if (options.num_classes > 0 && *label >= options.num_classes) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ":", line.number, ":", c + 1, ": label ",
                           *label, " in ", column_name(c),
                           " is not below num_classes ", options.num_classes));
        }
        max_label = std::max(max_label, *label);
        dataset.labels.push_back(*label);
        continue;
      }
      float value;
      if (!absl::SimpleAtof(field, &value) || !std::isfinite(value)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line.number, ":", c + 1, ": \"", field,
                         "\" in ", column_name(c), " is not a finite number"));
      }
      dataset.features.push_back(value * options.feature_scale);
    }
  }
  dataset.num_classes =
      options.num_classes > 0 ? options.num_classes : max_label + 1;
  return dataset;
}

}  // namespace fedge::data
