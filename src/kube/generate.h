// `kube generate` (podman-kube-generate(1)): containers, pods and named
// volumes as Kubernetes YAML that an API server accepts.
//
// Containers outside pods go together into one Pod named after the first
// ("NAME-pod", as Podman does); each pod becomes a Pod of its own (its infra
// container left out, its published ports given to its first container);
// each volume a PersistentVolumeClaim. --type deployment wraps each Pod in a
// Deployment; --service adds a NodePort Service for a Pod's host ports.
//
// Mounts: named volumes become persistentVolumeClaim volumes, bind mounts
// hostPath volumes, tmpfs emptyDir (medium Memory). A secret's value is
// never read: an env-type secret becomes a secretKeyRef, a mounted one a
// secret volume (key = the secret's name), mounted with subPath at its
// target.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/paths.h"
#include "storage/store.h"

namespace cabin::kube {

struct GenerateOptions {
  std::vector<std::string> names;  // containers, pods or volumes
  std::string type = "pod";        // pod | deployment
  bool service = false;
  int replicas = 1;                // for a deployment
};

// The YAML documents, Podman's header first. Throws (Podman's messages) for
// a name that is no container, pod or volume, a bad --type or --replicas.
std::string generate(const storage::Store& store, const config::StorePaths& paths, const GenerateOptions& o);

// A DNS-1123 label made of a name: lower case, [a-z0-9-], at most 63
// characters, starting and ending with a letter or digit ("x" when nothing
// is left).
std::string dns_label(std::string_view name);

}  // namespace cabin::kube
