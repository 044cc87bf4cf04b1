// pcipass token: API credentials, managed directly in the database (like nova-manage):
// create prints the secret once; only its SHA-256 is stored.
#include <iostream>

#include "app/commands.h"
#include "app/open_store.h"
#include "adapters/crypto/openssl_secrets.h"

namespace pcipass::app {
namespace {

struct TokenArgs {
  std::string db = "sqlite:pcipass.db";
  std::string name;
  std::string role;
  std::optional<std::string> host;
  std::optional<std::string> project;
};

int fail(const Error& e) {
  std::cerr << "pcipass token: " << e.describe() << "\n";
  switch (e.code()) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::AlreadyExists:
    case ErrorCode::Conflict:
    case ErrorCode::NotFound: return kExitInvalidInput;
    default: return kExitInternal;
  }
}

}  // namespace

void register_token(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TokenArgs>();
  auto* cmd = app.add_subcommand("token", "Manage API tokens in the database (admin, agent bound to a host, reader, member of a project)");
  cmd->require_subcommand(1);
  auto* create = cmd->add_subcommand("create", "Create a token and print its secret (shown once)");
  create->add_option("--db", args->db, "sqlite:PATH or postgresql://...")->capture_default_str();
  create->add_option("--name", args->name, "a unique name for the token")->required();
  create->add_option("--role", args->role, "admin, agent, reader or member")->required()->check(CLI::IsMember({"admin", "agent", "reader", "member"}));
  create->add_option("--host", args->host, "agents: the host the token may report for");
  create->add_option("--project", args->project, "members: the project the token acts in (pcipass project create)");
  create->callback([args, &exit_code] {
    if ((args->role == "agent") != args->host.has_value()) {
      std::cerr << "pcipass token create: " << (args->role == "agent" ? "an agent token needs --host" : "only agent tokens take --host") << "\n";
      exit_code = kExitInvalidInput;
      return;
    }
    if ((args->role == "member") != args->project.has_value()) {
      std::cerr << "pcipass token create: " << (args->role == "member" ? "a member token needs --project" : "only member tokens take --project") << "\n";
      exit_code = kExitInvalidInput;
      return;
    }
    auto store = open_store(args->db);
    if (!store) {
      exit_code = fail(store.error());
      return;
    }
    OpenSslSecrets secrets;
    auto secret = secrets.new_secret();
    if (!secret) {
      exit_code = fail(secret.error());
      return;
    }
    if (auto st = (*store)->create_token({args->name, secrets.digest(*secret), args->role, args->host.value_or(""), args->project.value_or("")});
        !st) {
      exit_code = fail(st.error());
      return;
    }
    std::cout << *secret << "\n";
  });
  auto* list = cmd->add_subcommand("list", "List tokens (names and roles; secrets are not stored)");
  list->add_option("--db", args->db, "sqlite:PATH or postgresql://...")->capture_default_str();
  list->callback([args, &exit_code] {
    auto store = open_store(args->db);
    if (!store) {
      exit_code = fail(store.error());
      return;
    }
    auto all = (*store)->tokens();
    if (!all) {
      exit_code = fail(all.error());
      return;
    }
    for (const auto& t : *all)
      std::cout << t.name << "\t" << t.role << "\t" << (t.host.empty() ? "-" : t.host) << "\t" << (t.project.empty() ? "-" : t.project) << "\n";
  });
  auto* del = cmd->add_subcommand("delete", "Delete a token (servers forget it within a few seconds)");
  del->add_option("--db", args->db, "sqlite:PATH or postgresql://...")->capture_default_str();
  del->add_option("--name", args->name, "the token's name")->required();
  del->callback([args, &exit_code] {
    auto store = open_store(args->db);
    if (!store) {
      exit_code = fail(store.error());
      return;
    }
    if (auto st = (*store)->delete_token(args->name); !st) exit_code = fail(st.error());
  });
}

}  // namespace pcipass::app
