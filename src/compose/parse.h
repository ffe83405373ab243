// Internal to load.cpp: one compose file, parsed into the model's types but
// not yet merged with the other files, extended or normalised.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "compose/interpolate.h"
#include "compose/model.h"

namespace cabin::compose::detail {

struct Extends {
  std::string file;  // absolute; "" for the same file
  std::string service;
  std::string origin;  // "compose.yml:4", for messages
};

struct ServiceDef {
  Service service;
  // The keys the file gave, nested ones dotted ("build.args",
  // "healthcheck.test"): merging takes these from an override and nothing
  // else. "!reset" keys are in reset instead.
  std::set<std::string> present;
  std::set<std::string> reset;
  std::set<std::string> replace;  // "!override": replaced, not merged
  std::optional<Extends> extends;
};

struct FileModel {
  std::string path;  // absolute
  std::string name;  // top-level name:, interpolated
  std::map<std::string, ServiceDef> services;
  std::map<std::string, Network> networks;
  std::map<std::string, Volume> volumes;
  std::map<std::string, FileObject> secrets, configs;
  std::vector<std::string> includes;  // absolute paths of include: files
};

struct ParseContext {
  std::string display;   // the file's name in messages
  std::string base_dir;  // relative paths are resolved against it
  std::string home;      // for "~"
  Lookup env;
  OnUnset on_unset;
};

FileModel parse_file(const std::string& path, const ParseContext& ctx);

// "~" and relative paths made absolute against base; "." and ".." folded.
std::string absolute_path(const std::string& path, const std::string& base, const std::string& home);

}  // namespace cabin::compose::detail
