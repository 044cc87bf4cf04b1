#pragma once
// SQL files embedded at build time (cmake/embed_sql.cmake): each store adapter's
// numbered migrations, in order (migration N at index N-1).
#include <cstddef>

namespace pcipass {

struct EmbeddedSql {
  const char* file;  // e.g. "0003_flavor_revisions.sql"
  const char* text;
};

}  // namespace pcipass
