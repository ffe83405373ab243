#include "cdi/cdi.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace cabin::cdi {
namespace {

// The spec's grammar (pkg/parser in the CDI repository): vendor a domain-like
// name, class and device names letters, digits and a few separators.
const std::regex kVendor(R"([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)");
const std::regex kClass(R"([A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)");
const std::regex kDevice(R"([A-Za-z0-9]([A-Za-z0-9_.:-]*[A-Za-z0-9])?)");

bool valid_kind(const std::string& kind) {
  auto slash = kind.find('/');
  return slash != std::string::npos && std::regex_match(kind.substr(0, slash), kVendor) &&
         std::regex_match(kind.substr(slash + 1), kClass);
}

struct Spec {
  std::string file, kind;
  Edits common;                          // containerEdits of the whole spec
  std::map<std::string, Edits> devices;  // name -> its containerEdits
};

std::string str(const YAML::Node& n, const char* what) {
  if (!n.IsScalar()) fail("{} must be a string", what);
  return n.Scalar();
}

// Reads containerEdits into e, checking their shape (so that a bad spec
// fails whoever asks for its devices, with the file named).
void add_edits(const YAML::Node& edits, Edits& e) {
  if (!edits || edits.IsNull()) return;
  if (!edits.IsMap()) fail("containerEdits must be a mapping");
  if (auto env = edits["env"]) {
    if (!env.IsSequence()) fail("containerEdits.env must be a list");
    for (const auto& v : env) {
      std::string kv = str(v, "containerEdits.env entries");
      if (kv.find('=') == std::string::npos || kv[0] == '=') fail("containerEdits.env: {:?} is not KEY=VALUE", kv);
      e.env.push_back(kv);
    }
  }
  if (auto nodes = edits["deviceNodes"]) {
    if (!nodes.IsSequence()) fail("containerEdits.deviceNodes must be a list");
    for (const auto& n : nodes) {
      if (!n.IsMap() || !n["path"]) fail("containerEdits.deviceNodes entries need a path");
      DeviceNode d;
      d.container = str(n["path"], "deviceNodes path");
      d.host = n["hostPath"] ? str(n["hostPath"], "deviceNodes hostPath") : d.container;
      if (d.container.empty() || d.container[0] != '/' || d.host.empty() || d.host[0] != '/')
        fail("containerEdits.deviceNodes: {:?} is not an absolute path", d.container.empty() ? d.host : d.container);
      if (n["permissions"]) d.perms = str(n["permissions"], "deviceNodes permissions");
      if (d.perms.empty() || d.perms.find_first_not_of("rwm") != std::string::npos)
        fail("containerEdits.deviceNodes: invalid permissions {:?}", d.perms);
      e.device_nodes.push_back(d);
    }
  }
  if (auto mounts = edits["mounts"]) {
    if (!mounts.IsSequence()) fail("containerEdits.mounts must be a list");
    for (const auto& m : mounts) {
      if (!m.IsMap() || !m["hostPath"] || !m["containerPath"])
        fail("containerEdits.mounts entries need a hostPath and a containerPath");
      Mount mt{str(m["hostPath"], "mounts hostPath"), str(m["containerPath"], "mounts containerPath")};
      if (mt.host.empty() || mt.host[0] != '/' || mt.container.empty() || mt.container[0] != '/')
        fail("containerEdits.mounts: {:?} -> {:?}: paths must be absolute", mt.host, mt.container);
      if (auto type = m["type"]; type && str(type, "mounts type") != "bind" && type.Scalar() != "none")
        fail("containerEdits.mounts: type {:?} is not supported (bind mounts only)", type.Scalar());
      if (auto opts = m["options"]) {
        if (!opts.IsSequence()) fail("containerEdits.mounts options must be a list");
        for (const auto& o : opts) mt.read_only = mt.read_only || str(o, "mounts options") == "ro";
      }
      e.mounts.push_back(mt);
    }
  }
  if (auto gids = edits["additionalGids"]) {
    if (!gids.IsSequence()) fail("containerEdits.additionalGids must be a list");
    for (const auto& g : gids) {
      uint32_t gid;
      if (!g.IsScalar() || !YAML::convert<uint32_t>::decode(g, gid)) fail("containerEdits.additionalGids: not a group id");
      e.additional_gids.push_back(gid);
    }
  }
  if (auto hooks = edits["hooks"]) {
    if (!hooks.IsSequence()) fail("containerEdits.hooks must be a list");
    e.hooks += hooks.size();
  }
}

void append(Edits& to, const Edits& from) {
  to.env.insert(to.env.end(), from.env.begin(), from.env.end());
  to.device_nodes.insert(to.device_nodes.end(), from.device_nodes.begin(), from.device_nodes.end());
  to.mounts.insert(to.mounts.end(), from.mounts.begin(), from.mounts.end());
  to.additional_gids.insert(to.additional_gids.end(), from.additional_gids.begin(), from.additional_gids.end());
  to.hooks += from.hooks;
}

Spec load_spec(const std::string& file) {
  return with_context(fmt::format("CDI spec {}", file), [&] {
    std::string text = fs::read_file(file);
    if (auto line = yaml_non_utf8_line(text)) fail("not YAML or JSON: line {}: invalid UTF-8", line);
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      fail("not YAML or JSON: {}", e.what());
    }
    if (!root.IsMap()) fail("not a CDI spec (a mapping with cdiVersion, kind and devices)");
    if (!root["cdiVersion"]) fail("cdiVersion is missing");
    Spec s;
    s.file = file;
    if (!root["kind"]) fail("kind is missing");
    s.kind = str(root["kind"], "kind");
    if (!valid_kind(s.kind)) fail("invalid kind {:?}: it must be vendor.com/class", s.kind);
    auto devices = root["devices"];
    if (!devices || !devices.IsSequence() || devices.size() == 0) fail("devices must be a non-empty list");
    add_edits(root["containerEdits"], s.common);
    for (const auto& d : devices) {
      if (!d.IsMap() || !d["name"]) fail("a device has no name");
      std::string name = str(d["name"], "a device's name");
      if (!std::regex_match(name, kDevice)) fail("invalid device name {:?}", name);
      if (!d["containerEdits"]) fail("device {:?} has no containerEdits", name);
      add_edits(d["containerEdits"], s.devices[name]);
    }
    return s;
  });
}

}  // namespace

std::vector<std::string> default_spec_dirs() { return {"/etc/cdi", "/var/run/cdi"}; }

Edits resolve(const std::vector<std::string>& names, const std::vector<std::string>& spec_dirs) {
  // Only the specs of the kinds asked for are read.
  std::vector<std::pair<std::string, std::string>> wanted;  // kind, device
  for (const auto& n : names) {
    auto eq = n.find('=');
    std::string kind = n.substr(0, eq), dev = eq == std::string::npos ? "" : n.substr(eq + 1);
    if (eq == std::string::npos || !valid_kind(kind) || !std::regex_match(dev, kDevice))
      fail("invalid CDI device name {:?}: it must be vendor.com/class=name", n);
    wanted.emplace_back(kind, dev);
  }
  std::map<std::string, Spec> by_kind;  // a later directory's spec of a kind replaces an earlier one's
  namespace sfs = std::filesystem;
  for (const auto& dir : spec_dirs) {
    std::error_code ec;
    std::vector<std::string> files;
    for (const auto& entry : sfs::directory_iterator(dir, ec)) {
      auto ext = entry.path().extension();
      if ((ext == ".json" || ext == ".yaml") && entry.is_regular_file(ec)) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      // The kind is known only once the file is parsed.
      Spec s = load_spec(f);
      if (std::any_of(wanted.begin(), wanted.end(), [&](const auto& w) { return w.first == s.kind; }))
        by_kind[s.kind] = std::move(s);
    }
  }
  Edits out;
  std::vector<std::string> missing;
  std::vector<std::string> applied_common;
  for (size_t i = 0; i < wanted.size(); ++i) {
    auto it = by_kind.find(wanted[i].first);
    if (it == by_kind.end() || !it->second.devices.count(wanted[i].second)) {
      missing.push_back(names[i]);
      continue;
    }
    const Spec& s = it->second;
    // A spec's common edits once, however many of its devices are asked for.
    if (std::find(applied_common.begin(), applied_common.end(), s.kind) == applied_common.end()) {
      append(out, s.common);
      applied_common.push_back(s.kind);
    }
    append(out, s.devices.at(wanted[i].second));
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    fail("setting up CDI devices: unresolvable CDI devices {}", list);
  }
  return out;
}

}  // namespace cabin::cdi
