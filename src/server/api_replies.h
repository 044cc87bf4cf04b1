#pragma once
// For the API's handler files: a typed result as its reply.
#include "server/http_status.h"

namespace pcipass::server {

// The answer for a typed result: its view, or the error's reply.
template <class T, class View>
Reply answer(const Result<T>& r, View&& view, int status = 200) {
  if (!r) return error_reply(r.error());
  return {status, view(*r)};
}

inline Reply no_content(const Status& st) { return st ? Reply{204, Json()} : error_reply(st.error()); }

}  // namespace pcipass::server
