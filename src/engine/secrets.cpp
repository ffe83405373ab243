#include "engine/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "config/paths.h"
#include "rootless/idmap.h"
#include "runtime/plan.h"
#include "storage/secrets.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strings.h"

namespace cabin::engine {
namespace {

constexpr std::string_view kSecretsDir = "/run/secrets";

uint32_t secret_number(const std::string& flag, const std::string& key, const std::string& text, int base) {
  auto n = parse_number<uint32_t>(text, base);
  if (!n) fail("invalid --secret {:?}: {} must be {}", flag, key, base == 8 ? "an octal mode" : "a number");
  return *n;
}

}  // namespace

runtime::SecretUse parse_secret_flag(const std::string& value) {
  auto parts = split(value, ',');
  runtime::SecretUse u;
  u.name = parts.empty() ? "" : parts[0];
  if (u.name.empty() || u.name.find('=') != std::string::npos)
    fail("invalid --secret {:?}: want NAME[,type=mount|env][,target=PATH|VAR][,uid=N][,gid=N][,mode=OCTAL]", value);
  std::string type = "mount";
  bool owner_given = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    auto eq = parts[i].find('=');
    std::string key = parts[i].substr(0, eq), val = eq == std::string::npos ? "" : parts[i].substr(eq + 1);
    if (eq == std::string::npos || val.empty()) fail("invalid --secret {:?}: option {:?} must be KEY=VALUE", value, key);
    if (key == "type") type = val;
    else if (key == "target") u.target = val;
    else if (key == "uid") u.uid = secret_number(value, key, val, 10), owner_given = true;
    else if (key == "gid") u.gid = secret_number(value, key, val, 10), owner_given = true;
    else if (key == "mode") u.mode = static_cast<mode_t>(secret_number(value, key, val, 8)), owner_given = true;
    else fail("invalid --secret {:?}: unknown option {:?} (type, target, uid, gid, mode)", value, key);
  }
  if (type != "mount" && type != "env") fail("invalid --secret {:?}: type must be mount or env", value);
  if (u.mode > 07777) fail("invalid --secret {:?}: mode must be an octal mode", value);
  u.env = type == "env";
  if (u.env) {
    if (owner_given) fail("invalid --secret {:?}: UID, GID, Mode options cannot be set with secret type env", value);
    if (u.target.empty()) u.target = u.name;
    if (u.target.find('=') != std::string::npos) fail("invalid --secret {:?}: the variable name cannot hold '='", value);
  } else {
    if (u.target.empty()) u.target = u.name;
    if (u.target.front() != '/') u.target = std::string(kSecretsDir) + "/" + u.target;
    auto segs = split(u.target, '/');
    if (std::any_of(segs.begin(), segs.end(), [](const std::string& s) { return s == ".."; }) || u.target == "/" ||
        u.target.back() == '/')
      fail("invalid --secret {:?}: the target must be a file path without \"..\"", value);
  }
  return u;
}

nlohmann::json check_secrets(const config::StorePaths& paths, const std::vector<runtime::SecretUse>& uses) {
  if (uses.empty()) return nullptr;
  storage::SecretStore store(paths);
  nlohmann::json names = nlohmann::json::array();
  std::set<std::string> targets;
  for (const auto& u : uses) {
    auto s = store.get(u.name);
    if (!targets.insert((u.env ? "env:" : "mount:") + u.target).second)
      fail("secret {}: {} {} is already used by another --secret", u.name, u.env ? "variable" : "target", u.target);
    names.push_back(s.name);
  }
  return names;
}

std::vector<std::string> secrets_of(const storage::ContainerRecord& rec) {
  std::vector<std::string> out;
  if (rec.config.is_object() && rec.config.contains("secrets"))
    for (const auto& n : rec.config["secrets"])
      if (n.is_string()) out.push_back(n.get<std::string>());
  return out;
}

std::vector<storage::ContainerRecord> secret_users(const storage::ContainerStore& containers, const std::string& name) {
  std::vector<storage::ContainerRecord> out;
  for (const auto& rec : containers.list()) {
    auto names = secrets_of(rec);
    if (std::find(names.begin(), names.end(), name) != names.end()) out.push_back(rec);
  }
  return out;
}

std::set<std::string> secret_paths(const runtime::StartConfig& cfg) {
  std::set<std::string> out;
  for (const auto& u : cfg.secrets) {
    if (u.env) continue;
    out.insert(std::string(kSecretsDir.substr(1)));
    out.insert(u.target.substr(1));
  }
  return out;
}

SecretFiles::SecretFiles(const config::StorePaths& paths, const std::string& id, const runtime::StartConfig& cfg)
    : spec_(cfg.spec) {
  if (cfg.secrets.empty()) return;
  storage::SecretStore store(paths);
  for (const auto& u : cfg.secrets) {
    auto value = store.value(store.get(u.name));
    if (u.env) {
      runtime::set_env(spec_.env, u.target + "=" + value);
      continue;
    }
    if (dir_.empty()) {
      config::ensure_private_dir(paths.runroot);
      std::string parent = fs::join(paths.runroot, "secrets");
      fs::mkdir_p(parent, 0700);
      dir_ = fs::join(parent, id.substr(0, 12) + "-" + fs::random_suffix());
      if (::mkdir(dir_.c_str(), 0700) != 0) throw_errno("create {}", dir_);
    }
    // The owner as cabin's user namespace sees it: the container's own
    // namespace (keep-id, --uidmap) maps its ids onto cabin's.
    long uid = u.uid, gid = u.gid;
    if (spec_.userns) {
      uid = rootless::to_host(spec_.userns->uids, u.uid);
      gid = rootless::to_host(spec_.userns->gids, u.gid);
    }
    std::string copy = fs::join(dir_, std::to_string(spec_.mounts.size()));
    fs::write_file_atomic(copy, value, 0600);
    if (uid < 0 || gid < 0 || ::chown(copy.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0)
      fail("secret {}: cannot give its file the owner {}:{}: the id is not mapped in the user namespace", u.name, u.uid,
           u.gid);
    if (::chmod(copy.c_str(), u.mode) != 0) throw_errno("chmod secret {}", u.name);
    runtime::MountSpec m;
    m.source = copy;
    m.destination = u.target;
    m.read_only = true;
    m.recursive = false;
    spec_.mounts.push_back(m);
  }
}

SecretFiles::~SecretFiles() {
  if (dir_.empty()) return;
  try {
    fs::remove_all(dir_);
  } catch (const Error& e) {
    log::warn("removing {}: {}", dir_, e.what());
  }
}

std::vector<std::string> secret_env(const config::StorePaths& paths, const runtime::StartConfig& cfg) {
  std::vector<std::string> out;
  storage::SecretStore store(paths);
  for (const auto& u : cfg.secrets)
    if (u.env) out.push_back(u.target + "=" + store.value(store.get(u.name)));
  return out;
}

}  // namespace cabin::engine
