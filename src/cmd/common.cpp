#include "cmd/common.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "engine/lifecycle.h"
#include "rootless/userns.h"
#include "util/error.h"
#include "util/strings.h"

namespace cabin::cmd {

storage::Store open_store(const Globals& g) { return storage::Store(g.paths); }

void enter_userns(const Globals& g) {
  if (rootless::userns_state().entered) return;
  const auto& state = rootless::enter_user_namespace();
  if (state.entered) rootless::note_mapping_for_store(g.paths.graphroot, state);
}

std::string network_mode_of(const storage::ContainerRecord& rec) {
  if (!rec.config.is_object()) return "";
  // The network's holder, else the first other namespace joined (--ipc,
  // --uts, --pid container:X): all of them are owned by one user namespace.
  std::string net = rec.config.value("network_mode", "");
  if (net.starts_with("container:") || net.starts_with("ns:")) return net;
  for (const char* key : {"ipc_mode", "uts_mode", "pid_mode"}) {
    std::string m = rec.config.value(key, "");
    if (m.starts_with("container:") || m.starts_with("ns:")) return m;
  }
  return net;
}

void enter_userns_to_start(const Globals& g, storage::ContainerStore& containers, const std::string& network_mode) {
  std::string ns_path, what;
  if (network_mode.starts_with("ns:")) {
    ns_path = network_mode.substr(3);
    what = ns_path;
  } else if (network_mode.starts_with("container:")) {
    auto other = containers.find(network_mode.substr(10));
    if (!other) return enter_userns(g);  // create's checks say what is wrong
    pid_t pid = -1;
    if (!engine::running_pidfd(containers, g.paths, other->id, &pid)) {
      enter_userns_to_start(g, containers, network_mode_of(*other));
      engine::start_detached(containers, g.paths, *other);
      if (!engine::running_pidfd(containers, g.paths, other->id, &pid))
        fail("cannot join the network namespace of container {}: it exited at once", other->name);
    }
    ns_path = fmt::format("/proc/{}/ns/net", pid);
    what = "of container " + other->name;
  } else {
    return enter_userns(g);
  }
  UniqueFd ns;
  try {
    ns = rootless::user_namespace_owning(ns_path);
  } catch (const Error& e) {
    fail("cannot join the network namespace {}: {}; start this container with a command of its own", what, e.what());
  }
  if (!ns) return enter_userns(g);  // ours (or cabin runs as root)
  const auto& state = rootless::join_user_namespace(ns.get());
  rootless::note_mapping_for_store(g.paths.graphroot, state);
}

storage::ContainerRecord find_container(const storage::ContainerStore& containers, const std::string& name) {
  auto rec = containers.find(name);
  if (!rec) throw Error(fmt::format("no container with name or ID {:?} found: no such container", name));
  return *rec;
}

void RemoteFlags::bind(CLI::App& app) {
  add_bool_flag(app, "--tls-verify", tls_verify, "Require HTTPS and verify certificates when contacting registries");
  app.add_option("--cert-dir", cert_dir, "Path to a directory containing TLS certificates and keys");
  app.add_option("--creds", creds, "Credentials (USERNAME:PASSWORD) to use for authenticating to a registry");
  app.add_option("--authfile", authfile, "Path of the authentication file");
}

void RemoteFlags::apply(storage::RemoteOptions& o) const {
  o.tls_verify = tls_verify;
  o.cert_dir = cert_dir;
  if (!creds.empty()) o.creds = config::parse_creds(creds);
  if (authfile.empty()) return;
  if (::access(authfile.c_str(), R_OK) != 0) fail("credential file is not accessible: {}", authfile);
  ::setenv("REGISTRY_AUTH_FILE", authfile.c_str(), 1);
}

void add_bool_flag(CLI::App& app, const std::string& name, std::optional<bool>& target,
                   const std::string& help) {
  app.add_option_function<std::string>(
         name,
         [&target, name](const std::string& v) {
           std::string l = to_lower(v);
           if (l.empty() || l == "true" || l == "1") target = true;
           else if (l == "false" || l == "0") target = false;
           else fail("invalid argument {:?} for {:?} flag: strconv.ParseBool: parsing {:?}: invalid syntax", v, name, v);
         },
         help)
      ->expected(0, 1)
      ->default_str("true");
}

void check_args(const std::vector<std::string>& args, size_t min, size_t max) {
  size_t n = args.size();
  if (n >= min && n <= max) return;
  if (min == max) fail("accepts {} arg(s), received {}", min, n);
  if (max == kAnyArgs) fail("requires at least {} arg(s), only received {}", min, n);
  if (min == 0) fail("accepts at most {} arg(s), received {}", max, n);
  fail("accepts between {} and {} arg(s), received {}", min, max, n);
}

bool confirm(const std::string& question) {
  fmt::print(stderr, "{} [y/N] ", question);
  std::fflush(stderr);
  std::string line;
  if (!std::getline(std::cin, line)) return false;
  auto l = to_lower(trim(line));
  return l == "y" || l == "yes";
}

Filters Filters::parse(const std::vector<std::string>& values, const std::vector<std::string>& keys,
                       const std::function<std::string(const std::string& key)>& invalid) {
  Filters f;
  for (const auto& v : values) {
    auto eq = v.find('=');
    if (eq == std::string::npos) fail("invalid filter {:?}: use KEY=VALUE", v);
    std::string k = v.substr(0, eq), val = v.substr(eq + 1);
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) fail("{}", invalid(k));
    if (k == "dangling" && val != "true" && val != "false" && val != "1" && val != "0")
      fail("failed to parse dangling filter {}: invalid syntax", val);
    f.list.emplace_back(k, val);
  }
  return f;
}

bool Filters::matches(const std::function<bool(const std::string&, const std::string&)>& test) const {
  std::map<std::string, bool> hit;
  for (const auto& [k, v] : list) hit[k] = hit[k] || test(k, v);
  return std::all_of(hit.begin(), hit.end(), [](const auto& h) { return h.second; });
}

bool label_matches(const std::map<std::string, std::string>& labels, const std::string& spec) {
  auto eq = spec.find('=');
  auto it = labels.find(spec.substr(0, eq));
  return it != labels.end() && (eq == std::string::npos || it->second == spec.substr(eq + 1));
}

bool filter_true(const std::string& value) { return value == "true" || value == "1"; }

}  // namespace cabin::cmd
