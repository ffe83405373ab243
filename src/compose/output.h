// What `compose config` prints, and the configuration hash compose labels
// containers with.
#pragma once

#include <string>
#include <vector>

#include "compose/model.h"

namespace cabin::compose {

// The project as Docker Compose v2's `docker compose config` prints it:
// name, services, networks, volumes, secrets, configs; services and their
// keys in alphabetical order; ports and volumes in their long form.
std::string to_yaml(const Project& project);

// `config --services`: the enabled services' names, in name order.
std::vector<std::string> service_names(const Project& project);
// `config --volumes`: the top-level volumes' keys, in name order.
std::vector<std::string> volume_names(const Project& project);

// The hex SHA-256 of the service's normalised configuration as to_yaml
// prints it, without replicas (scaling must not recreate containers).
// For the com.docker.compose.config-hash label: a container whose label
// differs from its service's hash is out of date.
std::string config_hash(const Service& service);

}  // namespace cabin::compose
