// `kube play` and `kube down`: a kube::Plan (kube/play.h) made into pods
// with their infra, containers named POD-CONTAINER, named volumes
// (PersistentVolumeClaims, and ConfigMap/Secret volumes filled with their
// keys as files) and secrets (Kubernetes Secrets); or those pods removed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/paths.h"
#include "kube/play.h"
#include "storage/containers.h"
#include "storage/pull.h"
#include "storage/store.h"

namespace cabin::engine::kube {

struct PlayOptions {
  bool start = true;    // --start=false: created only
  bool replace = false; // the plan's pods that exist are removed first
  bool quiet = false;   // pulls without progress
  storage::RemoteOptions remote;  // --tls-verify, --creds, …
};

struct PlayReport {
  std::vector<std::string> volumes;  // made for PersistentVolumeClaims
  struct Pod {
    std::string id;
    std::vector<std::string> containers;
  };
  std::vector<Pod> pods;
};

// Checks everything it can first (names free, images present or pulled,
// ConfigMap and Secret references, bind sources); then makes the volumes,
// secrets, pods and containers, and starts the pods. Whatever fails on the
// way, what it made is removed again. Call in cabin's user namespace.
PlayReport play(storage::Store& store, const config::StorePaths& paths, const cabin::kube::Plan& plan,
                const PlayOptions& o);

struct DownReport {
  std::vector<std::string> stopped, removed;  // pod IDs
};
// Stops and removes the plan's pods (with their containers and their
// anonymous volumes); volumes and secrets stay, as in Podman 4.3. A pod
// that is not there is an error (nothing removed) unless ignore_missing.
// Stops from the host's side; call enter_userns between stop and remove
// through the callback.
DownReport down(storage::ContainerStore& containers, const config::StorePaths& paths, const cabin::kube::Plan& plan,
                bool ignore_missing, const std::function<void()>& before_remove);

}  // namespace cabin::engine::kube
