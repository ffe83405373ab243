// cabin image inspect, cabin image exists
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "config/mode.h"
#include "format/output.h"
#include "format/units.h"
#include "image/report.h"
#include "util/error.h"

namespace cabin::cmd {

struct ImageInspectOptions {
  std::vector<std::string> images;
  std::string format;
};

static int run_image_inspect(const Globals& g, const ImageInspectOptions& o) {
  if (o.images.empty()) fail("no names or ids specified");
  auto store = open_store(g);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  // Templates see Go values: Created is a time.Time there, RFC 3339 in JSON.
  nlohmann::json views = nlohmann::json::array();
  std::vector<std::string> missing;
  for (const auto& name : o.images) {
    auto rec = store.find_image(name);
    if (!rec) {
      missing.push_back(name);
      continue;
    }
    out.push_back(image::inspect_json(store, *rec));
    nlohmann::json view = nlohmann::json(out.back());
    if (!rec->created.empty())
      view["Created"] = format::go_time_string_utc(format::parse_rfc3339(rec->created));
    views.push_back(std::move(view));
  }
  // Podman prints what it found, then fails for what it did not.
  if (!out.empty() || missing.empty()) format::print_inspect(stdout, o.format, out, views);
  if (!missing.empty() && config::docker_mode()) fail("No such image: {}", missing.front());
  if (!missing.empty()) fail("{}: image not known", missing.front());
  return 0;
}

Runner bind_image_inspect(CLI::App& app, Globals& g) {
  auto o = std::make_shared<ImageInspectOptions>();
  app.add_option("image", o->images, "Images to inspect");
  app.add_option("-f,--format", o->format, "Format the output to a Go template or JSON");
  return [o, &g] { return run_image_inspect(g, *o); };
}

struct ImageExistsOptions {
  std::vector<std::string> image;
};

Runner bind_image_exists(CLI::App& app, Globals& g) {
  auto o = std::make_shared<ImageExistsOptions>();
  app.add_option("image", o->image, "Image to look for");
  return [o, &g] {
    check_args(o->image, 1, 1);
    auto store = open_store(g);
    return store.find_image(o->image[0]) ? 0 : 1;
  };
}

}  // namespace cabin::cmd
