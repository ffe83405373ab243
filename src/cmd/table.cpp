#include "cmd/command.h"

#include <array>

namespace cabin::cmd {
namespace {

using namespace std::string_view_literals;

constexpr std::array kImagesAliases = {"list"sv, "ls"sv};
constexpr std::array kRmiAliases = {"remove"sv};

// `cabin image …`: the image group. Top-level shortcuts (images, rmi, tag, …)
// below point at the same binders.
constexpr std::array kImageCommands = {
    Command{"build", "Build an image using instructions from Containerfiles", Needs::UserNS, bind_build},
    Command{"exists", "Check if an image exists in local storage", Needs::Host, bind_image_exists},
    Command{"export", "Export an image as one squashfs file (for run --rootfs FILE on shared filesystems)",
            Needs::UserNS, bind_image_export},
    Command{"history", "Show history of a specified image", Needs::Host, bind_history},
    Command{"import", "Import a tarball to create a filesystem image", Needs::UserNS, bind_import},
    Command{"inspect", "Display the configuration of an image", Needs::Host, bind_image_inspect},
    Command{"ls", "List images in local storage", Needs::Host, bind_images, {}, kImagesAliases},
    Command{"prune", "Remove unused images", Needs::UserNS, bind_image_prune},
    Command{"pull", "Pull an image from a registry", Needs::UserNS, bind_pull},
    Command{"push", "Push an image to a specified destination", Needs::UserNS, bind_push},
    Command{"load", "Load image(s) from a tar archive", Needs::UserNS, bind_load},
    Command{"save", "Save image(s) to an archive", Needs::UserNS, bind_save},
    Command{"rm", "Remove one or more images from local storage", Needs::UserNS, bind_rmi, {},
            kRmiAliases},
    Command{"tag", "Add an additional name to a local image", Needs::Host, bind_tag},
    Command{"untag", "Remove a name from a local image", Needs::Host, bind_untag},
};

// `cabin buildx build`: Docker's spelling, as Podman accepts it.
constexpr std::array kBuildxCommands = {
    Command{"build", "Build an image using instructions from Containerfiles", Needs::UserNS, bind_build},
};

// `cabin manifest …`: multi-arch lists.
constexpr std::array kManifestCommands = {
    Command{"add", "Add images to a manifest list or image index", Needs::Host, bind_manifest_add},
    Command{"annotate", "Add or update information about an entry in a manifest list or image index", Needs::Host,
            bind_manifest_annotate},
    Command{"create", "Create manifest list or image index", Needs::Host, bind_manifest_create},
    Command{"exists", "Check if a manifest list exists in local storage", Needs::Host, bind_manifest_exists},
    Command{"inspect", "Display the contents of a manifest list or image index", Needs::Host, bind_manifest_inspect},
    Command{"push", "Push a manifest list or image index to a registry", Needs::Host, bind_manifest_push},
    Command{"rm", "Remove manifest list or image index from local storage", Needs::Host, bind_manifest_rm},
};

constexpr std::array kPsAliases = {"list"sv, "ls"sv};

// `cabin container …`: the container group; most are also top-level.
constexpr std::array kContainerCommands = {
    Command{"attach", "Attach to a running container", Needs::Host, bind_attach},
    Command{"commit", "Create new image based on the changed container", Needs::UserNS, bind_commit},
    Command{"cp", "Copy files/folders between a container and the local filesystem", Needs::Host, bind_cp},
    Command{"create", "Create but do not start a container", Needs::UserNS, bind_create},
    Command{"diff", "Inspect changes to the container's file systems", Needs::UserNS, bind_diff},
    Command{"exec", "Run a process in a running container", Needs::Host, bind_exec},
    Command{"exists", "Check if a container exists in local storage", Needs::Host, bind_container_exists},
    Command{"export", "Export container's filesystem contents as a tar archive", Needs::Host, bind_export},
    Command{"inspect", "Display the configuration of a container", Needs::Host, bind_container_inspect},
    Command{"kill", "Kill one or more running containers with a specific signal", Needs::Host, bind_kill},
    Command{"logs", "Fetch the logs of one or more containers", Needs::Host, bind_logs},
    Command{"pause", "Pause all the processes in one or more containers", Needs::Host, bind_pause},
    Command{"port", "List port mappings or a specific mapping for the container", Needs::Host, bind_port},
    Command{"prune", "Remove all non running containers", Needs::Host, bind_container_prune},
    Command{"ps", "List containers", Needs::Host, bind_ps, {}, kPsAliases},
    Command{"rename", "Rename an existing container", Needs::Host, bind_rename},
    Command{"restart", "Restart one or more containers", Needs::Host, bind_restart},
    Command{"rm", "Remove one or more containers", Needs::Host, bind_rm},
    Command{"run", "Run a command in a new container", Needs::Host, bind_run},
    Command{"start", "Start one or more containers", Needs::Host, bind_start},
    Command{"stats", "Display a live stream of container resource usage statistics", Needs::Host, bind_stats},
    Command{"stop", "Stop one or more containers", Needs::Host, bind_stop},
    Command{"top", "Display the running processes of a container", Needs::Host, bind_top},
    Command{"unpause", "Unpause the processes in one or more containers", Needs::Host, bind_unpause},
    Command{"wait", "Block on one or more containers", Needs::Host, bind_wait},
};

constexpr std::array kLsAliases = {"list"sv};
constexpr std::array kRmAliases = {"remove"sv};

// `cabin network …`: user-defined networks (net/store.h).
constexpr std::array kNetworkCommands = {
    Command{"connect", "Add container to a network", Needs::Host, bind_network_connect},
    Command{"create", "Create networks for containers and pods", Needs::Host, bind_network_create},
    Command{"disconnect", "Disconnect a container from a network", Needs::Host, bind_network_disconnect},
    Command{"exists", "Check if network exists", Needs::Host, bind_network_exists},
    Command{"inspect", "Inspect network", Needs::Host, bind_network_inspect},
    Command{"ls", "List networks", Needs::Host, bind_network_ls, {}, kLsAliases},
    Command{"prune", "Prune unused networks", Needs::Host, bind_network_prune},
    Command{"rm", "Remove networks", Needs::Host, bind_network_rm, {}, kRmAliases},
};

// `cabin volume …`: volumes (storage/volumes.h). Those that write volume
// data work in the user namespace: it may belong to subordinate ids.
constexpr std::array kVolumeCommands = {
    Command{"create", "Create a new volume", Needs::UserNS, bind_volume_create},
    Command{"exists", "Check if volume exists", Needs::Host, bind_volume_exists},
    Command{"export", "Export volumes", Needs::UserNS, bind_volume_export},
    Command{"import", "Import a tarball contents into a podman volume", Needs::UserNS, bind_volume_import},
    Command{"inspect", "Display detailed information on one or more volumes", Needs::Host, bind_volume_inspect},
    Command{"ls", "List volumes", Needs::Host, bind_volume_ls, {}, kLsAliases},
    Command{"prune", "Remove all unused volumes", Needs::UserNS, bind_volume_prune},
    Command{"rm", "Remove one or more volumes", Needs::UserNS, bind_volume_rm, {}, kRmAliases},
};

// `cabin secret …`: secrets given to containers at run time (storage/secrets.h).
constexpr std::array kSecretCommands = {
    Command{"create", "Create a new secret", Needs::Host, bind_secret_create},
    Command{"exists", "Check if a secret exists in local storage", Needs::Host, bind_secret_exists},
    Command{"inspect", "Inspect a secret", Needs::Host, bind_secret_inspect},
    Command{"ls", "List secrets", Needs::Host, bind_secret_ls, {}, kLsAliases},
    Command{"rm", "Remove one or more secrets", Needs::Host, bind_secret_rm, {}, kRmAliases},
};

// `cabin compose …`: compose files' projects (engine/compose.h).
constexpr std::array kComposeCommands = {
    Command{"build", "Build or rebuild services", Needs::UserNS, bind_compose_build},
    Command{"config", "Parse, resolve and render compose file in canonical format", Needs::Host, bind_compose_config},
    Command{"down", "Stop and remove containers, networks", Needs::UserNS, bind_compose_down},
    Command{"exec", "Execute a command in a running container", Needs::Host, bind_compose_exec},
    Command{"images", "List images used by the created containers", Needs::Host, bind_compose_images},
    Command{"kill", "Force stop service containers", Needs::Host, bind_compose_kill},
    Command{"logs", "View output from containers", Needs::Host, bind_compose_logs},
    Command{"pause", "Pause services", Needs::Host, bind_compose_pause},
    Command{"port", "Print the public port for a port binding", Needs::Host, bind_compose_port},
    Command{"ps", "List containers", Needs::Host, bind_compose_ps},
    Command{"pull", "Pull service images", Needs::UserNS, bind_compose_pull},
    Command{"push", "Push service images", Needs::UserNS, bind_compose_push},
    Command{"restart", "Restart service containers", Needs::Host, bind_compose_restart},
    Command{"rm", "Removes stopped service containers", Needs::Host, bind_compose_rm},
    Command{"run", "Run a one-off command on a service", Needs::UserNS, bind_compose_run},
    Command{"start", "Start services", Needs::Host, bind_compose_start},
    Command{"stop", "Stop services", Needs::Host, bind_compose_stop},
    Command{"top", "Display the running processes", Needs::Host, bind_compose_top},
    Command{"unpause", "Unpause services", Needs::Host, bind_compose_unpause},
    Command{"up", "Create and start containers", Needs::UserNS, bind_compose_up},
    Command{"version", "Show the Docker Compose version information", Needs::Host, bind_compose_version},
};

// `cabin pod …`: pods (engine/pod.h).
constexpr std::array kPodCommands = {
    Command{"create", "Create a new empty pod", Needs::UserNS, bind_pod_create},
    Command{"exists", "Check if a pod exists in local storage", Needs::Host, bind_pod_exists},
    Command{"inspect", "Displays a pod configuration", Needs::Host, bind_pod_inspect},
    Command{"kill", "Send the specified signal or SIGKILL to containers in pod", Needs::Host, bind_pod_kill},
    Command{"logs", "Fetch logs for pod with one or more containers", Needs::Host, bind_pod_logs},
    Command{"pause", "Pause one or more pods", Needs::Host, bind_pod_pause},
    Command{"prune", "Remove all stopped pods and their containers", Needs::Host, bind_pod_prune},
    Command{"ps", "List pods", Needs::Host, bind_pod_ps, {}, kPsAliases},
    Command{"restart", "Restart one or more pods", Needs::Host, bind_pod_restart},
    Command{"rm", "Remove one or more pods", Needs::Host, bind_pod_rm},
    Command{"start", "Start one or more pods", Needs::Host, bind_pod_start},
    Command{"stats", "Display a live stream of resource usage statistics for the containers in one or more pods",
            Needs::Host, bind_pod_stats},
    Command{"stop", "Stop one or more pods", Needs::Host, bind_pod_stop},
    Command{"top", "Display the running processes of containers in a pod", Needs::Host, bind_pod_top},
    Command{"unpause", "Unpause one or more pods", Needs::Host, bind_pod_unpause},
};

// `cabin kube …`: Kubernetes YAML (kube/generate.h); `generate kube` is
// Podman's older spelling.
constexpr std::array kKubeCommands = {
    Command{"down", "Remove pods based on Kubernetes YAML", Needs::Host, bind_kube_down},
    Command{"generate", "Generate Kubernetes YAML based on containers, pods or volumes", Needs::Host,
            bind_kube_generate},
    Command{"play", "Play a pod or volume based on Kubernetes YAML", Needs::UserNS, bind_kube_play},
};
constexpr std::array kPlayCommands = {
    Command{"kube", "Play a pod or volume based on Kubernetes YAML", Needs::UserNS, bind_kube_play},
};
constexpr std::array kGenerateCommands = {
    Command{"kube", "Generate Kubernetes YAML based on containers, pods or volumes", Needs::Host, bind_kube_generate},
};

// `cabin healthcheck …`.
constexpr std::array kHealthcheckCommands = {
    Command{"run", "Run the health check of a container", Needs::Host, bind_healthcheck_run},
};

// `cabin system …`: the store as a whole.
constexpr std::array kSystemCommands = {
    Command{"check", "Check storage consistency (exit 1 when problems are left)", Needs::UserNS, bind_system_check},
    Command{"df", "Show cabin disk usage", Needs::UserNS, bind_system_df},
    Command{"doctor", "Check what running containers rootless needs here, naming each fix (exit 1 when one blocks)",
            Needs::Host, bind_system_doctor},
    Command{"prune", "Remove unused data", Needs::UserNS, bind_system_prune},
    Command{"reset", "Reset cabin storage", Needs::Host, bind_system_reset},
};

constexpr std::array kCommands = {
    Command{"__monitor", "", Needs::Host, bind_monitor},
    Command{"attach", "Attach to a running container", Needs::Host, bind_attach},
    Command{"build", "Build an image using instructions from Containerfiles", Needs::UserNS, bind_build},
    Command{"buildx", "Build images (Docker's buildx spelling)", Needs::Host, nullptr, kBuildxCommands},
    Command{"commit", "Create new image based on the changed container", Needs::UserNS, bind_commit},
    Command{"compose", "Run compose workloads (built in)", Needs::Host, bind_compose, kComposeCommands},
    Command{"container", "Manage containers", Needs::Host, nullptr, kContainerCommands},
    Command{"cp", "Copy files/folders between a container and the local filesystem", Needs::Host, bind_cp},
    Command{"create", "Create but do not start a container", Needs::UserNS, bind_create},
    Command{"diff", "Inspect changes to the container's file systems", Needs::UserNS, bind_diff},
    Command{"events", "Show cabin events", Needs::Host, bind_events},
    Command{"exec", "Run a process in a running container", Needs::Host, bind_exec},
    Command{"export", "Export container's filesystem contents as a tar archive", Needs::Host, bind_export},
    Command{"healthcheck", "Manage health checks on containers", Needs::Host, nullptr, kHealthcheckCommands},
    Command{"generate", "Generate structured data based on containers, pods or volumes", Needs::Host, nullptr,
            kGenerateCommands},
    Command{"history", "Show history of a specified image", Needs::Host, bind_history},
    Command{"image", "Manage images", Needs::Host, nullptr, kImageCommands},
    Command{"images", "List images in local storage", Needs::Host, bind_images},
    Command{"import", "Import a tarball to create a filesystem image", Needs::UserNS, bind_import},
    Command{"info", "Display cabin related system information", Needs::Host, bind_info},
    Command{"kill", "Kill one or more running containers with a specific signal", Needs::Host, bind_kill},
    Command{"inspect", "Display the configuration of object denoted by ID", Needs::Host, bind_inspect},
    Command{"kube", "Work with Kubernetes YAML", Needs::Host, nullptr, kKubeCommands},
    Command{"load", "Load image(s) from a tar archive", Needs::UserNS, bind_load},
    Command{"login", "Log in to a container registry", Needs::Host, bind_login},
    Command{"logout", "Log out of a container registry", Needs::Host, bind_logout},
    Command{"logs", "Fetch the logs of one or more containers", Needs::Host, bind_logs},
    Command{"manifest", "Manipulate manifest lists and image indexes", Needs::Host, nullptr, kManifestCommands},
    Command{"network", "Manage networks", Needs::Host, nullptr, kNetworkCommands},
    Command{"pause", "Pause all the processes in one or more containers", Needs::Host, bind_pause},
    Command{"play", "Play containers, pods or volumes from a structured file", Needs::Host, nullptr, kPlayCommands},
    Command{"pod", "Manage pods", Needs::Host, nullptr, kPodCommands},
    Command{"port", "List port mappings or a specific mapping for the container", Needs::Host, bind_port},
    Command{"ps", "List containers", Needs::Host, bind_ps},
    Command{"pull", "Pull an image from a registry", Needs::UserNS, bind_pull},
    Command{"push", "Push an image to a specified destination", Needs::UserNS, bind_push},
    Command{"rename", "Rename an existing container", Needs::Host, bind_rename},
    Command{"restart", "Restart one or more containers", Needs::Host, bind_restart},
    Command{"rm", "Remove one or more containers", Needs::Host, bind_rm},
    Command{"rmi", "Remove one or more images from local storage", Needs::UserNS, bind_rmi},
    Command{"run", "Run a command in a new container", Needs::Host, bind_run},
    Command{"save", "Save image(s) to an archive", Needs::UserNS, bind_save},
    Command{"secret", "Manage secrets", Needs::Host, nullptr, kSecretCommands},
    Command{"search", "Search a registry for images (not supported: cabin says so)", Needs::Host, bind_search},
    Command{"start", "Start one or more containers", Needs::Host, bind_start},
    Command{"stats", "Display a live stream of container resource usage statistics", Needs::Host, bind_stats},
    Command{"stop", "Stop one or more containers", Needs::Host, bind_stop},
    Command{"system", "Manage cabin", Needs::Host, nullptr, kSystemCommands},
    Command{"tag", "Add an additional name to a local image", Needs::Host, bind_tag},
    Command{"top", "Display the running processes of a container", Needs::Host, bind_top},
    Command{"unpause", "Unpause the processes in one or more containers", Needs::Host, bind_unpause},
    Command{"unshare", "Run a command in a modified user namespace", Needs::UserNS, bind_unshare},
    Command{"untag", "Remove a name from a local image", Needs::Host, bind_untag},
    Command{"version", "Display the cabin version information", Needs::Host, bind_version},
    Command{"volume", "Manage volumes", Needs::Host, nullptr, kVolumeCommands},
    Command{"wait", "Block on one or more containers", Needs::Host, bind_wait},
};

}  // namespace

std::span<const Command> commands() { return kCommands; }

}  // namespace cabin::cmd
