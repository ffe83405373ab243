// `cabin compose`: a project's services as containers, Docker Compose v2's
// way, with no daemon and no external provider. Containers are named
// PROJECT-SERVICE-N and labelled com.docker.compose.* (project, service,
// container-number, config-hash, image); `up` creates what is missing,
// recreates what changed (its configuration hash or its image) and starts
// services in dependency order, waiting for the conditions depends_on
// names; networks and volumes are the project's own (PROJECT_NAME). The
// model comes from compose/load.h.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compose/model.h"
#include "config/paths.h"
#include "engine/create.h"
#include "storage/containers.h"
#include "storage/store.h"

namespace cabin::engine::compose {

inline constexpr char kProjectLabel[] = "com.docker.compose.project";
inline constexpr char kServiceLabel[] = "com.docker.compose.service";
inline constexpr char kNumberLabel[] = "com.docker.compose.container-number";
inline constexpr char kHashLabel[] = "com.docker.compose.config-hash";
inline constexpr char kImageLabel[] = "com.docker.compose.image";
inline constexpr char kOneoffLabel[] = "com.docker.compose.oneoff";
inline constexpr char kWorkingDirLabel[] = "com.docker.compose.project.working_dir";
inline constexpr char kConfigFilesLabel[] = "com.docker.compose.project.config_files";
inline constexpr char kNetworkLabel[] = "com.docker.compose.network";
inline constexpr char kVolumeLabel[] = "com.docker.compose.volume";
inline constexpr char kSecretLabel[] = "com.docker.compose.secret";

// Docker Compose's progress lines, on stderr: " Container p-web-1  Started".
void say(std::string_view what, std::string_view name, std::string_view done);
// The record's label KEY ("" when it has none).
std::string label(const storage::ContainerRecord& r, const char* key);

// A service container stopped (if it runs: its stop signal, SIGKILL after
// timeout or its own stop timeout), and removed (with its anonymous
// volumes when asked), each said as Compose does.
void stop_one(storage::ContainerStore& containers, const config::StorePaths& paths, const storage::ContainerRecord& r,
              std::optional<std::chrono::seconds> timeout);
void remove_one(storage::ContainerStore& containers, const config::StorePaths& paths, const storage::ContainerRecord& r,
                bool volumes);

// The project's containers (one-off `run` containers only when asked), of
// the named services (all when empty), by service and number.
std::vector<storage::ContainerRecord> project_containers(const storage::ContainerStore& containers,
                                                         const std::string& project,
                                                         const std::vector<std::string>& services = {},
                                                         bool oneoff = false);

struct UpOptions {
  std::vector<std::string> services;  // and what they depend on (unless no_deps)
  bool build = false, no_build = false;
  bool force_recreate = false, no_recreate = false;
  bool no_deps = false, remove_orphans = false;
  bool quiet_pull = false;
  std::map<std::string, int> scale;  // --scale SERVICE=N
  std::optional<std::chrono::seconds> timeout;  // for containers stopped to be recreated
};

// Brings the services up, detached: networks, volumes, images (built or
// pulled as needed), then each service's containers in dependency order.
// Progress lines ("Container p-web-1  Started") go to stderr. Returns the
// containers of the services brought up. Call in cabin's user namespace.
std::vector<storage::ContainerRecord> up(storage::Store& store, const config::StorePaths& paths,
                                         const cabin::compose::Project& project, const UpOptions& o);

// The service's image made present (built, or pulled, as up does: --build,
// --no-build and pull_policy decide); its ID.
std::string ensure_image(storage::Store& store, const config::StorePaths& paths, const cabin::compose::Project& project,
                         const cabin::compose::Service& s, bool build, bool no_build, bool quiet_pull);
// The run/create flags replica n of the service stands for, with its labels.
CreateOptions service_options(const cabin::compose::Project& project, const cabin::compose::Service& s, int n,
                              const std::string& image_id);
// containers.conf's defaults for what the service does not say, as Podman's
// service applies them to compose's containers.
void apply_containers_conf(const cabin::compose::Service& s, CreateOptions& o);

// Waits until what s depends on is as its condition asks (service_started:
// it runs; service_healthy: its healthcheck passed; service_completed_
// successfully: it exited 0), as Compose does before starting s; throws
// Compose's "dependency failed to start" errors.
void wait_dependencies(storage::ContainerStore& containers, const config::StorePaths& paths,
                       const cabin::compose::Project& project, const cabin::compose::Service& s);

// The project's networks and named volumes the services use, made when
// missing (up does this first).
void ensure_resources(const config::StorePaths& paths, const cabin::compose::Project& project,
                      const std::vector<std::string>& services);

// `compose build`/`up --build`: the services that have a build section.
void build(storage::Store& store, const config::StorePaths& paths, const cabin::compose::Project& project,
           const std::vector<std::string>& services, bool quiet, bool no_cache);
// `compose pull`: the services' images (those with only a build section
// are skipped).
void pull(storage::Store& store, const cabin::compose::Project& project, const std::vector<std::string>& services,
          bool quiet);

struct DownOptions {
  bool volumes = false;        // -v: the project's named volumes and anonymous ones
  std::string rmi;             // "", "local" (built images) or "all"
  bool remove_orphans = false;
  std::optional<std::chrono::seconds> timeout;
};
// Stops and removes the project's containers and networks (and volumes,
// images as asked). Call in cabin's user namespace.
void down(storage::Store& store, const config::StorePaths& paths, const cabin::compose::Project& project,
          const DownOptions& o);

// The image a service runs: image:, else PROJECT-SERVICE (what build tags).
std::string service_image(const cabin::compose::Project& project, const cabin::compose::Service& s);
// The container name of replica n.
std::string container_name(const cabin::compose::Project& project, const cabin::compose::Service& s, int n);

}  // namespace cabin::engine::compose
