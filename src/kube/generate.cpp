#include "kube/generate.h"

#include <algorithm>
#include <chrono>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "cabin-config.h"
#include "engine/create.h"
#include "engine/pod.h"
#include "image/report.h"
#include "runtime/spec_json.h"
#include "net/config.h"
#include "storage/volumes.h"
#include "util/fs.h"
#include "util/error.h"

namespace cabin::kube {
namespace {

using nlohmann::ordered_json;

// Whether a YAML reader would take the plain scalar for something other
// than this string (a number, a boolean, null): then it is quoted.
bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  // YAML 1.1 timestamps (creationTimestamp): a string, as Kubernetes writes them.
  static const std::regex kTimestamp(R"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?)");
  if (std::regex_match(s, kTimestamp)) return true;
  try {
    YAML::Node n = YAML::Load(s);
    if (!n.IsScalar() || n.Scalar() != s) return true;
    bool b;
    double d;
    return n.IsNull() || YAML::convert<bool>::decode(n, b) || YAML::convert<double>::decode(n, d) ||
           n.Tag() != "?";
  } catch (const YAML::Exception&) {
    return true;
  }
}

void emit(YAML::Emitter& out, const ordered_json& j) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, v] : j.items()) {
      out << YAML::Key << k << YAML::Value;
      emit(out, v);
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& v : j) emit(out, v);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (needs_quotes(s)) out << YAML::DoubleQuoted;
    out << s;
  } else if (j.is_boolean()) {
    out << YAML::TrueFalseBool << j.get<bool>();
  } else if (j.is_number_integer()) {
    out << j.get<int64_t>();
  } else if (j.is_number()) {
    out << j.get<double>();
  } else {
    out << YAML::Null;
  }
}

std::string to_yaml(const ordered_json& doc) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  emit(out, doc);
  std::string s = out.c_str();
  // yaml-cpp indents a sequence under a key; Kubernetes' own YAML (and
  // Podman's) does not. Both read the same; keep yaml-cpp's.
  return s + "\n";
}

// RFC 3339 to the second, as Kubernetes writes creationTimestamp.
std::string timestamp(const std::string& rfc3339) {
  if (rfc3339.size() >= 19) return rfc3339.substr(0, 19) + "Z";
  return rfc3339;
}

// A DNS-1123 subdomain from a name (object names): lower case, [a-z0-9.-].
std::string dns_subdomain(std::string_view name) {
  std::string out;
  for (char c : name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(l)) || l == '-' || l == '.') ? l : '-';
  }
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.back()))) out.pop_back();
  out.erase(0, std::min(out.size(), out.find_first_not_of("-.")));
  if (out.size() > 253) out.resize(253);
  return out.empty() ? "x" : out;
}

std::string restart_policy(const runtime::RestartPolicy& p) {
  if (p.name == "always" || p.name == "unless-stopped") return "Always";
  if (p.name == "on-failure") return "OnFailure";
  return "Never";
}

int64_t whole_seconds(std::chrono::nanoseconds d) {
  return std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

// What the container has that its image does not, as Podman leaves out
// what the image (or the engine) sets anyway.
struct ImageDefaults {
  std::set<std::string> env;
  std::vector<std::string> command;  // entrypoint + cmd
  std::string workdir = "/";
  std::string name;
};

ImageDefaults image_defaults(const storage::Store& store, const storage::ContainerRecord& r) {
  ImageDefaults d;
  d.name = r.image;
  if (r.image_id.empty()) return d;
  auto rec = store.find_image(r.image_id);
  if (!rec) return d;
  // The name as stored (registry and tag spelled out) when the given one is short.
  for (const auto& n : rec->names)
    if (n.find('@') == std::string::npos &&
        (n == r.image || n.ends_with("/" + r.image) || n.ends_with("/" + r.image + ":latest") ||
         n == r.image + ":latest")) {
      d.name = n;
      break;
    }
  auto cfg = image::load_config(store, *rec).value("config", nlohmann::json::object());
  if (cfg.contains("Env") && cfg["Env"].is_array())
    for (const auto& e : cfg["Env"]) d.env.insert(e.get<std::string>());
  for (const char* key : {"Entrypoint", "Cmd"})
    if (cfg.contains(key) && cfg[key].is_array())
      for (const auto& a : cfg[key]) d.command.push_back(a.get<std::string>());
  if (cfg.contains("WorkingDir") && cfg["WorkingDir"].is_string() && !cfg["WorkingDir"].get<std::string>().empty())
    d.workdir = cfg["WorkingDir"];
  return d;
}

bool engine_env(const std::string& e) {
  for (const char* prefix : {"container=", "HOSTNAME=", "HOME="})
    if (e.starts_with(prefix)) return true;
  return e == "TERM=xterm" || e == "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

// One Pod under construction: its containers and volumes (by name, once).
struct PodBuild {
  std::string name;
  std::string created;
  ordered_json containers = ordered_json::array();
  ordered_json volumes = ordered_json::array();
  std::set<std::string> volume_names;
  std::string restart;
  int host_paths = 0;
  std::vector<net::PortMapping> ports;  // for the Service

  void add_volume(const std::string& vname, ordered_json v) {
    if (!volume_names.insert(vname).second) return;
    v["name"] = vname;
    volumes.push_back(std::move(v));
  }
};

ordered_json container_yaml(const storage::Store& store, const config::StorePaths& paths, PodBuild& pod,
                            const storage::ContainerRecord& r, const std::vector<net::PortMapping>& pod_ports) {
  storage::ContainerStore containers(paths);
  auto cfg = engine::load_start_config(containers, r.id);
  const auto& s = cfg.spec;
  auto img = image_defaults(store, r);
  std::string userdata = containers.dir(r.id) + "/userdata/";

  ordered_json c;
  if (r.command != img.command && !r.command.empty()) c["command"] = r.command;

  ordered_json env = ordered_json::array();
  for (const auto& e : s.env) {
    if (img.env.count(e) || engine_env(e)) continue;
    auto eq = e.find('=');
    env.push_back({{"name", e.substr(0, eq)}, {"value", eq == std::string::npos ? "" : e.substr(eq + 1)}});
  }
  ordered_json mounts = ordered_json::array();
  for (const auto& u : cfg.secrets) {
    if (u.env) {
      env.push_back({{"name", u.target}, {"valueFrom", {{"secretKeyRef", {{"name", u.name}, {"key", u.name}}}}}});
      continue;
    }
    std::string vname = dns_label(u.name + "-secret");
    ordered_json item = {{"key", u.name}, {"path", u.name}, {"mode", static_cast<int>(u.mode & 07777)}};
    pod.add_volume(vname, {{"secret", {{"secretName", u.name}, {"items", ordered_json::array({item})}}}});
    mounts.push_back({{"mountPath", u.target}, {"name", vname}, {"readOnly", true}, {"subPath", u.name}});
  }
  if (!env.empty()) c["env"] = env;
  c["image"] = img.name;

  if (cfg.health && cfg.health->enabled()) {
    const auto& h = *cfg.health;
    ordered_json probe;
    probe["exec"] = {{"command", h.command()}};
    probe["failureThreshold"] = h.retries;
    if (h.start_period.count() > 0) probe["initialDelaySeconds"] = whole_seconds(h.start_period);
    probe["periodSeconds"] = whole_seconds(h.interval);
    probe["timeoutSeconds"] = whole_seconds(h.timeout);
    c["livenessProbe"] = probe;
  }
  c["name"] = dns_label(r.name);

  ordered_json ports = ordered_json::array();
  for (const auto& p : pod_ports) {
    ordered_json pj = {{"containerPort", p.container_port}};
    if (p.host_ip.size() && p.host_ip != "0.0.0.0") pj["hostIP"] = p.host_ip;
    if (p.host_port) pj["hostPort"] = p.host_port;
    if (p.protocol == "udp") pj["protocol"] = "UDP";
    ports.push_back(pj);
  }
  if (!ports.empty()) c["ports"] = ports;
  if (s.read_only) c["securityContext"] = {{"readOnlyRootFilesystem", true}};
  if (s.stdin_open) c["stdin"] = true;
  if (s.terminal) c["tty"] = true;

  for (const auto& m : s.mounts) {
    if (m.source.rfind(userdata, 0) == 0) continue;  // the generated /etc files
    if (!m.device.empty()) continue;                 // --device: Kubernetes has no host devices in a Pod
    ordered_json mj = {{"mountPath", m.destination}};
    std::string vname;
    if (!m.volume.empty() && !m.anonymous) {
      vname = dns_label(m.volume + "-pvc");
      pod.add_volume(vname, {{"persistentVolumeClaim", {{"claimName", m.volume}}}});
    } else if (m.anonymous) {
      vname = dns_label(m.volume.substr(0, 12) + "-anon");
      pod.add_volume(vname, {{"emptyDir", ordered_json::object()}});
    } else if (m.kind == runtime::MountSpec::Kind::Tmpfs) {
      vname = dns_label(m.destination + "-tmpfs");
      pod.add_volume(vname, {{"emptyDir", {{"medium", "Memory"}}}});
    } else {
      // The path's label cut short, so that the suffix keeps names apart.
      std::string suffix = fmt::format("-host-{}", pod.host_paths++);
      vname = dns_label(m.source);
      vname = dns_label(vname.substr(0, 63 - suffix.size())) + suffix;
      ordered_json hp = {{"path", m.source}};
      if (fs::is_dir(m.source)) hp["type"] = "Directory";
      else if (fs::exists(m.source)) hp["type"] = "File";
      pod.add_volume(vname, {{"hostPath", hp}});
    }
    mj["name"] = vname;
    if (m.read_only) mj["readOnly"] = true;
    mounts.push_back(mj);
  }
  if (!mounts.empty()) {
    std::stable_sort(mounts.begin(), mounts.end(),
                     [](const auto& a, const auto& b) { return a["mountPath"] < b["mountPath"]; });
    c["volumeMounts"] = mounts;
  }
  if (s.cwd != img.workdir) c["workingDir"] = s.cwd;
  if (pod.restart.empty() && cfg.restart.name != "no") pod.restart = restart_policy(cfg.restart);
  return c;
}

ordered_json pod_spec(const PodBuild& b, bool deployment) {
  ordered_json spec;
  spec["automountServiceAccountToken"] = false;
  spec["containers"] = b.containers;
  spec["enableServiceLinks"] = false;
  // A Deployment's pods always restart (the only policy Kubernetes allows there).
  if (!deployment) spec["restartPolicy"] = b.restart.empty() ? "Never" : b.restart;
  if (!b.volumes.empty()) spec["volumes"] = b.volumes;
  return spec;
}

ordered_json pod_doc(const PodBuild& b, const GenerateOptions& o) {
  std::string name = dns_subdomain(b.name);
  ordered_json meta = {{"creationTimestamp", timestamp(b.created)}, {"labels", {{"app", dns_label(b.name)}}},
                       {"name", name}};
  if (o.type != "deployment")
    return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", pod_spec(b, false)}};
  ordered_json dep;
  dep["apiVersion"] = "apps/v1";
  dep["kind"] = "Deployment";
  dep["metadata"] = {{"creationTimestamp", timestamp(b.created)}, {"labels", {{"app", dns_label(b.name)}}},
                     {"name", dns_subdomain(b.name + "-deployment")}};
  dep["spec"] = {{"replicas", o.replicas},
                 {"selector", {{"matchLabels", {{"app", dns_label(b.name)}}}}},
                 {"template", {{"metadata", meta}, {"spec", pod_spec(b, true)}}}};
  return dep;
}

ordered_json service_doc(const PodBuild& b) {
  ordered_json ports = ordered_json::array();
  std::set<std::pair<int, std::string>> seen;
  for (const auto& p : b.ports) {
    if (!seen.insert({p.container_port, p.protocol}).second) continue;
    ordered_json pj = {{"name", fmt::format("{}{}", p.container_port, p.protocol == "udp" ? "-udp" : "")},
                       {"port", p.container_port}};
    if (p.protocol == "udp") pj["protocol"] = "UDP";
    pj["targetPort"] = p.container_port;
    ports.push_back(pj);
  }
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"creationTimestamp", timestamp(b.created)}, {"labels", {{"app", dns_label(b.name)}}},
                        {"name", dns_subdomain(b.name)}}},
          {"spec", {{"ports", ports}, {"selector", {{"app", dns_label(b.name)}}}, {"type", "NodePort"}}}};
}

ordered_json pvc_doc(const storage::Volume& v) {
  ordered_json meta;
  meta["annotations"] = {{"volume.podman.io/driver", v.driver}};
  for (const auto& [k, val] : v.options) meta["annotations"]["volume.podman.io/" + k] = val;
  meta["creationTimestamp"] = timestamp(v.created);
  if (!v.labels.empty()) meta["labels"] = v.labels;
  meta["name"] = dns_subdomain(v.name);
  return {{"apiVersion", "v1"},
          {"kind", "PersistentVolumeClaim"},
          {"metadata", meta},
          {"spec", {{"accessModes", {"ReadWriteOnce"}}, {"resources", {{"requests", {{"storage", "1Gi"}}}}}}},
          {"status", ordered_json::object()}};
}

std::vector<net::PortMapping> record_ports(const storage::ContainerRecord& r) { return net::record_ports(r.config); }

}  // namespace

std::string dns_label(std::string_view name) {
  std::string out;
  for (char c : name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = std::isalnum(static_cast<unsigned char>(l));
    if (ok) out += l;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "x" : out;
}

std::string generate(const storage::Store& store, const config::StorePaths& paths, const GenerateOptions& o) {
  if (o.type != "pod" && o.type != "deployment")
    fail("invalid type given, only supported types are pod and deployment");
  if (o.replicas < 1) fail("--replicas must be at least 1, not {}", o.replicas);
  if (o.replicas != 1 && o.type != "deployment") fail("--replicas is only used with --type deployment");
  if (o.names.empty()) fail("generate kube requires at least one container, pod or volume name");

  storage::ContainerStore containers(paths);
  engine::PodStore pods(paths);
  storage::VolumeStore volumes(paths);
  std::vector<storage::ContainerRecord> loose;
  std::vector<engine::PodRecord> pod_records;
  std::vector<storage::Volume> vols;
  // Everything is looked up first: a bad name writes nothing.
  for (const auto& n : o.names) {
    if (auto c = containers.find(n)) {
      if (engine::is_infra(*c)) fail("{} is an infra container: name its pod instead", n);
      if (!engine::pod_of(*c).empty()) fail("container {} is in pod {}: name the pod instead", n,
                                            pods.get(engine::pod_of(*c)).name);
      loose.push_back(*c);
    } else if (auto p = pods.find(n)) {
      pod_records.push_back(*p);
    } else if (auto v = volumes.find(n)) {
      vols.push_back(*v);
    } else {
      fail("name or ID {:?} not found", n);
    }
  }

  std::vector<PodBuild> builds;
  if (!loose.empty()) {
    PodBuild b{.name = loose.front().name + "-pod", .created = loose.front().created};
    for (const auto& r : loose) {
      auto ports = record_ports(r);
      b.containers.push_back(container_yaml(store, paths, b, r, ports));
      b.ports.insert(b.ports.end(), ports.begin(), ports.end());
    }
    builds.push_back(std::move(b));
  }
  for (const auto& p : pod_records) {
    PodBuild b{.name = p.name, .created = p.created};
    auto members = engine::pod_containers(containers, p);
    // The pod's ports are its infra's; Kubernetes puts them on a container.
    std::vector<net::PortMapping> pod_ports;
    for (const auto& r : members)
      if (engine::is_infra(r)) pod_ports = record_ports(r);
    bool first = true;
    for (const auto& r : members) {
      if (engine::is_infra(r)) continue;
      auto ports = record_ports(r);
      if (first) ports.insert(ports.end(), pod_ports.begin(), pod_ports.end());
      first = false;
      b.containers.push_back(container_yaml(store, paths, b, r, ports));
      b.ports.insert(b.ports.end(), ports.begin(), ports.end());
    }
    if (b.containers.empty()) fail("pod {} has no containers to generate", p.name);
    builds.push_back(std::move(b));
  }

  std::vector<ordered_json> docs;
  for (const auto& b : builds) {
    if (o.service && !b.ports.empty()) docs.push_back(service_doc(b));
    docs.push_back(pod_doc(b, o));
  }
  for (const auto& v : vols) docs.push_back(pvc_doc(v));

  std::string out =
      "# Save the output of this file and use kubectl create -f to import\n"
      "# it into Kubernetes.\n#\n# Created with cabin-" CABIN_VERSION "\n";
  for (const auto& d : docs) out += "---\n" + to_yaml(d);
  return out;
}

}  // namespace cabin::kube
