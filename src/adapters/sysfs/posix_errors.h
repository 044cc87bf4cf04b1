#pragma once
// errno -> Error with the path, shared by the POSIX adapters.
#include <string>

#include "core/error.h"

namespace pcipass {

Error errno_to_error(int err, const std::string& path, const char* what);

}  // namespace pcipass
