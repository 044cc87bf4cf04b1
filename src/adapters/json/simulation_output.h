#pragma once
// simulate's output: one JSON line per op and a summary line (the scenario-format
// contract), or grouped text for people.
#include <string>

#include "core/simulation.h"

namespace pcipass {

std::string op_result_json(const OpResult& r, ReasonsMode reasons = ReasonsMode::Hosts);
std::string summary_json(const Simulation& sim, size_t hosts);
std::string op_result_human(const OpResult& r);
std::string summary_human(const Simulation& sim, size_t hosts);
// "7 hosts: no device for alias gpu (compute-0, compute-1, ...)", largest group first.
std::string grouped_reasons(const std::vector<Rejection>& reasons, const std::string& indent);

}  // namespace pcipass
