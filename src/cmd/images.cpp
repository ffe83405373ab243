// cabin images / cabin image ls
#include <algorithm>
#include <set>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "format/output.h"
#include "image/filter.h"
#include "image/report.h"
#include "util/error.h"

namespace cabin::cmd {

struct ImagesOptions {
  std::vector<std::string> references;
  bool all = false, quiet = false, no_trunc = false, digests = false, noheading = false;
  std::string format;
  std::vector<std::string> filters;
  std::string sort = "created";
};

static const format::Headers kImageHeaders = {
    {"ID", "IMAGE ID"},         {"Repository", "REPOSITORY"}, {"Tag", "TAG"},
    {"Digest", "DIGEST"},       {"CreatedSince", "CREATED"},  {"CreatedAt", "CREATED AT"},
    {"Size", "SIZE"},           {"ReadOnly", "R/O"},          {"VirtualSize", "VIRTUAL SIZE"},
    {"SharedSize", "SHARED SIZE"}, {"Containers", "CONTAINERS"}, {"Dangling", "DANGLING"},
    {"History", "HISTORY"},     {"Names", "NAMES"},           {"Labels", "LABELS"},
};

static int run_images(const Globals& g, const ImagesOptions& o) {
  static const std::vector<std::string> kSorts = {"repository", "size", "tag", "created", "id"};
  if (std::find(kSorts.begin(), kSorts.end(), o.sort) == kSorts.end())
    fail("{:?} is not a valid field for sorting. Choose from: repository, size, tag, created, id", o.sort);
  check_args(o.references, 0, 1);
  auto store = open_store(g);
  std::vector<std::string> filters = o.filters;
  for (const auto& r : o.references) filters.push_back("reference=" + r);
  image::ImageFilter filter(filters, store);

  auto images = store.images();
  std::vector<nlohmann::json> rows;
  nlohmann::ordered_json json_rows = nlohmann::ordered_json::array();
  auto parents = storage::parent_ids(images);
  for (const auto& rec : images) {
    if (!filter.matches(rec)) continue;
    if (!o.all && rec.names.empty() && parents.count(rec.id)) continue;  // a build step's
    json_rows.push_back(image::summary_json(store, rec));
    for (auto& row : image::list_rows(store, rec, o.no_trunc)) rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [&](const nlohmann::json& a, const nlohmann::json& b) {
    if (o.sort == "created") return a["CreatedUnix"].get<int64_t>() > b["CreatedUnix"].get<int64_t>();
    if (o.sort == "size") return a["SizeBytes"].get<uint64_t>() < b["SizeBytes"].get<uint64_t>();
    if (o.sort == "id") return a["Id"].get<std::string>() < b["Id"].get<std::string>();
    if (o.sort == "tag") return a["Tag"].get<std::string>() < b["Tag"].get<std::string>();
    return a["Repository"].get<std::string>() < b["Repository"].get<std::string>();
  });

  format::ListOptions lo;
  lo.format = o.format;
  lo.headers = kImageHeaders;
  lo.noheading = o.noheading;
  lo.name = "images";
  lo.docker_json_keys = {"Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository",
                         "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize"};
  if (o.quiet && o.format.empty()) {
    // -q: each image once.
    std::set<std::string> seen;
    std::vector<nlohmann::json> unique;
    for (auto& r : rows)
      if (seen.insert(r["Id"].get<std::string>()).second) unique.push_back(r);
    rows = std::move(unique);
    lo.format = "{{.ID}}";
  }
  lo.default_format = o.digests
      ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
      : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  format::print_list(stdout, lo, rows, json_rows);
  return 0;
}

Runner bind_images(CLI::App& app, Globals& g) {
  auto o = std::make_shared<ImagesOptions>();
  app.add_option("image", o->references, "Show only images matching this reference");
  app.add_flag("-a,--all", o->all, "Show all images (default hides intermediate images)");
  app.add_flag("-q,--quiet", o->quiet, "Display only image IDs");
  app.add_flag("--no-trunc", o->no_trunc, "Do not truncate output");
  app.add_flag("--digests", o->digests, "Show digests");
  app.add_flag("-n,--noheading", o->noheading, "Do not print column headings");
  app.add_option("--format", o->format, "Change the output format to JSON or a Go template");
  app.add_option("-f,--filter", o->filters, "Filter output based on conditions provided")->allow_extra_args(false);
  app.add_option("--sort", o->sort, "Sort by repository, size, tag, created, id");
  return [o, &g] { return run_images(g, *o); };
}

}  // namespace cabin::cmd
