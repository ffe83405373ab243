// cabin network create|ls|inspect|rm|prune|exists|connect|disconnect
// (podman-network(1)).
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/prune.h"
#include "format/output.h"
#include "net/store.h"
#include "storage/containers.h"
#include "util/error.h"
#include "util/signals.h"
#include "util/strings.h"

namespace cabin::cmd {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Template fields as Podman's network ls has them.

Filters parse_filters(const std::vector<std::string>& values) {
  return Filters::parse(values, {"name", "id", "driver", "label", "dangling"},
                        [](const std::string& k) { return fmt::format("invalid filter {:?}", k); });
}

bool matches(const Filters& f, const net::Network& n, const storage::ContainerStore& containers) {
  return f.matches([&](const std::string& k, const std::string& v) {
    if (k == "name") return n.name.find(v) != std::string::npos;
    if (k == "id") return n.id.rfind(v, 0) == 0;
    if (k == "driver") return n.driver == v;
    if (k == "label") return label_matches(n.labels, v);
    return filter_true(v) == (n.name != net::kDefaultNetwork && engine::network_users(containers, n.name).empty());  // dangling
  });
}

struct CreateOpts {
  std::vector<std::string> args, labels, options;
  std::string driver = "bridge", subnet, gateway, ip_range;
  bool internal = false, disable_dns = false, ignore = false, ipv6 = false;
};

}  // namespace

Runner bind_network_create(CLI::App& app, Globals& g) {
  auto o = std::make_shared<CreateOpts>();
  app.add_option("name", o->args, "Network name");
  app.add_option("-d,--driver", o->driver, "Driver to manage the network");
  app.add_option("--subnet", o->subnet, "Subnets in CIDR format");
  app.add_option("--gateway", o->gateway, "IPv4 or IPv6 gateway for the subnet");
  app.add_option("--ip-range", o->ip_range, "Allocate container IP from range");
  app.add_flag("--internal", o->internal, "Restrict external access from this network");
  app.add_option("--label", o->labels, "Set metadata on a network");
  app.add_option("-o,--opt", o->options, "Set driver specific options");
  app.add_flag("--disable-dns", o->disable_dns, "Disable DNS plugin");
  app.add_flag("--ignore", o->ignore, "Don't fail if network already exists");
  app.add_flag("--ipv6", o->ipv6, "Enable IPv6 networking");
  for (CLI::Option* opt : app.get_options()) opt->allow_extra_args(false);
  return [o, &g] {
    check_args(o->args, 0, 1);
    if (o->ipv6) fail("--ipv6 is not supported: cabin's networks are IPv4");
    net::NetworkStore store(g.paths);
    auto lock = store.lock();
    net::Network n;
    if (o->args.empty()) {
      for (int i = 1;; ++i)
        if (!store.find(fmt::format("cabin{}", i))) {
          n.name = fmt::format("cabin{}", i);
          break;
        }
    } else {
      n.name = o->args[0];
    }
    if (o->ignore && store.find(n.name)) {
      fmt::print("{}\n", n.name);
      return 0;
    }
    n.driver = o->driver;
    n.subnet = o->subnet;
    n.gateway = o->gateway;
    n.range_start = o->ip_range;
    n.internal = o->internal;
    n.dns_enabled = !o->disable_dns;
    n.labels = key_values(o->labels);
    for (const auto& opt : o->options) {
      auto eq = opt.find('=');
      std::string k = opt.substr(0, eq);
      if (k != "mtu" && k != "isolate" && k != "metric")
        fail("unsupported bridge network option {}", k);
      n.options[k] = eq == std::string::npos ? "" : opt.substr(eq + 1);
    }
    n = store.create(n);
    fmt::print("{}\n", n.name);
    return 0;
  };
}

Runner bind_network_ls(CLI::App& app, Globals& g) {
  struct Opts {
    std::string format;
    std::vector<std::string> filters;
    bool quiet = false, noheading = false, no_trunc = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--format", o->format, "Pretty-print networks to JSON or using a Go template");
  app.add_option("-f,--filter", o->filters, "Provide filter values (e.g. 'name=podman')");
  app.add_flag("-q,--quiet", o->quiet, "Display only network names");
  app.add_flag("--noheading", o->noheading, "Do not print headers");
  app.add_flag("--no-trunc", o->no_trunc, "Do not truncate the network ID");
  for (CLI::Option* opt : app.get_options()) opt->allow_extra_args(false);
  return [o, &g] {
    auto f = parse_filters(o->filters);
    net::NetworkStore store(g.paths);
    storage::ContainerStore containers(g.paths);
    std::vector<json> rows;
    ordered_json objs = ordered_json::array();
    for (const auto& n : store.list()) {
      if (!matches(f, n, containers)) continue;
      auto r = net::template_fields(n);
      if (o->no_trunc) r["ID"] = n.id;
      rows.push_back(r);
      objs.push_back(net::to_json(n));
    }
    format::ListOptions lo;
    lo.format = o->quiet && o->format.empty() ? "{{.Name}}" : o->format;
    lo.headers = {{"ID", "NETWORK ID"}};
    lo.noheading = o->noheading;
    lo.json_indent = 2;
    lo.name = "list";
    lo.default_format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}";
    format::print_list(stdout, lo, rows, objs);
    return 0;
  };
}

Runner bind_network_inspect(CLI::App& app, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto fmt_ = std::make_shared<std::string>();
  app.add_option("network", *names, "Networks to inspect");
  app.add_option("-f,--format", *fmt_, "Pretty-print network to JSON or using a Go template");
  return [names, fmt_, &g] {
    check_args(*names, 1, kAnyArgs);
    net::NetworkStore store(g.paths);
    ordered_json objs = ordered_json::array();
    json tmpl = json::array();
    std::string missing;
    for (const auto& name : *names) {
      auto n = store.find(name);
      if (!n) {
        missing = name;
        continue;
      }
      objs.push_back(net::to_json(*n));
      tmpl.push_back(net::inspect_view(*n));
    }
    format::print_inspect(stdout, *fmt_, objs, tmpl);
    if (!missing.empty()) fail("network {}: unable to find network with name or ID {}: network not found", missing, missing);
    return 0;
  };
}

Runner bind_network_exists(CLI::App& app, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  app.add_option("network", *names, "Network to look for");
  return [names, &g] {
    check_args(*names, 1, 1);
    return net::NetworkStore(g.paths).find((*names)[0]) ? 0 : 1;
  };
}

Runner bind_network_rm(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    bool force = false;
    int time = 10;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("network", o->names, "Networks to remove");
  app.add_flag("-f,--force", o->force, "remove any containers using network");
  app.add_option("-t,--time", o->time, "Seconds to wait for running containers to stop before killing the container");
  return [o, &g] {
    check_args(o->names, 1, kAnyArgs);
    net::NetworkStore store(g.paths);
    storage::ContainerStore containers(g.paths);
    int rc = 0;
    for (const auto& name : o->names) {
      auto n = store.find(name);
      if (!n) {
        fmt::print(stderr, "Error: unable to find network with name or ID {}: network not found\n", name);
        rc = 1;
        continue;
      }
      if (n->name == net::kDefaultNetwork) {
        fmt::print(stderr, "Error: default network {} cannot be removed\n", n->name);
        rc = kExitError;
        continue;
      }
      auto users = engine::network_users(containers, n->name);
      if (!users.empty() && !o->force) {
        fmt::print(stderr, "Error: {:?} has associated containers with it. Use -f to forcibly delete containers and "
                           "pods: network is being used\n", n->name);
        rc = 2;
        continue;
      }
      if (!users.empty()) enter_userns(g);  // their files may belong to subordinate ids
      for (const auto& rec : users) engine::force_remove_container(containers, g.paths, rec, std::chrono::seconds(o->time));
      auto lock = store.lock();
      store.remove(n->name);
      fmt::print("{}\n", n->name);
    }
    return rc;
  };
}

Runner bind_network_prune(CLI::App& app, Globals& g) {
  struct Opts {
    bool force = false;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<Opts>();
  app.add_flag("-f,--force", o->force, "do not prompt for confirmation");
  app.add_option("--filter", o->filters, "Provide filter values (e.g. 'label=<key>=<value>')");
  return [o, &g] {
    auto f = parse_filters(o->filters);
    if (!o->force && !confirm("WARNING! This will remove all networks not used by at least one container.\n"
                              "Are you sure you want to continue?"))
      return 0;
    net::NetworkStore store(g.paths);
    storage::ContainerStore containers(g.paths);
    auto pruned = engine::prune_networks(g.paths, containers, [&](const std::string& name) {
      auto n = store.find(name);
      return n && matches(f, *n, containers);
    });
    for (const auto& name : pruned.names) fmt::print("{}\n", name);
    return 0;
  };
}

}  // namespace cabin::cmd

namespace cabin::cmd {

Runner bind_network_connect(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> args;
    net::Attachment a;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("args", o->args, "NETWORK CONTAINER");
  app.add_option("--alias", o->a.aliases, "network scoped alias for container");
  app.add_option("--ip", o->a.ip, "set a static ipv4 address for this container network");
  app.add_option("--mac-address", o->a.mac, "set a static mac address for this container network");
  return [o, &g] {
    check_args(o->args, 2, 2);
    storage::ContainerStore containers(g.paths);
    auto rec = find_container(containers, o->args[1]);
    // The checks of run's --network NAME --network-alias --ip --mac-address.
    auto c = net::parse_network({o->args[0]}, o->a.aliases, o->a.ip, o->a.mac);
    if (c.mode != net::Mode::Bridge || c.networks.size() != 1)
      fail("unable to find network with name or ID {}: network not found", o->args[0]);
    engine::connect_network(containers, g.paths, rec, c.networks.front());
    return 0;
  };
}

Runner bind_network_disconnect(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> args;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("args", o->args, "NETWORK CONTAINER");
  app.add_flag("-f,--force", o->force, "force removal of container from network");
  return [o, &g] {
    check_args(o->args, 2, 2);
    storage::ContainerStore containers(g.paths);
    auto rec = find_container(containers, o->args[1]);
    engine::disconnect_network(containers, g.paths, rec, o->args[0]);
    return 0;
  };
}

}  // namespace cabin::cmd
