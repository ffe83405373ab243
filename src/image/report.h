// Images as Podman reports them: inspect JSON, list rows, history.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "storage/store.h"

namespace cabin::image {

// `image inspect`: Podman's ImageData shape, keys in Podman's order.
nlohmann::ordered_json inspect_json(const storage::Store& store, const storage::ImageRecord& rec);

// `images --format json`: one summary per image.
nlohmann::ordered_json summary_json(const storage::Store& store, const storage::ImageRecord& rec);

// `images`: one row per (image, repository:tag), with every template field.
std::vector<nlohmann::json> list_rows(const storage::Store& store, const storage::ImageRecord& rec,
                                      bool no_trunc);

// `history`: newest first, with every template field.
std::vector<nlohmann::json> history_rows(const storage::Store& store,
                                         const storage::ImageRecord& rec, bool no_trunc,
                                         bool human);

// The image's config document.
nlohmann::json load_config(const storage::Store& store, const storage::ImageRecord& rec);

// Unix seconds of an RFC 3339 time (0 when empty or invalid).
int64_t unix_seconds(const std::string& rfc3339);

}  // namespace cabin::image
