#pragma once
// One database handle serving both store ports: what an adapter implements and what
// `--db` opens. Consumers take the part they need (StateStore&, TokenStore&, TenantStore&).
#include "ports/state_store.h"
#include "ports/tenant_store.h"
#include "ports/token_store.h"

namespace pcipass {

class Store : public StateStore, public TokenStore, public TenantStore {};

}  // namespace pcipass
