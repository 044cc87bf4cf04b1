// `pcipass man DIR` (hidden; the build runs it): manual pages made from the command tree's
// own help, so they say what `--help` says: pcipass(1), and pcipass-COMMAND(1) for each
// command with its options and those of its subcommands.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "app/commands.h"
#include "pcipass_version.h"

namespace pcipass::app {
namespace {

// roff text: backslashes and hyphens escaped, a line never starting with '.' or '\''.
std::string roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
    line_start = c == '\n';
  }
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool shown(const CLI::App* sub) { return !sub->get_name().empty() && !sub->get_group().empty(); }

void options(std::string& out, const CLI::App& cmd) {
  for (const CLI::Option* o : cmd.get_options()) {
    if (o->get_lnames().empty() && o->get_snames().empty()) {  // a positional argument
      out += ".TP\n.I " + roff(o->get_name()) + "\n" + roff(o->get_description()) + "\n";
      continue;
    }
    std::string names;
    for (const auto& s : o->get_snames()) names += (names.empty() ? "" : ", ") + std::string("\\fB\\-") + roff(s) + "\\fR";
    for (const auto& l : o->get_lnames()) names += (names.empty() ? "" : ", ") + std::string("\\fB\\-\\-") + roff(l) + "\\fR";
    if (o->get_items_expected_max() != 0) names += " \\fI" + roff(o->get_type_name().empty() ? "VALUE" : o->get_type_name()) + "\\fR";
    std::string text = o->get_description();
    if (!o->get_default_str().empty()) text += " (default: " + o->get_default_str() + ")";
    out += ".TP\n" + names + "\n" + roff(text) + "\n";
  }
}

void subcommands(std::string& out, const CLI::App& cmd, const std::string& path) {
  for (const CLI::App* sub : cmd.get_subcommands({})) {
    if (!shown(sub)) continue;
    const std::string name = path + " " + sub->get_name();
    out += ".SS \"" + roff(name) + "\"\n" + roff(sub->get_description()) + "\n";
    options(out, *sub);
    subcommands(out, *sub, name);
  }
}

std::string header(const std::string& title, const std::string& name, const std::string& summary) {
  return ".TH " + upper(title) + " 1 \"\" \"pcipass " PCIPASS_VERSION "\" \"pcipass manual\"\n.SH NAME\n" + roff(name) + " \\- " +
         roff(summary) + "\n";
}

int write_pages(const CLI::App& app, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto save = [&](const std::string& file, const std::string& text) {
    std::ofstream f(dir + "/" + file);
    f << text;
    return static_cast<bool>(f);
  };
  std::string top = header("pcipass", "pcipass", "give VMs physical PCI devices across a KVM fleet") +
                    ".SH SYNOPSIS\n.B pcipass\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n.SH DESCRIPTION\n" + roff(app.get_description()) +
                    "\n.SH COMMANDS\n";
  std::string see_also;
  for (const CLI::App* cmd : app.get_subcommands({})) {
    if (!shown(cmd)) continue;
    const std::string name = cmd->get_name();
    top += ".TP\n.BR pcipass\\-" + roff(name) + " (1)\n" + roff(cmd->get_description()) + "\n";
    see_also += (see_also.empty() ? "" : ",\n") + std::string(".BR pcipass\\-") + roff(name) + " (1)";
    std::string page = header("pcipass-" + name, "pcipass-" + name, cmd->get_description()) + ".SH SYNOPSIS\n.B pcipass " + roff(name) +
                       "\n[\\fIOPTIONS\\fR]\n.SH OPTIONS\n";
    options(page, *cmd);
    if (!cmd->get_subcommands({}).empty()) {
      page += ".SH COMMANDS\n";
      subcommands(page, *cmd, "pcipass " + name);
    }
    page += ".SH SEE ALSO\n.BR pcipass (1)\n";
    if (!save("pcipass-" + name + ".1", page)) {
      std::cerr << "pcipass man: cannot write " << dir << "/pcipass-" << name << ".1\n";
      return kExitInvalidInput;
    }
  }
  top += ".SH ENVIRONMENT\n.TP\n.B PCIPASS_URL\nthe server the client commands call (default http://127.0.0.1:8774)\n"
         ".TP\n.B PCIPASS_TOKEN_FILE\nthe file holding the client's bearer token\n.SH SEE ALSO\n" + see_also + "\n";
  if (!save("pcipass.1", top)) {
    std::cerr << "pcipass man: cannot write " << dir << "/pcipass.1\n";
    return kExitInvalidInput;
  }
  return kExitOk;
}

}  // namespace

void register_man(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("man", "Write the manual pages (pcipass.1, pcipass-COMMAND.1) into a directory");
  cmd->group("");  // for the build, not in --help
  auto dir = std::make_shared<std::string>();
  cmd->add_option("dir", *dir, "the directory")->required();
  cmd->callback([&app, dir, &exit_code] { exit_code = write_pages(app, *dir); });
}

}  // namespace pcipass::app
