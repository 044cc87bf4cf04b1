// pcipass simulate FILE: replay a fleet scenario through the real scheduler.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "adapters/json/scenario_json.h"
#include "adapters/json/simulation_output.h"
#include "app/commands.h"
#include "app/terminal_progress.h"
#include "core/scenario.h"
#include "core/simulation.h"

namespace pcipass::app {
namespace {

struct SimulateArgs {
  std::string file;
  bool human = false;
  bool check = false;
  bool quiet = false;
  std::string weigher = "pack";
  std::string reasons = "hosts";
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int fail_input(const std::string& file, const Error& e) {
  std::cerr << "pcipass simulate: " << file << ": " << e.describe() << "\n";
  return kExitInvalidInput;
}

// A stream over text held elsewhere (standard input, read once).
class TextStream : public std::istream {
 public:
  explicit TextStream(const std::string& text) : std::istream(&buf_), buf_(text) {}

 private:
  struct Buf : std::streambuf {
    explicit Buf(const std::string& text) {
      char* p = const_cast<char*>(text.data());
      setg(p, p, p + text.size());
    }
  } buf_;
};

int run_simulate(const SimulateArgs& args) {
  // A file is read as a stream (opened again only to place a syntax error); standard
  // input is read once and held.
  auto stdin_text = std::make_shared<std::string>();
  if (args.file == "-") {
    std::ostringstream buf;
    buf << std::cin.rdbuf();
    *stdin_text = buf.str();
  } else if (std::ifstream probe(args.file, std::ios::binary); !probe) {
    std::cerr << "pcipass simulate: cannot open " << args.file << ": " << std::strerror(errno) << "\n";
    return kExitInvalidInput;
  }
  auto open = [&]() -> std::unique_ptr<std::istream> {
    if (args.file == "-") return std::make_unique<TextStream>(*stdin_text);
    return std::make_unique<std::ifstream>(args.file, std::ios::binary);
  };
  const int64_t start = now_ns();
  SimulationOptions options;
  options.weigher = args.weigher == "name" ? Weigher::Name : Weigher::Pack;
  options.check_invariants = args.check;
  options.reasons = parse_reasons_mode(args.reasons).value_or(ReasonsMode::Hosts);
  options.now_ns = now_ns;
  TerminalProgress progress("pcipass simulate");
  auto loaded = load_simulation(open, options, [&progress](size_t hosts) {
    if (hosts % 256 == 1) progress.update("reading hosts", hosts, 0);
  });
  progress.clear();
  if (!loaded) return fail_input(args.file, loaded.error());
  if (!args.quiet)
    for (const auto& w : loaded->warnings) std::cerr << "pcipass simulate: warning: " << w << "\n";
  Simulation& simulation = *loaded->simulation;
  Simulation* sim = &simulation;
  const size_t host_count = loaded->hosts;
  const std::vector<Op>& ops = loaded->ops;
  sim->times().setup_us = static_cast<double>(now_ns() - start) / 1000.0;

  std::string out;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (i % 1024 == 0) progress.update("running ops", i, ops.size());
    auto result = sim->run(ops[i]);
    if (!result) {
      progress.clear();
      std::cout << out << std::flush;
      std::cerr << "pcipass simulate: ops[" << i << "]: " << result.error().describe() << "\n";
      return kExitInternal;
    }
    if (result->mismatch) progress.clear();
    if (result->mismatch)
      std::cerr << "pcipass simulate: ops[" << i << "]: expectation mismatch: " << *result->mismatch << "\n";
    out += args.human ? op_result_human(*result) : op_result_json(*result, options.reasons) + "\n";
    if (out.size() > (1 << 16)) {
      progress.clear();
      std::cout << out;
      out.clear();
    }
  }
  progress.clear();
  out += args.human ? summary_human(*sim, host_count) : summary_json(*sim, host_count) + "\n";
  std::cout << out << std::flush;
  return sim->mismatches() > 0 ? kExitMismatch : kExitOk;
}

}  // namespace

void register_simulate(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* cmd = app.add_subcommand("simulate", "Replay a fleet scenario (hosts, [pci] config, boot/delete/query ops) "
                                                 "through the real scheduler and claim code");
  cmd->add_option("FILE", args->file, "scenario JSON file (pcipass-scenario/1), or - for standard input")->required();
  cmd->add_flag("--human", args->human, "grouped, readable output instead of JSON lines");
  cmd->add_flag("--check", args->check, "verify the fleet invariants after every op (exit 3 if one breaks)");
  cmd->add_flag("-q,--quiet", args->quiet, "do not print configuration warnings");
  cmd->add_option("--weigher", args->weigher,
                  "pack (default): pack VFs onto PFs in use, keep whole PFs and NUMA cells free; "
                  "name: first feasible host by name (a deterministic baseline)")
      ->check(CLI::IsMember({"pack", "name"}));
  cmd->add_option("--reasons", args->reasons,
                  "what a failed boot says: hosts (default): why, for every host; grouped: the causes, with how many "
                  "hosts each and a few of them; none: only NoValidHost")
      ->check(CLI::IsMember({"hosts", "grouped", "none"}));
  cmd->callback([args, &exit_code] { exit_code = run_simulate(*args); });
}

}  // namespace pcipass::app
