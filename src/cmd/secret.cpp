// cabin secret create|ls|inspect|rm|exists (podman-secret(1)).
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/secrets.h"
#include "format/output.h"
#include "format/units.h"
#include "storage/containers.h"
#include "storage/secrets.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/strings.h"

namespace cabin::cmd {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// The value from FILE or stdin ("-"), at most the store's limit (more is
// refused by the store without reading all of it).
std::string read_value(const std::string& source) {
  UniqueFd fd;
  if (source != "-") {
    fd.reset(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open {}", source);
  }
  int in = fd ? fd.get() : STDIN_FILENO;
  std::string out;
  char buf[65536];
  while (out.size() < storage::kMaxSecretSize) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read {}", source == "-" ? "stdin" : source);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// What --format and the table see: Podman's list entry (the inspect
// object's fields, CreatedAt and UpdatedAt as "… ago").
json list_row(const storage::Secret& s) {
  json row = json(storage::inspect_json(s));
  row["Name"] = s.name;
  row["Driver"] = s.driver;
  row["CreatedAt"] = format::time_ago(format::parse_rfc3339(s.created));
  row["UpdatedAt"] = format::time_ago(format::parse_rfc3339(s.updated));
  return row;
}

}  // namespace

Runner bind_secret_create(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> args, labels, driver_opts;
    std::string driver = "file";
    bool env = false, replace = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("args", o->args, "NAME FILE|- (or NAME VARIABLE with --env)");
  app.add_option("-d,--driver", o->driver, "Specify secret driver");
  app.add_option("--driver-opts", o->driver_opts, "Specify driver specific options");
  app.add_flag("--env", o->env, "Read secret data from environment variable");
  app.add_option("-l,--label", o->labels, "Specify labels on the secret");
  app.add_flag("--replace", o->replace, "If a secret with the same name exists, replace it");
  for (CLI::Option* opt : app.get_options())
    if (!opt->get_positional()) opt->allow_extra_args(false);
  return [o, &g] {
    check_args(o->args, 2, 2);
    storage::Secret s;
    s.name = o->args[0];
    s.driver = o->driver;
    s.driver_options = key_values(o->driver_opts);
    s.labels = key_values(o->labels);
    storage::check_secret_name(s.name);  // before reading anything
    std::string value;
    if (o->env) {
      const char* v = std::getenv(o->args[1].c_str());
      if (v == nullptr) fail("cannot create store secret data: environment variable {} is not set", o->args[1]);
      value = v;
    } else {
      value = read_value(o->args[1]);
    }
    storage::SecretStore store(g.paths);
    auto lock = store.lock();
    s = store.create(s, value, o->replace);
    fmt::print("{}\n", s.id);
    return 0;
  };
}

Runner bind_secret_ls(CLI::App& app, Globals& g) {
  struct Opts {
    std::string format;
    std::vector<std::string> filters;
    bool quiet = false, noheading = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--format", o->format, "Format secret output using Go template");
  app.add_option("-f,--filter", o->filters, "Filter secret output");
  app.add_flag("-q,--quiet", o->quiet, "Print secret IDs only");
  app.add_flag("-n,--noheading", o->noheading, "Do not print headers");
  for (CLI::Option* opt : app.get_options()) opt->allow_extra_args(false);
  return [o, &g] {
    auto f = Filters::parse(o->filters, {"name", "id", "label"},
                            [](const std::string& k) { return fmt::format("invalid filter {:?}", k); });
    std::vector<json> rows;
    ordered_json objs = ordered_json::array();
    for (const auto& s : storage::SecretStore(g.paths).list()) {
      bool ok = f.matches([&](const std::string& k, const std::string& v) {
        if (k == "name") return s.name.find(v) != std::string::npos;
        if (k == "id") return s.id.starts_with(v);
        return label_matches(s.labels, v);
      });
      if (!ok) continue;
      rows.push_back(list_row(s));
      objs.push_back(storage::inspect_json(s));
    }
    format::ListOptions lo;
    lo.format = o->quiet && o->format.empty() ? "{{.ID}}" : o->format;
    lo.headers = {{"CreatedAt", "CREATED"}, {"UpdatedAt", "UPDATED"}};
    lo.noheading = o->noheading;
    lo.name = "list";
    lo.default_format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}";
    format::print_list(stdout, lo, rows, objs);
    return 0;
  };
}

Runner bind_secret_inspect(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    std::string format;
    bool show = false, pretty = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("secret", o->names, "Secrets to inspect");
  app.add_option("-f,--format", o->format, "Format inspect output using Go template");
  app.add_flag("--showsecret", o->show, "Display the secret's value (SecretData)");
  app.add_flag("--pretty", o->pretty, "Print inspect output in human-readable format");
  return [o, &g] {
    check_args(o->names, 1, kAnyArgs);
    storage::SecretStore store(g.paths);
    ordered_json objs = ordered_json::array();
    std::string missing;
    for (const auto& name : o->names) {
      auto s = store.find(name);
      if (!s) {
        if (missing.empty()) missing = name;
        continue;
      }
      std::optional<std::string> data;
      if (o->show) data = store.value(*s);  // asked for: never otherwise
      objs.push_back(storage::inspect_json(*s, data));
    }
    if (o->pretty && o->format.empty()) {
      for (const auto& j : objs)
        fmt::print("ID:              {}\nName:            {}\nDriver:          {}\nCreated at:      {}\nUpdated at:      {}\n",
                   j["ID"].get<std::string>(), j["Spec"]["Name"].get<std::string>(),
                   j["Spec"]["Driver"]["Name"].get<std::string>(), j["CreatedAt"].get<std::string>(),
                   j["UpdatedAt"].get<std::string>());
    } else {
      format::print_inspect(stdout, o->format, objs);
    }
    if (!missing.empty()) fail("inspecting secret: no secret with name or id {:?}: no such secret", missing);
    return 0;
  };
}

Runner bind_secret_exists(CLI::App& app, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  app.add_option("secret", *names, "Secret to look for");
  return [names, &g] {
    check_args(*names, 1, 1);
    return storage::SecretStore(g.paths).find((*names)[0]) ? 0 : 1;
  };
}

Runner bind_secret_rm(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    bool force = false, all = false, ignore = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("secret", o->names, "Secrets to remove");
  app.add_flag("-a,--all", o->all, "Remove all secrets");
  app.add_flag("-f,--force", o->force, "Remove secrets even when containers use them (those containers cannot start again)");
  app.add_flag("-i,--ignore", o->ignore, "Ignore errors when a specified secret is missing");
  return [o, &g] {
    if (o->all && !o->names.empty()) fail("when using the --all switch, you may not pass any secret names or IDs");
    if (!o->all) check_args(o->names, 1, kAnyArgs);
    storage::SecretStore store(g.paths);
    storage::ContainerStore containers(g.paths);
    auto lock = store.lock();
    // Everything is checked before anything is removed.
    std::vector<storage::Secret> todo;
    if (o->all) todo = store.list();
    for (const auto& name : o->names) {
      auto s = store.find(name);
      if (!s && o->ignore) continue;
      if (!s) fail("no secret with name or id {:?}: no such secret", name);
      todo.push_back(*s);
    }
    if (!o->force)
      for (const auto& s : todo) {
        auto users = engine::secret_users(containers, s.name);
        if (users.empty()) continue;
        std::vector<std::string> ids;
        for (const auto& u : users) ids.push_back(u.id.substr(0, 12));
        fail("secret {} is in use by container(s) {}: remove them first, or use --force", s.name, join(ids, ", "));
      }
    for (const auto& s : todo) {
      store.remove(s);
      fmt::print("{}\n", s.id);
    }
    return 0;
  };
}

}  // namespace cabin::cmd
