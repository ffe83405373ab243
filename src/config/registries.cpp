// registries.conf: reading (v2, and v1 for old main files), merging the
// drop-ins, and answering the questions a pull asks. The rules follow
// containers/image pkg/sysregistriesv2 and pkg/shortnames, which Podman uses.
#include "config/registries.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <span>
#include <sstream>

#include <cpptoml.h>

#include "config/mode.h"
#include "config/paths.h"
#include "config/toml.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strings.h"

namespace cabin::config {
namespace {

constexpr std::string_view kSystemConf = "/etc/containers/registries.conf";
constexpr std::string_view kSystemDropinDir = "/etc/containers/registries.conf.d";
constexpr std::string_view kUserConf = ".config/containers/registries.conf";
constexpr std::string_view kUserDropinDir = ".config/containers/registries.conf.d";
constexpr std::string_view kAliasCacheName = "containers/short-name-aliases.conf";
constexpr std::string_view kRootAliasCache = "/var/cache/containers/short-name-aliases.conf";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// True unless we are real root: a uid other than 0, or 0 inside a user
// namespace (any uid_map other than the initial namespace's identity map).
bool running_rootless() {
  if (::geteuid() != 0) return true;
  auto map = fs::read_file_if_exists("/proc/self/uid_map");
  if (!map) return false;
  std::istringstream in(*map);
  unsigned long inside = 0, outside = 0, count = 0;
  if (!(in >> inside >> outside >> count)) return false;
  return !(inside == 0 && outside == 0 && count == 4294967295UL);
}

using toml::get_bool;
using toml::get_string;
using toml::get_strings;

void note_unknown_keys(const cpptoml::table& t, std::span<const std::string_view> known,
                       std::string_view where, std::string_view origin) {
  toml::note_unknown_keys(t, known, where, "registries.conf", origin);
}

constexpr std::array<std::string_view, 6> kTopLevelKeys = {
    "registry", "unqualified-search-registries", "credential-helpers", "short-name-mode",
    "additional-layer-store-auth-helper", "aliases"};
constexpr std::array<std::string_view, 7> kRegistryKeys = {
    "prefix", "location", "insecure", "blocked", "mirror", "mirror-by-digest-only", "pull-from-mirror"};
constexpr std::array<std::string_view, 3> kMirrorKeys = {"location", "insecure", "pull-from-mirror"};
constexpr std::array<std::string_view, 1> kAliasCacheKeys = {"aliases"};

// Trims trailing slashes and rejects URLs, as containers/image's parseLocation.
std::string parse_location(std::string_view input) {
  std::string_view trimmed = input;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  if (trimmed.rfind("http://", 0) == 0 || trimmed.rfind("https://", 0) == 0)
    fail("invalid location '{}': URI schemes are not supported", std::string(input));
  return std::string(trimmed);
}

bool is_wildcard(std::string_view prefix) { return prefix.rfind("*.", 0) == 0; }

// Length of the part of ref_string that prefix matches, or npos. See the
// header for the rules. containers/image also lets a bare host match the
// same host with a port ("example.com" matches "example.com:5000/x") and
// says not to rely on it; cabin treats another port as another registry.
size_t match_prefix(std::string_view ref, std::string_view prefix) {
  if (is_wildcard(prefix)) {
    // "*.example.com": any subdomain depth, the host part only.
    std::string_view suffix = prefix.substr(1);  // ".example.com"
    size_t host_end = ref.find_first_of("/:@");
    std::string_view host = ref.substr(0, host_end);
    if (host.size() <= suffix.size() || host.compare(host.size() - suffix.size(), suffix.size(), suffix) != 0)
      return std::string_view::npos;
    if (host_end != std::string_view::npos && ref[host_end] == ':') return std::string_view::npos;
    return host.size();
  }
  if (ref.size() < prefix.size() || ref.compare(0, prefix.size(), prefix) != 0) return std::string_view::npos;
  if (ref.size() == prefix.size()) return prefix.size();
  char next = ref[prefix.size()];
  if (next == '/' || next == '@') return prefix.size();
  if (next == ':' && prefix.find('/') != std::string_view::npos) return prefix.size();
  return std::string_view::npos;
}

// ---- one file, parsed and checked, before merging ----

struct FileData {
  std::optional<std::vector<std::string>> search;
  std::string short_name_mode;  // empty: not set
  std::vector<RegistryEntry> registries;
  std::vector<std::pair<std::string, std::string>> aliases;  // value "" erases
};

Mirror parse_mirror(const cpptoml::table& t, const std::string& where, std::string_view origin) {
  note_unknown_keys(t, kMirrorKeys, where, origin);
  Mirror m;
  m.location = get_string(t, "location", where).value_or("");
  m.insecure = get_bool(t, "insecure", where);
  m.pull_from_mirror = get_string(t, "pull-from-mirror", where).value_or("");
  return m;
}

RegistryEntry parse_registry(const cpptoml::table& t, const std::string& where, std::string_view origin) {
  note_unknown_keys(t, kRegistryKeys, where, origin);
  RegistryEntry r;
  r.prefix = get_string(t, "prefix", where).value_or("");
  r.location = get_string(t, "location", where).value_or("");
  r.insecure = get_bool(t, "insecure", where);
  r.blocked = get_bool(t, "blocked", where);
  r.mirror_by_digest_only = get_bool(t, "mirror-by-digest-only", where);
  if (get_string(t, "pull-from-mirror", where))
    fail("pull-from-mirror must not be set for a non-mirror registry {:?}",
         r.prefix.empty() ? r.location : r.prefix);
  if (t.contains("mirror")) {
    auto mirrors = t.get_table_array("mirror");
    if (!mirrors) fail("{}mirror: expected an array of tables ([[registry.mirror]])", where);
    size_t i = 0;
    for (const auto& m : *mirrors) r.mirrors.push_back(parse_mirror(*m, fmt::format("{}mirror[{}].", where, i++), origin));
  }
  r.origin = std::string(origin);
  return r;
}

// Validates and normalises the [[registry]] tables of one file the way
// containers/image's postProcessRegistries does, then keeps the first entry
// of each prefix, sorted by prefix.
void post_process(std::vector<RegistryEntry>& regs) {
  for (auto& reg : regs) {
    reg.location = parse_location(reg.location);
    if (reg.prefix.empty()) {
      if (reg.location.empty()) fail("invalid condition: both location and prefix are unset");
      reg.prefix = reg.location;
    } else {
      reg.prefix = parse_location(reg.prefix);
      if (!is_wildcard(reg.prefix) && reg.location.empty())
        fail("invalid condition: location is unset and prefix is not in the format: *.example.com");
    }
    if (is_wildcard(reg.prefix) && reg.prefix.find_first_of("/@:") != std::string::npos)
      fail("wildcarded prefix should be in the format: *.example.com. Current prefix {:?} is incorrectly formatted",
           reg.prefix);
    for (auto& mir : reg.mirrors) {
      mir.location = parse_location(mir.location);
      if (mir.location.empty()) fail("invalid condition: mirror location is unset");
      if (reg.mirror_by_digest_only && !mir.pull_from_mirror.empty())
        fail("cannot set mirror usage mirror-by-digest-only for the registry ({:?}) and pull-from-mirror "
             "for per-mirror ({:?}) at the same time",
             reg.prefix, mir.location);
      if (!mir.pull_from_mirror.empty() && mir.pull_from_mirror != "all" &&
          mir.pull_from_mirror != "digest-only" && mir.pull_from_mirror != "tag-only")
        fail("unsupported pull-from-mirror value {:?} for mirror {:?}", mir.pull_from_mirror, mir.location);
    }
  }
  // A registry may appear several times (several prefixes), but not with
  // conflicting security settings.
  auto key = [](const RegistryEntry& r) { return r.location.empty() ? r.prefix : r.location; };
  for (size_t i = 0; i < regs.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (key(regs[i]) != key(regs[j])) continue;
      if (regs[i].insecure != regs[j].insecure)
        fail("registry '{}' is defined multiple times with conflicting 'insecure' setting", key(regs[i]));
      if (regs[i].blocked != regs[j].blocked)
        fail("registry '{}' is defined multiple times with conflicting 'blocked' setting", key(regs[i]));
    }
  }
  // The first entry of a prefix wins; later ones could never be chosen.
  std::vector<RegistryEntry> unique;
  for (auto& reg : regs) {
    bool seen = std::any_of(unique.begin(), unique.end(), [&](const RegistryEntry& u) { return u.prefix == reg.prefix; });
    if (seen)
      log::debug("registries.conf {}: ignoring a second [[registry]] with prefix {}", reg.origin, reg.prefix);
    else
      unique.push_back(std::move(reg));
  }
  std::sort(unique.begin(), unique.end(),
            [](const RegistryEntry& a, const RegistryEntry& b) { return a.prefix < b.prefix; });
  regs = std::move(unique);
}

// Left-hand side of an alias: a short name without tag or digest.
std::optional<std::string> short_name_problem(const std::string& name) {
  image::ParsedReference parsed;
  try {
    parsed = image::parse_reference(name);
  } catch (const Error& e) {
    return fmt::format("cannot parse short name: {:?}: {}", name, e.message());
  }
  if (name.find('@') != std::string::npos) return fmt::format("invalid short name {:?}: must not contain digest", name);
  if (image::typed_name(parsed) != name) return fmt::format("invalid short name {:?}: must not contain tag", name);
  if (parsed.qualified) return fmt::format("invalid short name {:?}: must not contain registry", name);
  return std::nullopt;
}

// Right-hand side: a fully qualified name without tag or digest; normalised.
std::string parse_alias_value(const std::string& value, std::vector<std::string>& problems) {
  image::ParsedReference parsed;
  try {
    parsed = image::parse_reference(value);
  } catch (const Error& e) {
    problems.push_back(fmt::format("parsing alias {:?}: {}", value, e.message()));
    return "";
  }
  if (value.find('@') != std::string::npos)
    problems.push_back(fmt::format("invalid alias {:?}: must not contain digest", value));
  else if (image::typed_name(parsed) != value)
    problems.push_back(fmt::format("invalid alias {:?}: must not contain tag", value));
  else if (!parsed.qualified)
    problems.push_back(fmt::format("invalid alias {:?}: must contain registry and repository", value));
  return parsed.ref.name();
}

std::vector<std::pair<std::string, std::string>> parse_aliases(const cpptoml::table& root) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!root.contains("aliases")) return out;
  auto table = root.get_table("aliases");
  if (!table) fail("aliases: expected a table ([aliases])");
  // cpptoml's tables are unordered: sort, so that messages are stable.
  std::vector<std::pair<std::string, std::shared_ptr<cpptoml::base>>> entries(table->begin(), table->end());
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> problems;
  for (const auto& [name, node] : entries) {
    auto value = node->as<std::string>();
    if (!value) fail("aliases.{:?}: expected a string", name);
    if (auto p = short_name_problem(name)) problems.push_back(*p);
    // An empty value erases an alias set by an earlier file.
    std::string normalised = value->get().empty() ? "" : parse_alias_value(value->get(), problems);
    out.emplace_back(name, normalised);
  }
  if (!problems.empty()) fail("validating short-name aliases: {}", join(problems, "; "));
  return out;
}

// v1: [registries.search], [registries.insecure], [registries.block], each
// with registries = [...]. Returns nullopt when the file has none of them.
std::optional<FileData> parse_v1(const cpptoml::table& root) {
  if (!root.contains("registries")) return std::nullopt;
  auto regs = root.get_table("registries");
  if (!regs) fail("registries: expected a table");
  auto list = [&](const char* section) -> std::optional<std::vector<std::string>> {
    if (!regs->contains(section)) return std::nullopt;
    auto t = regs->get_table(section);
    if (!t) fail("registries.{}: expected a table", section);
    return get_strings(*t, "registries", fmt::format("registries.{}.", section));
  };
  auto search = list("search"), insecure = list("insecure"), block = list("block");
  if (!search && !insecure && !block) return std::nullopt;
  FileData out;
  out.search = search;
  // As containers/image converts v1: one entry per location, in order of
  // first mention, blocked ones first.
  auto entry = [&](const std::string& raw) -> RegistryEntry& {
    std::string loc = parse_location(raw);
    for (auto& r : out.registries)
      if (r.location == loc) return r;
    RegistryEntry r;
    r.prefix = r.location = loc;
    out.registries.push_back(r);
    return out.registries.back();
  };
  for (const auto& r : block.value_or(std::vector<std::string>{})) entry(r).blocked = true;
  for (const auto& r : insecure.value_or(std::vector<std::string>{})) entry(r).insecure = true;
  return out;
}

FileData parse_file(std::string_view text, std::string_view origin, bool require_v2, bool aliases_only) {
  auto root = toml::parse(text);
  if (aliases_only) {
    note_unknown_keys(*root, kAliasCacheKeys, "", origin);
    FileData out;
    out.aliases = parse_aliases(*root);
    return out;
  }
  bool has_v2 = std::any_of(kTopLevelKeys.begin(), kTopLevelKeys.end(),
                            [&](std::string_view k) { return root->contains(std::string(k)); });
  if (auto v1 = parse_v1(*root)) {
    if (require_v2) fail("registry must be in v2 format but is in v1");
    if (has_v2) fail("mixing sysregistry v1/v2 is not supported");
    for (auto& r : v1->registries) r.origin = std::string(origin);
    post_process(v1->registries);
    return *v1;
  }
  note_unknown_keys(*root, kTopLevelKeys, "", origin);

  FileData out;
  out.search = get_strings(*root, "unqualified-search-registries", "");
  if (out.search) {
    for (auto& reg : *out.search) {
      reg = parse_location(reg);
      if (!image::is_valid_domain(reg)) fail("invalid unqualified-search-registries entry {:?}", reg);
    }
  }
  out.short_name_mode = get_string(*root, "short-name-mode", "").value_or("");
  if (!out.short_name_mode.empty() && out.short_name_mode != "enforcing" &&
      out.short_name_mode != "permissive" && out.short_name_mode != "disabled")
    fail("invalid short-name mode: {:?}", out.short_name_mode);
  // Credential helpers are not run by cabin: auth files are its only source.
  if (auto helpers = get_strings(*root, "credential-helpers", "")) {
    for (const auto& h : *helpers)
      if (h != "containers-auth.json")
        log::debug("registries.conf {}: credential helper {} is not supported, ignored", origin, h);
  }
  get_string(*root, "additional-layer-store-auth-helper", "");  // type check only

  if (root->contains("registry")) {
    auto regs = root->get_table_array("registry");
    if (!regs) fail("registry: expected an array of tables ([[registry]])");
    size_t i = 0;
    for (const auto& t : *regs) out.registries.push_back(parse_registry(*t, fmt::format("registry[{}].", i++), origin));
  }
  post_process(out.registries);
  out.aliases = parse_aliases(*root);
  return out;
}

// Rewrites ref for one endpoint: location replaces the matched prefix; an
// empty location (wildcard prefixes only) keeps ref as it is.
image::Reference rewrite(const image::Reference& ref, std::string_view prefix, const std::string& location) {
  if (location.empty()) return ref;
  std::string s = ref.string();
  size_t len = match_prefix(s, prefix);
  if (len == std::string::npos) fail("invalid prefix '{}' for reference '{}'", prefix, s);
  std::string rewritten = location + s.substr(len);
  // Unlike containers/image, which insists that the result be written in
  // canonical form, a location such as "docker.io" is normalised here
  // (docker.io/x becomes docker.io/library/x).
  auto parsed = with_context(fmt::format("rewriting reference {} to {}", s, location),
                             [&] { return image::parse_reference(rewritten); });
  if (!parsed.qualified) fail("rewriting reference {} to {}: location has no registry host", s, location);
  return parsed.ref;
}

}  // namespace

// ---- loading ----

RegistriesConfSources RegistriesConf::sources() {
  RegistriesConfSources s;
  std::string home = home_dir();
  std::string user_conf = fs::join(home, kUserConf);
  std::string user_dir = fs::join(home, kUserDropinDir);
  std::string override_path = env("CONTAINERS_REGISTRIES_CONF");
  if (override_path.empty()) override_path = env("REGISTRIES_CONFIG_PATH");  // the older name
  if (!override_path.empty()) {
    s.main = override_path;
    s.main_required = true;
    s.dropin_dirs = {std::string(kSystemDropinDir), user_dir};
  } else if (fs::exists(user_conf)) {
    // The user's registries.conf replaces the system one, drop-ins included.
    s.main = user_conf;
    s.dropin_dirs = {user_dir};
  } else {
    s.main = std::string(kSystemConf);
    s.dropin_dirs = {std::string(kSystemDropinDir), user_dir};
  }
  if (running_rootless()) {
    std::string cache = env("XDG_CACHE_HOME");
    if (cache.empty()) cache = fs::join(home, ".cache");
    s.alias_cache = fs::join(cache, kAliasCacheName);
  } else {
    s.alias_cache = std::string(kRootAliasCache);
  }
  return s;
}

RegistriesConf RegistriesConf::load() { return load(sources()); }

RegistriesConf RegistriesConf::load(const RegistriesConfSources& src) {
  RegistriesConf conf;
  if (auto text = fs::read_file_if_exists(src.main)) {
    log::debug("loading registries configuration {}", src.main);
    conf.merge_text(*text, src.main);
  } else if (src.main_required) {
    throw Error(ENOENT, fmt::format("registries.conf {}", src.main));
  }
  for (const auto& dir : src.dropin_dirs) {
    for (const auto& file : toml::dropin_files(dir, "registries.conf.d")) {
      auto text = fs::read_file_if_exists(file);
      if (!text) continue;  // removed since the listing
      log::debug("loading drop-in registries configuration {}", file);
      conf.merge_dropin_text(*text, file);
    }
  }
  if (!src.alias_cache.empty()) {
    if (auto text = fs::read_file_if_exists(src.alias_cache)) conf.merge_alias_cache_text(*text, src.alias_cache);
  }
  return conf;
}

void RegistriesConf::merge_text(std::string_view toml, std::string_view origin) {
  merge(toml, origin, FileKind::Main);
}
void RegistriesConf::merge_dropin_text(std::string_view toml, std::string_view origin) {
  merge(toml, origin, FileKind::DropIn);
}
void RegistriesConf::merge_alias_cache_text(std::string_view toml, std::string_view origin) {
  merge(toml, origin, FileKind::AliasCache);
}

void RegistriesConf::merge(std::string_view toml, std::string_view origin, FileKind kind) {
  const char* what = kind == FileKind::AliasCache ? "short-name-aliases.conf" : "registries.conf";
  FileData data = with_context(fmt::format("{} {}", what, origin), [&] {
    return parse_file(toml, origin, kind == FileKind::DropIn, kind == FileKind::AliasCache);
  });

  // [[registry]]: same prefix replaces, new ones are added; kept sorted.
  for (auto& reg : data.registries) {
    auto it = std::find_if(registries.begin(), registries.end(),
                           [&](const RegistryEntry& r) { return r.prefix == reg.prefix; });
    if (it != registries.end())
      *it = std::move(reg);
    else
      registries.push_back(std::move(reg));
  }
  std::sort(registries.begin(), registries.end(),
            [](const RegistryEntry& a, const RegistryEntry& b) { return a.prefix < b.prefix; });

  // A present key replaces, even an empty list.
  if (data.search) {
    unqualified_search_registries = std::move(*data.search);
    unqualified_search_registries_origin = std::string(origin);
  } else if (kind == FileKind::Main) {
    unqualified_search_registries_origin = std::string(origin);
  }
  if (!data.short_name_mode.empty()) short_name_mode = data.short_name_mode;
  for (auto& [name, value] : data.aliases) {
    if (value.empty())
      aliases.erase(name);
    else
      aliases[name] = value;
  }
  files_read.emplace_back(origin);
}

// ---- lookups ----

const RegistryEntry* RegistriesConf::find(std::string_view ref_string) const {
  const RegistryEntry* best = nullptr;
  for (const auto& r : registries) {
    if (match_prefix(ref_string, r.prefix) == std::string_view::npos) continue;
    if (!best || r.prefix.size() > best->prefix.size()) best = &r;
  }
  return best;
}

const RegistryEntry* RegistriesConf::find(const image::Reference& ref) const { return find(ref.string()); }

bool RegistriesConf::is_insecure(std::string_view domain) const {
  const RegistryEntry* r = find(domain);
  return r && r->insecure;
}

std::string RegistriesConf::describe_files() const {
  return files_read.empty() ? "registries.conf" : join(files_read, ", ");
}

std::vector<PullSource> RegistriesConf::pull_sources(const image::Reference& ref) const {
  const RegistryEntry* reg = find(ref);
  if (!reg) return {PullSource{ref, false}};
  if (reg->blocked) fail("registry {} is blocked in {}", reg->prefix, reg->origin.empty() ? describe_files() : reg->origin);

  // Mirrors first, as pull-from-mirror (or mirror-by-digest-only) allows.
  const bool digested = !ref.digest.empty();
  std::vector<PullSource> out;
  for (const auto& mir : reg->mirrors) {
    bool use = reg->mirror_by_digest_only ? digested
               : mir.pull_from_mirror == "digest-only" ? digested
               : mir.pull_from_mirror == "tag-only"    ? !digested
                                                       : true;
    if (use) out.push_back({rewrite(ref, reg->prefix, mir.location), mir.insecure});
  }
  out.push_back({rewrite(ref, reg->prefix, reg->location), reg->insecure});

  // Each physical endpoint is also subject to its own entry, as in
  // containers/image: insecure there applies, and a blocked one is skipped.
  std::vector<PullSource> allowed;
  for (auto& src : out) {
    const RegistryEntry* own = find(src.ref);
    if (own && own != reg) {
      if (own->blocked) {
        log::debug("skipping {}: registry {} is blocked in {}", src.ref.string(), own->prefix, own->origin);
        continue;
      }
      src.insecure = src.insecure || own->insecure;
    }
    allowed.push_back(std::move(src));
  }
  if (allowed.empty())
    fail("pull {}: every source is blocked in {}", ref.string(), describe_files());
  return allowed;
}

std::vector<image::Reference> RegistriesConf::resolve_short_name(const image::ParsedReference& parsed) const {
  if (parsed.qualified) return {parsed.ref};
  // Docker has neither aliases nor search registries: a short name is docker.io's.
  if (docker_mode()) return {parsed.ref};

  // An alias always wins; the tag or digest typed by the user is kept.
  std::string short_name = image::typed_name(parsed);
  if (auto it = aliases.find(short_name); it != aliases.end()) {
    image::Reference ref = image::parse_reference(it->second).ref;
    ref.tag = parsed.ref.tag;
    ref.digest = parsed.ref.digest;
    return {ref};
  }

  if (unqualified_search_registries.empty()) {
    if (!unqualified_search_registries_origin.empty())
      fail("short-name {:?} did not resolve to an alias and no unqualified-search registries are defined in {:?}",
           parsed.original, unqualified_search_registries_origin);
    fail("short-name {:?} did not resolve to an alias and no containers-registries.conf(5) was found",
         parsed.original);
  }
  // One candidate per search registry, in order (docker.io adds library/).
  // With short-name-mode "enforcing" and several candidates Podman prompts on
  // a terminal and fails without one; cabin never prompts and returns all
  // candidates in order in every mode, as Podman's "permissive" mode does
  // without a terminal.
  std::vector<image::Reference> out;
  for (const auto& reg : unqualified_search_registries) {
    auto candidate = with_context(fmt::format("creating reference with unqualified-search registry {:?}", reg),
                                  [&] { return image::parse_reference(reg + "/" + parsed.original); });
    out.push_back(candidate.ref);
  }
  return out;
}

}  // namespace cabin::config
