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
};

// One place to pull an image from: a rewritten reference and its transport.
struct PullSource {
  image::Reference ref;  // with the domain/path rewritten to the mirror or location
  bool insecure = false;
};

class RegistriesConf {
 public:
  std::vector<std::string> unqualified_search_registries;
  std::string short_name_mode = "enforcing";
  std::map<std::string, std::string> aliases;  // short name → fully qualified
  std::vector<RegistryEntry> registries;
  std::vector<std::string> files_read;

  // Reads CONTAINERS_REGISTRIES_CONF if set; otherwise /etc/containers/registries.conf
  // (or $HOME/.config/containers/registries.conf when present, which replaces it)
  // and the registries.conf.d drop-ins of both, in lexical order.
  static RegistriesConf load();
  // Parses one file's text and merges it into *this (later files override
  // scalar keys and replace registries with the same prefix). Throws
  // cabin::Error "registries.conf ORIGIN: …" on a syntax or type error.
  void merge_text(std::string_view toml, std::string_view origin);

  // The entry whose prefix matches ref longest (wildcards "*.example.com"), or null.
  const RegistryEntry* find(const image::Reference& ref) const;
  // Mirrors (as allowed by pull-from-mirror) then the primary location.
  // Throws cabin::Error when the registry is blocked.
  std::vector<PullSource> pull_sources(const image::Reference& ref) const;
  // Candidates for an unqualified name, in order: an alias, else each
  // unqualified-search registry. Throws when there are none to try.
  std::vector<image::Reference> resolve_short_name(const image::ParsedReference& parsed) const;
  // Whether the registry (host[:port]) is marked insecure.
  bool is_insecure(std::string_view domain) const;
};

}  // namespace cabin::config
