// registries.conf (v2) as containers-registries.conf(5) defines it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "image/reference.h"

namespace cabin::config {

struct Mirror {
  std::string location;
  bool insecure = false;
  std::string pull_from_mirror;  // "all" (default), "digest-only", "tag-only"
};

struct RegistryEntry {
  std::string prefix;    // as written, or the location when prefix is absent
  std::string location;  // may be empty (means: same as prefix)
  bool insecure = false;
  bool blocked = false;
  std::vector<Mirror> mirrors;
  // mirror-by-digest-only: mirrors are used for digest references only.
  bool mirror_by_digest_only = false;
  std::string origin;  // the file that defined this entry
};

// One place to pull an image from: a rewritten reference and its transport.
struct PullSource {
  image::Reference ref;  // with the domain/path rewritten to the mirror or location
  bool insecure = false;
};

// Where load() reads from (see sources()).
struct RegistriesConfSources {
  std::string main;                      // registries.conf
  bool main_required = false;            // named by the environment: missing is an error
  std::vector<std::string> dropin_dirs;  // registries.conf.d directories, in order
  std::string alias_cache;               // short-name-aliases.conf, or empty
};

class RegistriesConf {
 public:
  std::vector<std::string> unqualified_search_registries;
  // Defaults to "permissive" when no file sets it, as containers-registries.conf(5)
  // says. cabin never prompts, so the mode is informational (see resolve_short_name).
  std::string short_name_mode = "permissive";
  std::map<std::string, std::string> aliases;  // short name → fully qualified
  std::vector<RegistryEntry> registries;       // sorted by prefix, prefixes unique
  std::vector<std::string> files_read;
  // The file that set unqualified_search_registries: the main registries.conf,
  // or the last drop-in that set the key; empty when no file was read.
  std::string unqualified_search_registries_origin;

  // Reads CONTAINERS_REGISTRIES_CONF if set; otherwise /etc/containers/registries.conf
  // (or $HOME/.config/containers/registries.conf when present, which replaces it)
  // and the registries.conf.d drop-ins of both, in lexical order.
  static RegistriesConf load();
  // The files load() reads, as containers/image chooses them:
  //  - main: $CONTAINERS_REGISTRIES_CONF (or the legacy $REGISTRIES_CONFIG_PATH),
  //    which must exist; else $HOME/.config/containers/registries.conf if it
  //    exists (note: $HOME, not $XDG_CONFIG_HOME, as containers/image does);
  //    else /etc/containers/registries.conf (missing is fine).
  //  - drop-ins: when the user's registries.conf is the main file, only
  //    $HOME/.config/containers/registries.conf.d; otherwise
  //    /etc/containers/registries.conf.d then the user's one. This holds with
  //    CONTAINERS_REGISTRIES_CONF too: Podman still reads both drop-in dirs.
  //  - alias_cache: $XDG_CACHE_HOME (or ~/.cache)/containers/short-name-aliases.conf
  //    rootless, /var/cache/containers/short-name-aliases.conf as real root.
  static RegistriesConfSources sources();
  // Reads the main file, the *.conf files of each drop-in dir (lexical order,
  // no subdirectories; drop-ins must be v2), then the alias cache (whose
  // aliases win). Throws cabin::Error naming the file on any problem.
  static RegistriesConf load(const RegistriesConfSources& sources);

  // Parses one file's text and merges it into *this (later files override
  // scalar keys and replace registries with the same prefix). Throws
  // cabin::Error "registries.conf ORIGIN: …" on a syntax or type error.
  // This is the main-file flavour: v1 is accepted, and origin becomes the
  // origin of unqualified-search-registries even when the file does not set them.
  void merge_text(std::string_view toml, std::string_view origin);
  // A registries.conf.d drop-in: v2 only, and it takes over
  // unqualified-search-registries only when it sets the key.
  void merge_dropin_text(std::string_view toml, std::string_view origin);
  // short-name-aliases.conf: only [aliases] is read; its entries win.
  void merge_alias_cache_text(std::string_view toml, std::string_view origin);

  // The entry whose prefix matches ref longest (wildcards "*.example.com"), or null.
  const RegistryEntry* find(const image::Reference& ref) const;
  // The same for a registry, repository or reference string ("host[:port]",
  // "host/ns/repo", "host/ns/repo:tag"): a prefix matches when the string
  // starts with it followed by the end, '/', ':' (not right after a bare host,
  // where ':' would start a port) or '@'.
  const RegistryEntry* find(std::string_view ref_string) const;
  // Mirrors (as allowed by pull-from-mirror) then the primary location.
  // Throws cabin::Error when the registry is blocked.
  std::vector<PullSource> pull_sources(const image::Reference& ref) const;
  // Candidates for an unqualified name, in order: an alias, else each
  // unqualified-search registry. Throws when there are none to try. In Docker
  // mode (config/mode.h) only docker.io: the parsed reference itself.
  std::vector<image::Reference> resolve_short_name(const image::ParsedReference& parsed) const;
  // Whether the registry (host[:port]) is marked insecure.
  bool is_insecure(std::string_view domain) const;

 private:
  enum class FileKind { Main, DropIn, AliasCache };
  void merge(std::string_view toml, std::string_view origin, FileKind kind);
  std::string describe_files() const;
};

}  // namespace cabin::config
