// `pcipass completion bash`: a bash completion script made from the command tree itself,
// so it never lags behind the commands: subcommands and options at each level, output
// formats after -f, files after options that take a path, nothing guessed elsewhere.
#include <iostream>
#include <map>
#include <string>

#include "app/commands.h"

namespace pcipass::app {
namespace {

struct Words {
  std::map<std::string, std::string> at;  // "pcipass host" -> "list show ... --help"
  std::string valued;                      // options that take a value: "--db|--url|..."
  std::string paths;                       // those whose value is a path
};

bool takes_path(const CLI::Option& o) {
  const std::string name = o.get_name(false, true);
  const std::string type = o.get_type_name();
  return type.find("FILE") != std::string::npos || type.find("DIR") != std::string::npos || type.find("PATH") != std::string::npos ||
         name.find("file") != std::string::npos || name.find("dir") != std::string::npos || name == "--config" || name == "--root" ||
         name == "--base-domains" || name == "--journal";
}

void add_option_name(std::string& list, const std::string& name) {
  if (("|" + list + "|").find("|" + name + "|") == std::string::npos) list += (list.empty() ? "" : "|") + name;
}

void walk(const CLI::App& app, const std::string& path, Words& w) {
  std::string words;
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_name().empty() || sub->get_group().empty()) continue;  // hidden
    words += (words.empty() ? "" : " ") + sub->get_name();
    walk(*sub, path + " " + sub->get_name(), w);
  }
  for (const CLI::Option* o : app.get_options()) {
    for (const auto& l : o->get_lnames()) {
      words += (words.empty() ? "" : " ") + ("--" + l);
      if (o->get_items_expected_max() != 0) {
        add_option_name(w.valued, "--" + l);
        if (takes_path(*o)) add_option_name(w.paths, "--" + l);
      }
    }
    for (const auto& s : o->get_snames())
      if (o->get_items_expected_max() != 0) add_option_name(w.valued, "-" + s);
  }
  w.at[path] = words;
}

std::string bash_script(const CLI::App& app) {
  Words w;
  walk(app, "pcipass", w);
  std::string out =
      "# bash completion for pcipass, made by `pcipass completion bash`.\n"
      "# Install: pcipass completion bash > /usr/share/bash-completion/completions/pcipass\n"
      "declare -gA _pcipass_words=(\n";
  for (const auto& [path, words] : w.at) out += "  [\"" + path + "\"]=\"" + words + "\"\n";
  out += ")\n"
         "_pcipass() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} path=pcipass i w\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    w=${COMP_WORDS[i]}\n"
         "    case \"$w\" in\n"
         "      " + (w.valued.empty() ? std::string("--never--") : w.valued) + ") ((i++)); continue ;;\n"
         "      -*) continue ;;\n"
         "    esac\n"
         "    [[ -n \"${_pcipass_words[\"$path $w\"]+x}\" ]] && path=\"$path $w\"\n"
         "  done\n"
         "  case \"$prev\" in\n"
         "    -f|--format) COMPREPLY=($(compgen -W \"table json value yaml\" -- \"$cur\")); return ;;\n"
         "    --log-format) COMPREPLY=($(compgen -W \"text json\" -- \"$cur\")); return ;;\n"
         "    --log-level) COMPREPLY=($(compgen -W \"debug info warning error\" -- \"$cur\")); return ;;\n";
  if (!w.paths.empty()) out += "    " + w.paths + ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
  out += "    " + (w.valued.empty() ? std::string("--never--") : w.valued) + ") COMPREPLY=(); return ;;\n"
         "  esac\n"
         "  COMPREPLY=($(compgen -W \"${_pcipass_words[$path]}\" -- \"$cur\"))\n"
         "}\n"
         "complete -F _pcipass pcipass\n";
  return out;
}

}  // namespace

void register_completion(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("completion", "Print a shell completion script (bash): eval \"$(pcipass completion bash)\"");
  auto shell = std::make_shared<std::string>();
  cmd->add_option("shell", *shell, "the shell")->required()->check(CLI::IsMember({"bash"}));
  cmd->callback([&app, shell, &exit_code] {  // `shell` is held for as long as the option writes to it
    std::cout << bash_script(app);
    exit_code = kExitOk;
  });
}

}  // namespace pcipass::app
