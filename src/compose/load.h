// Loading compose files into a Project (model.h), as Docker Compose v2 does:
//
//   1. find the files: LoadOptions::files, else compose.yaml, compose.yml,
//      docker-compose.yaml or docker-compose.yml in cwd or its nearest
//      parent that has one, plus the override file next to it;
//   2. the environment: the project directory's .env (or env_files) under
//      the process environment, which wins;
//   3. parse each file (interpolating values as they are read), resolve
//      `extends`, merge the files in order by Compose's merge rules;
//   4. normalise (absolute paths, default network, engine names of
//      volumes and networks, profiles) and validate references.
//
// Errors are cabin::Error with one line: the element's path in Compose's
// dotted form, the message, and where it is:
//   services.web.ports[0]: invalid port "abc" (compose.yml:7)
// Errors about the whole file have no path:
//   invalid YAML: illegal map value (compose.yml:3)
// Unknown keys are warned about through log::warn in the same form and
// ignored; keys starting with "x-" are extensions and never warned about.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compose/model.h"

namespace cabin::compose {

struct LoadOptions {
  std::vector<std::string> files;   // -f, merged in order; "-" is not supported
  std::string project_name;         // -p
  std::string project_directory;    // --project-directory
  std::vector<std::string> env_files;  // --env-file; replaces the project's .env
  std::vector<std::string> profiles;   // --profile; else COMPOSE_PROFILES
  // The services named on the command line (`up web`): their own profiles
  // are enabled too, as Compose does, so that `up debug-tool` runs a
  // service whose profile is not otherwise active.
  std::vector<std::string> services;
  std::map<std::string, std::string> environ;  // the process environment
  std::string cwd;                  // absolute; "" for the process's
};

Project load_project(const LoadOptions& options);

// This process's environment, for LoadOptions::environ.
std::map<std::string, std::string> process_environment();

// The files load_project would read when options.files is empty, absolute.
// Throws "no configuration file provided: not found" when there is none.
std::vector<std::string> find_compose_files(const std::string& cwd);

// Compose's project name rule: lowercase, characters other than [a-z0-9_-]
// dropped; throws when the result is empty or starts with '_' or '-'.
std::string normalize_project_name(std::string_view name);

// A .env file's variables (KEY=VALUE, `export KEY=VALUE`, # comments,
// single quotes literal, double quotes with \n escapes and interpolation,
// unquoted values interpolated and cut at " #"). Variables earlier in the
// file and in env are visible to interpolation; throws naming file:line.
std::map<std::string, std::string> parse_env_file(const std::string& path,
                                                  const std::map<std::string, std::string>& env = {});

// The wanted services (all enabled ones when empty) and the services they
// depend on, dependencies first, ties in name order. Only enabled services
// count (load with LoadOptions::services to enable the wanted ones'
// profiles). Throws for an unknown service ("no such service: x") or a
// dependency cycle ("dependency cycle detected: a -> b -> a").
std::vector<std::string> start_order(const Project& project, const std::vector<std::string>& wanted = {});

}  // namespace cabin::compose
