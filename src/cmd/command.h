// The command table: every cabin command, what it needs, how it binds flags.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "config/paths.h"

namespace CLI {
class App;
}

namespace cabin::cmd {

// Global options, as Podman has them.
struct Globals {
  std::string root;
  std::string runroot;
  std::string storage_driver;
  std::string log_level = "warn";
  config::StorePaths paths;  // resolved from the above before dispatch
};

// What a command needs set up before it runs. main enters the user namespace
// once, before dispatch and before any thread starts.
enum class Needs {
  Host,    // runs in the host's namespaces (listing, inspecting)
  UserNS,  // owns files with subordinate ids: unpacking, removing layers
};

using Runner = std::function<int()>;
// Binds the command's options into its own Options struct and returns the
// function that validates them and calls the library.
using Binder = Runner (*)(CLI::App& app, Globals& globals);

struct Command {
  std::string_view name;
  std::string_view summary;
  Needs needs = Needs::Host;
  Binder bind = nullptr;                   // null for a pure group ("image")
  std::span<const Command> subcommands{};  // for groups
  std::span<const std::string_view> aliases{};
};

// The whole table, in the order `cabin --help` lists it.
std::span<const Command> commands();

// Each command file provides its binder.
Runner bind_version(CLI::App&, Globals&);
Runner bind_info(CLI::App&, Globals&);
Runner bind_pull(CLI::App&, Globals&);
Runner bind_push(CLI::App&, Globals&);
Runner bind_login(CLI::App&, Globals&);
Runner bind_search(CLI::App&, Globals&);
Runner bind_save(CLI::App&, Globals&);
Runner bind_image_export(CLI::App&, Globals&);
Runner bind_manifest_create(CLI::App&, Globals&);
Runner bind_manifest_add(CLI::App&, Globals&);
Runner bind_manifest_annotate(CLI::App&, Globals&);
Runner bind_manifest_inspect(CLI::App&, Globals&);
Runner bind_manifest_push(CLI::App&, Globals&);
Runner bind_manifest_rm(CLI::App&, Globals&);
Runner bind_manifest_exists(CLI::App&, Globals&);
Runner bind_load(CLI::App&, Globals&);
Runner bind_logout(CLI::App&, Globals&);
Runner bind_images(CLI::App&, Globals&);
Runner bind_image_inspect(CLI::App&, Globals&);
Runner bind_image_exists(CLI::App&, Globals&);
Runner bind_tag(CLI::App&, Globals&);
Runner bind_untag(CLI::App&, Globals&);
Runner bind_rmi(CLI::App&, Globals&);
Runner bind_image_prune(CLI::App&, Globals&);
Runner bind_history(CLI::App&, Globals&);
Runner bind_import(CLI::App&, Globals&);
Runner bind_unshare(CLI::App&, Globals&);
Runner bind_run(CLI::App&, Globals&);
Runner bind_events(CLI::App&, Globals&);
Runner bind_create(CLI::App&, Globals&);
Runner bind_start(CLI::App&, Globals&);
Runner bind_stop(CLI::App&, Globals&);
Runner bind_kill(CLI::App&, Globals&);
Runner bind_restart(CLI::App&, Globals&);
Runner bind_rm(CLI::App&, Globals&);
Runner bind_ps(CLI::App&, Globals&);
Runner bind_wait(CLI::App&, Globals&);
Runner bind_healthcheck_run(CLI::App&, Globals&);
Runner bind_compose(CLI::App&, Globals&);
Runner bind_compose_config(CLI::App&, Globals&);
Runner bind_compose_up(CLI::App&, Globals&);
Runner bind_compose_down(CLI::App&, Globals&);
Runner bind_compose_ps(CLI::App&, Globals&);
Runner bind_compose_logs(CLI::App&, Globals&);
Runner bind_compose_build(CLI::App&, Globals&);
Runner bind_compose_pull(CLI::App&, Globals&);
Runner bind_compose_start(CLI::App&, Globals&);
Runner bind_compose_stop(CLI::App&, Globals&);
Runner bind_compose_restart(CLI::App&, Globals&);
Runner bind_compose_kill(CLI::App&, Globals&);
Runner bind_compose_rm(CLI::App&, Globals&);
Runner bind_compose_exec(CLI::App&, Globals&);
Runner bind_compose_version(CLI::App&, Globals&);
Runner bind_compose_run(CLI::App&, Globals&);
Runner bind_compose_port(CLI::App&, Globals&);
Runner bind_compose_top(CLI::App&, Globals&);
Runner bind_compose_images(CLI::App&, Globals&);
Runner bind_compose_push(CLI::App&, Globals&);
Runner bind_compose_pause(CLI::App&, Globals&);
Runner bind_compose_unpause(CLI::App&, Globals&);
Runner bind_logs(CLI::App&, Globals&);
Runner bind_top(CLI::App&, Globals&);
Runner bind_stats(CLI::App&, Globals&);
Runner bind_attach(CLI::App&, Globals&);
Runner bind_build(CLI::App&, Globals&);
Runner bind_commit(CLI::App&, Globals&);
Runner bind_cp(CLI::App&, Globals&);
Runner bind_diff(CLI::App&, Globals&);
Runner bind_export(CLI::App&, Globals&);
Runner bind_network_create(CLI::App&, Globals&);
Runner bind_network_ls(CLI::App&, Globals&);
Runner bind_network_inspect(CLI::App&, Globals&);
Runner bind_network_exists(CLI::App&, Globals&);
Runner bind_network_rm(CLI::App&, Globals&);
Runner bind_network_prune(CLI::App&, Globals&);
Runner bind_network_connect(CLI::App&, Globals&);
Runner bind_network_disconnect(CLI::App&, Globals&);
Runner bind_secret_create(CLI::App&, Globals&);
Runner bind_secret_ls(CLI::App&, Globals&);
Runner bind_secret_inspect(CLI::App&, Globals&);
Runner bind_secret_exists(CLI::App&, Globals&);
Runner bind_secret_rm(CLI::App&, Globals&);
Runner bind_volume_create(CLI::App&, Globals&);
Runner bind_volume_ls(CLI::App&, Globals&);
Runner bind_volume_inspect(CLI::App&, Globals&);
Runner bind_volume_exists(CLI::App&, Globals&);
Runner bind_volume_rm(CLI::App&, Globals&);
Runner bind_volume_prune(CLI::App&, Globals&);
Runner bind_volume_export(CLI::App&, Globals&);
Runner bind_volume_import(CLI::App&, Globals&);
Runner bind_system_check(CLI::App&, Globals&);
Runner bind_system_df(CLI::App&, Globals&);
Runner bind_system_doctor(CLI::App&, Globals&);
Runner bind_system_prune(CLI::App&, Globals&);
Runner bind_system_reset(CLI::App&, Globals&);
Runner bind_monitor(CLI::App&, Globals&);
Runner bind_pod_create(CLI::App&, Globals&);
Runner bind_kube_generate(CLI::App&, Globals&);
Runner bind_kube_play(CLI::App&, Globals&);
Runner bind_kube_down(CLI::App&, Globals&);
Runner bind_pod_exists(CLI::App&, Globals&);
Runner bind_pod_inspect(CLI::App&, Globals&);
Runner bind_pod_kill(CLI::App&, Globals&);
Runner bind_pod_logs(CLI::App&, Globals&);
Runner bind_pod_pause(CLI::App&, Globals&);
Runner bind_pod_prune(CLI::App&, Globals&);
Runner bind_pod_ps(CLI::App&, Globals&);
Runner bind_pod_restart(CLI::App&, Globals&);
Runner bind_pod_rm(CLI::App&, Globals&);
Runner bind_pod_start(CLI::App&, Globals&);
Runner bind_pod_stats(CLI::App&, Globals&);
Runner bind_pod_stop(CLI::App&, Globals&);
Runner bind_pod_top(CLI::App&, Globals&);
Runner bind_pod_unpause(CLI::App&, Globals&);
Runner bind_exec(CLI::App&, Globals&);
Runner bind_rename(CLI::App&, Globals&);
Runner bind_port(CLI::App&, Globals&);
Runner bind_pause(CLI::App&, Globals&);
Runner bind_unpause(CLI::App&, Globals&);
Runner bind_container_prune(CLI::App&, Globals&);
Runner bind_container_inspect(CLI::App&, Globals&);
Runner bind_inspect(CLI::App&, Globals&);
Runner bind_container_exists(CLI::App&, Globals&);

}  // namespace cabin::cmd
