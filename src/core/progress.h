#pragma once
// How a long piece of work says how far it is: `stage` (a few words: "scanning devices"),
// `done` of `total` (0: not known). Called often and cheaply; whoever shows it decides
// when (a terminal, a few times a second) and whether (never when piped).
#include <cstddef>
#include <functional>
#include <string_view>

namespace pcipass {

using Progress = std::function<void(std::string_view stage, size_t done, size_t total)>;

}  // namespace pcipass
