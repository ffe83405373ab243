// Manifest lists being put together (`cabin manifest`): an OCI image index
// (or Docker manifest list) per file, graphroot/manifests/ID.json, with the
// name it goes by and where each of its instances is in a registry.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/paths.h"

namespace cabin::storage {

struct ManifestList {
  std::string id;    // 64 hex digits, chosen at create, as Podman's
  std::string name;  // normalised ("localhost/list:latest")
  nlohmann::json index;
  std::map<std::string, std::string> sources;  // instance digest -> registry/repo@digest
};

class ManifestLists {
 public:
  explicit ManifestLists(const config::StorePaths& paths);
  // By name (as given, or normalised) or ID (or a unique prefix of 3+).
  std::optional<ManifestList> find(std::string_view name_or_id) const;
  // Throws "NAME: image not known" (exit 125).
  ManifestList get(std::string_view name_or_id) const;
  void save(const ManifestList& list) const;
  void remove(const std::string& id) const;
  std::vector<ManifestList> all() const;

 private:
  std::string dir_;
};

}  // namespace cabin::storage
