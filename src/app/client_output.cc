#include "app/client_output.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <ostream>
#include <sstream>

namespace pcipass::app {

std::optional<OutputFormat> parse_output_format(const std::string& name) {
  if (name == "table") return OutputFormat::Table;
  if (name == "json") return OutputFormat::Json;
  if (name == "value") return OutputFormat::Value;
  if (name == "yaml") return OutputFormat::Yaml;
  return std::nullopt;
}

std::string cell(const Json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ",") + cell(x);
    return out.empty() ? "-" : out;
  }
  if (v.is_object()) {
    std::string out;
    for (const auto& [k, x] : v.items()) out += (out.empty() ? "" : ", ") + k + "=" + cell(x);
    return out.empty() ? "-" : out;
  }
  return v.dump();
}

std::string table_reason(std::string text) {
  if (text.size() <= 100) return text;
  size_t n = 96;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // not inside a UTF-8 character
  return text.substr(0, n) + " ...";
}

namespace {

// A table cell's lines: a list's items, an object's k=v pairs, a text's lines.
std::vector<std::string> cell_lines(const Json& v, bool reason) {
  std::vector<std::string> lines;
  if (v.is_array() && !v.empty()) {
    for (const auto& x : v) lines.push_back(cell(x));
  } else if (v.is_object() && !v.empty()) {
    for (const auto& [k, x] : v.items()) lines.push_back(k + "=" + cell(x));
  } else {
    std::stringstream text(reason ? table_reason(cell(v)) : cell(v));
    for (std::string line; std::getline(text, line);) lines.push_back(line);
  }
  if (lines.empty()) lines.push_back("");
  return lines;
}

// Display width: UTF-8 continuation bytes take no column.
size_t width_of(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}

void print_table(std::ostream& out, const std::vector<std::string>& headers, const std::vector<std::vector<std::vector<std::string>>>& rows) {
  std::vector<size_t> width(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) width[i] = width_of(headers[i]);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i)
      for (const auto& line : r[i]) width[i] = std::max(width[i], width_of(line));
  auto line = [&](const std::vector<std::string>& r) {
    std::string text;
    for (size_t i = 0; i < headers.size(); ++i) {
      const std::string& v = r[i];
      text += v;
      if (i + 1 < headers.size()) text += std::string(width[i] - width_of(v) + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  line(headers);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& r : rows) {
    size_t height = 1;
    for (const auto& c : r) height = std::max(height, c.size());
    for (size_t l = 0; l < height; ++l) {
      std::vector<std::string> words(headers.size());
      for (size_t i = 0; i < headers.size() && i < r.size(); ++i)
        if (l < r[i].size()) words[i] = r[i][l];
      line(words);
    }
  }
}

void to_yaml(YAML::Emitter& y, const Json& v) {
  if (v.is_null()) {
    y << YAML::Null;
  } else if (v.is_boolean()) {
    y << v.get<bool>();
  } else if (v.is_number_unsigned()) {
    y << v.get<uint64_t>();
  } else if (v.is_number_integer()) {
    y << v.get<int64_t>();
  } else if (v.is_number_float()) {
    y << v.get<double>();
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s.find('\n') != std::string::npos) y << YAML::Literal;
    y << s;
  } else if (v.is_array()) {
    y << YAML::BeginSeq;
    for (const auto& x : v) to_yaml(y, x);
    y << YAML::EndSeq;
  } else {
    y << YAML::BeginMap;
    for (const auto& [k, x] : v.items()) {
      y << YAML::Key << k << YAML::Value;
      to_yaml(y, x);
    }
    y << YAML::EndMap;
  }
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

Output::Output(OutputFormat format, std::vector<std::string> columns, std::ostream& out)
    : format_(format), columns_(std::move(columns)), out_(out) {}

std::optional<std::vector<std::string>> Output::pick(const std::vector<std::string>& preferred, const std::vector<std::string>& available) {
  if (columns_.empty()) return preferred;
  std::vector<std::string> unknown;
  for (const auto& c : columns_)
    if (std::find(available.begin(), available.end(), c) == available.end()) unknown.push_back(c);
  if (!unknown.empty()) {
    if (!problem_)
      problem_ = "-c " + joined(unknown) + ": no such column" + (unknown.size() > 1 ? "s" : "") + "; the columns are " + joined(available);
    return std::nullopt;
  }
  return columns_;
}

void Output::objects(const Json& list, const std::vector<std::string>& columns) {
  std::vector<std::string> available = columns;
  if (list.is_array())
    for (const auto& o : list)
      if (o.is_object())
        for (const auto& [k, v] : o.items())
          if (std::find(available.begin(), available.end(), k) == available.end()) available.push_back(k);
  auto shown = pick(columns, available);
  if (!shown) return;
  std::vector<std::vector<Json>> rows;
  if (list.is_array())
    for (const auto& o : list) {
      std::vector<Json> row;
      for (const auto& c : *shown) row.push_back(o.is_object() && o.contains(c) ? o[c] : Json(nullptr));
      rows.push_back(std::move(row));
    }
  emit(*shown, rows, false);
}

void Output::fields(const Json& object, const std::vector<std::string>& skip) {
  std::vector<std::string> names;
  if (object.is_object())
    for (const auto& [k, v] : object.items())
      if (std::find(skip.begin(), skip.end(), k) == skip.end()) names.push_back(k);
  auto shown = pick(names, names);
  if (!shown) return;
  std::vector<Json> values;
  for (const auto& n : *shown) values.push_back(object[n]);
  emit(*shown, {values}, true);
}

void Output::table(const std::vector<std::string>& headers, const std::vector<std::vector<Json>>& rows) {
  auto shown = pick(headers, headers);
  if (!shown) return;
  std::vector<std::vector<Json>> picked;
  for (const auto& r : rows) {
    std::vector<Json> row;
    for (const auto& h : *shown) {
      const size_t i = static_cast<size_t>(std::find(headers.begin(), headers.end(), h) - headers.begin());
      row.push_back(i < r.size() ? r[i] : Json(nullptr));
    }
    picked.push_back(std::move(row));
  }
  emit(*shown, picked, false);
}

void Output::text(const std::string& words) {
  if (format_ == OutputFormat::Table && columns_.empty()) out_ << words;  // -c asks for those columns only
}

void Output::emit(const std::vector<std::string>& headers, const std::vector<std::vector<Json>>& rows, bool one_object) {
  switch (format_) {
    case OutputFormat::Table: {
      std::vector<std::vector<std::vector<std::string>>> cells;
      if (one_object) {
        for (size_t i = 0; i < headers.size(); ++i)
          cells.push_back({{headers[i]}, cell_lines(rows.at(0)[i], false)});  // `show` gives a reason whole
        print_table(out_, {"Field", "Value"}, cells);
        return;
      }
      for (const auto& r : rows) {
        std::vector<std::vector<std::string>> row;
        for (size_t i = 0; i < headers.size(); ++i) row.push_back(cell_lines(r[i], headers[i] == "reason"));
        cells.push_back(std::move(row));
      }
      print_table(out_, headers, cells);
      return;
    }
    case OutputFormat::Value:
      for (const auto& r : rows) {
        if (one_object) {
          for (const auto& v : r) out_ << cell(v) << "\n";
          continue;
        }
        std::string line;
        for (size_t i = 0; i < r.size(); ++i) line += (i ? " " : "") + cell(r[i]);
        out_ << line << "\n";
      }
      return;
    case OutputFormat::Json:
    case OutputFormat::Yaml: {
      Json data = one_object ? Json::object() : Json::array();
      for (const auto& r : rows) {
        Json o = Json::object();
        for (size_t i = 0; i < headers.size(); ++i) o[headers[i]] = r[i];
        if (one_object) data = std::move(o);
        else data.push_back(std::move(o));
      }
      if (format_ == OutputFormat::Json) {
        out_ << data.dump(2) << "\n";
        return;
      }
      YAML::Emitter y;
      to_yaml(y, data);
      out_ << y.c_str() << "\n";
      return;
    }
  }
}

}  // namespace pcipass::app
