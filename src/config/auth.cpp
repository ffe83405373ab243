// Credentials from auth.json and Docker's config.json, looked up the way
// containers/image pkg/docker/config does for Podman.
#include "config/auth.h"

#include <unistd.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "config/mode.h"
#include "config/paths.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

namespace cabin::config {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool is_legacy_file(std::string_view path) {
  auto slash = path.rfind('/');
  return path.substr(slash == std::string_view::npos ? 0 : slash + 1) == ".dockercfg";
}

// Docker Hub answers to several names; the files use any of them.
std::string canonical_registry(std::string_view registry) {
  if (registry == "index.docker.io" || registry == "registry-1.docker.io") return "docker.io";
  return std::string(registry);
}

// The host a key names, for keys that are not matched exactly: URLs
// ("https://index.docker.io/v1/") lose scheme and path; legacy files only
// ever name hosts. Docker Hub's names all become index.docker.io.
std::string normalize_key(std::string_view key, bool legacy) {
  std::string_view stripped = key;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (stripped.rfind(scheme, 0) == 0) {
      stripped.remove_prefix(scheme.size());
      break;
    }
  }
  if (legacy || stripped.size() != key.size()) stripped = stripped.substr(0, stripped.find('/'));
  if (stripped == "registry-1.docker.io" || stripped == "docker.io") return "index.docker.io";
  return std::string(stripped);
}

// Turns one entry into credentials; nullopt for entries without any
// (credential-helper markers, or an "auth" without ':').
std::optional<Credentials> decode_entry(const std::string& path, const std::string& key,
                                        const nlohmann::json& entry) {
  if (!entry.is_object()) fail("auth file {}: entry {:?}: expected an object", path, key);
  auto text = [&](const char* field) -> std::string {
    auto it = entry.find(field);
    if (it == entry.end() || it->is_null()) return "";
    if (!it->is_string()) fail("auth file {}: entry {:?}: {:?} is not a string", path, key, field);
    return it->get<std::string>();
  };
  std::string auth = text("auth"), token = text("identitytoken");
  auto decoded = base64_decode(auth);
  if (!decoded) fail("auth file {}: entry {:?}: \"auth\" is not valid base64", path, key);
  Credentials c;
  c.identity_token = token;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) {
    if (!decoded->empty())
      log::warn("auth file {}: entry {:?}: \"auth\" does not hold USER:PASSWORD, ignored", path, key);
    // Docker keeps an identity token even without "auth"; containers/image
    // drops the entry. A token is a credential, so cabin keeps it.
    if (token.empty()) return std::nullopt;
    return c;
  }
  c.username = decoded->substr(0, colon);
  c.password = decoded->substr(colon + 1);
  // Some writers pad the password with NULs.
  while (!c.password.empty() && c.password.back() == '\0') c.password.pop_back();
  while (!c.password.empty() && c.password.front() == '\0') c.password.erase(0, 1);
  return c;
}

enum class Found { None, Empty, Creds };

// Looks up key (host/ns/repo) in one file. Returns None when no entry
// matches, Empty when the best entry holds nothing.
Found find_in_file(const std::string& path, const std::string& registry, const std::string& key,
                   Credentials& out) {
  auto text = fs::read_file_if_exists(path);
  if (!text) return Found::None;
  const bool legacy = is_legacy_file(path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    fail("auth file {}: {}", path, e.what());
  }
  if (!doc.is_object()) fail("auth file {}: expected a JSON object", path);
  const nlohmann::json* auths = &doc;
  nlohmann::json empty = nlohmann::json::object();
  if (!legacy) {
    auto it = doc.find("auths");
    auths = (it == doc.end() || it->is_null()) ? &empty : &*it;
    if (!auths->is_object()) fail("auth file {}: \"auths\" is not an object", path);
    if (auto helpers = doc.find("credHelpers"); helpers != doc.end() && helpers->is_object() && helpers->contains(registry))
      log::debug("auth file {}: credential helper {} for {} is not supported; using \"auths\"", path,
                 json_text((*helpers)[registry]), registry);
    if (doc.contains("credsStore"))
      log::debug("auth file {}: credsStore is not supported; using \"auths\"", path);
  }

  auto use = [&](const std::string& k) {
    auto c = decode_entry(path, k, auths->at(k));
    if (!c) {
      log::debug("auth file {}: entry {:?} holds no credentials", path, k);
      return Found::Empty;
    }
    log::debug("found credentials for {} in {} (entry {:?})", key, path, k);
    out = *c;
    return Found::Creds;
  };

  // Exact keys, most specific first: host/ns/repo, host/ns, host. Legacy
  // files are registry-wide only.
  if (!legacy) {
    std::string k = key;
    while (true) {
      if (auths->contains(k)) return use(k);
      auto slash = k.rfind('/');
      if (slash == std::string::npos) break;
      k.resize(slash);
    }
  }
  // Then keys that name the registry in another spelling (URLs, Docker Hub's
  // other names). nlohmann's objects are sorted, so the choice is stable.
  std::string want = normalize_key(registry, false);
  for (const auto& [k, v] : auths->items()) {
    if (normalize_key(k, legacy) == want) return use(k);
  }
  return Found::None;
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string clean;
  for (char c : in)
    if (c != '\r' && c != '\n') clean += c;
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < clean.size(); i += 4) {
    const bool last = i + 4 == clean.size();
    int pad = 0;
    uint32_t bits = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = clean[i + j];
      int v;
      if (c == '=') {
        // Padding only at the very end, at most two, nothing after it.
        if (!last || j < 2) return std::nullopt;
        ++pad;
        v = 0;
      } else {
        if (pad) return std::nullopt;
        v = value(c);
        if (v < 0) return std::nullopt;
      }
      bits = (bits << 6) | static_cast<uint32_t>(v);
    }
    out += static_cast<char>((bits >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((bits >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(bits & 0xff);
  }
  return out;
}

std::string docker_config_file() {
  if (auto d = env("DOCKER_CONFIG"); !d.empty()) return fs::join(d, "config.json");
  return fs::join(home_dir(), ".docker/config.json");
}

std::vector<std::string> auth_file_paths() { return auth_file_paths(""); }

std::vector<std::string> auth_file_paths(std::string_view authfile) {
  // An explicit choice must exist (Podman checks --authfile the same way).
  auto explicit_file = [](std::string path, std::string_view what) {
    if (!fs::exists(path)) throw Error(ENOENT, fmt::format("credential file {} ({}) is not accessible", path, what));
    return std::vector<std::string>{std::move(path)};
  };
  if (!authfile.empty()) return explicit_file(std::string(authfile), "--authfile");
  if (auto f = env("REGISTRY_AUTH_FILE"); !f.empty()) return explicit_file(f, "$REGISTRY_AUTH_FILE");
  if (auto d = env("DOCKER_CONFIG"); !d.empty()) return {fs::join(d, "config.json")};

  std::vector<std::string> paths;
  if (docker_mode()) paths.push_back(docker_config_file());  // Docker's own file first
  if (auto rt = env("XDG_RUNTIME_DIR"); !rt.empty()) {
    if (fs::exists(rt))
      paths.push_back(fs::join(rt, "containers/auth.json"));
    else
      log::warn("{:?} directory set by $XDG_RUNTIME_DIR does not exist: not reading credentials from it", rt);
  } else {
    paths.push_back(fmt::format("/run/containers/{}/auth.json", ::getuid()));
  }
  std::string home = home_dir();
  paths.push_back(fs::join(user_config_dir(), "containers/auth.json"));
  paths.push_back(fs::join(home, ".docker/config.json"));
  paths.push_back(fs::join(home, ".dockercfg"));
  return paths;
}

std::optional<Credentials> find_credentials_in(const std::vector<std::string>& files,
                                               std::string_view registry, std::string_view repository) {
  std::string reg = canonical_registry(registry);
  std::string_view repo = repository;
  // Tolerate a repository given with its registry.
  if (repo.size() > registry.size() && repo.substr(0, registry.size()) == registry && repo[registry.size()] == '/')
    repo.remove_prefix(registry.size() + 1);
  std::string key = repo.empty() ? reg : reg + "/" + std::string(repo);
  for (const auto& path : files) {
    Credentials c;
    if (find_in_file(path, reg, key, c) == Found::Creds) return c;
  }
  log::debug("no credentials for {} found", key);
  return std::nullopt;
}

std::optional<Credentials> find_credentials(std::string_view registry, std::string_view repository) {
  return find_credentials_in(auth_file_paths(), registry, repository);
}

Credentials parse_creds(std::string_view creds) {
  Credentials c;
  auto colon = creds.find(':');
  c.username = std::string(creds.substr(0, colon));
  if (colon != std::string_view::npos) c.password = std::string(creds.substr(colon + 1));
  // The value holds a password: keep it out of the message.
  if (c.username.empty()) fail("--creds: the username must not be empty");
  return c;
}

std::string base64_encode(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string auth_write_path(std::string_view authfile) {
  if (!authfile.empty()) return std::string(authfile);
  if (auto f = env("REGISTRY_AUTH_FILE"); !f.empty()) return f;
  // Docker mode writes where Docker does, so docker's other tools see the login.
  if (docker_mode()) return docker_config_file();
  if (auto rt = env("XDG_RUNTIME_DIR"); !rt.empty()) return fs::join(rt, "containers/auth.json");
  return fmt::format("/run/containers/{}/auth.json", ::getuid());
}

namespace {

nlohmann::json read_auth_file(const std::string& path) {
  auto text = fs::read_file_if_exists(path);
  if (!text || text->find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) fail("auth file {}: not a JSON object", path);
  if (j.contains("auths") && !j["auths"].is_object()) fail("auth file {}: \"auths\" is not an object", path);
  return j;
}

void write_auth_file(const std::string& path, const nlohmann::json& j) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0 && !fs::exists(path.substr(0, slash))) fs::mkdir_p(path.substr(0, slash), 0700);
  fs::write_file_atomic(path, json_text(j, 1, '\t') + "\n", 0600);
}

}  // namespace

void store_credentials(const std::string& path, const std::string& key, const Credentials& c) {
  auto j = read_auth_file(path);
  j["auths"][key] = {{"auth", base64_encode(c.username + ":" + c.password)}};
  write_auth_file(path, j);
}

bool remove_credentials(const std::string& path, const std::string& key) {
  if (!fs::exists(path)) return false;
  auto j = read_auth_file(path);
  if (!j.contains("auths") || j["auths"].empty()) return false;
  if (key.empty()) {
    j["auths"] = nlohmann::json::object();
  } else {
    if (!j["auths"].contains(key)) return false;
    j["auths"].erase(key);
  }
  write_auth_file(path, j);
  return true;
}

}  // namespace cabin::config
