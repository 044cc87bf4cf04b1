#pragma once
// How the CLI client prints what the server answered, in the openstack client's habits:
// `-f table` (for people: aligned columns, a list's items one per line in its cell),
// `-f json` and `-f yaml` (the same rows as data), `-f value` (the cells alone, one row
// a line, for shell scripts); `-c COLUMN` (repeatable) keeps only those columns or
// fields. `--json` (the server's own answer) is handled before this.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace pcipass::app {

using Json = nlohmann::ordered_json;

enum class OutputFormat { Table, Json, Value, Yaml };

// "table" | "json" | "value" | "yaml"; nullopt for anything else.
std::optional<OutputFormat> parse_output_format(const std::string& name);

// One value as it reads in a sentence or `-f value`: "-" for null and empty lists, a
// list's items joined with commas, an object as k=v pairs.
std::string cell(const Json& value);
// A reason is a sentence: a table shows its start, `show` and the data formats the whole.
std::string table_reason(std::string text);

// One command's output. A command calls exactly one of objects(), fields() or table()
// for its data, and text() for words meant for people (printed only as a table, and not
// when -c picks columns).
class Output {
 public:
  Output(OutputFormat format, std::vector<std::string> columns, std::ostream& out);

  // A list: one row per object of `list`, with `columns` (or -c's, which may name any
  // field the objects have).
  void objects(const Json& list, const std::vector<std::string>& columns);
  // One object: a Field/Value row per member but `skip` (-c picks members).
  void fields(const Json& object, const std::vector<std::string>& skip = {});
  // Rows already made into words, under `headers` (-c picks headers).
  void table(const std::vector<std::string>& headers, const std::vector<std::vector<Json>>& rows);
  void text(const std::string& words);

  bool is_table() const { return format_ == OutputFormat::Table; }
  // What -c named that was not there: said once, and the command exits 2.
  const std::optional<std::string>& problem() const { return problem_; }

 private:
  // The columns to show of those available: -c's (in its order), else `preferred`.
  std::optional<std::vector<std::string>> pick(const std::vector<std::string>& preferred, const std::vector<std::string>& available);
  void emit(const std::vector<std::string>& headers, const std::vector<std::vector<Json>>& rows, bool one_object);

  OutputFormat format_;
  std::vector<std::string> columns_;
  std::ostream& out_;
  std::optional<std::string> problem_;
};

}  // namespace pcipass::app
