// cabin history / image history
#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "format/output.h"
#include "image/report.h"
#include "util/json.h"

namespace cabin::cmd {

struct HistoryOptions {
  std::vector<std::string> image;
  bool human = true, no_trunc = false, quiet = false;
  std::string format;
};

static int run_history(const Globals& g, const HistoryOptions& o) {
  check_args(o.image, 1, 1);
  auto store = open_store(g);
  auto rec = store.get_image(o.image[0]);
  auto rows = image::history_rows(store, rec, o.no_trunc, o.human);
  nlohmann::ordered_json json_rows = nlohmann::ordered_json::array();
  for (const auto& r : rows) json_rows.push_back(nlohmann::ordered_json::parse(json_text(r["json"])));
  format::ListOptions lo;
  lo.format = o.quiet && o.format.empty() ? "{{.ID}}" : o.format;
  lo.name = "history";
  lo.default_format = "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
  lo.headers = {{"ID", "ID"},           {"Created", "CREATED"}, {"CreatedBy", "CREATED BY"},
                {"Size", "SIZE"},       {"Comment", "COMMENT"}, {"CreatedAt", "CREATED AT"},
                {"CreatedSince", "CREATED"}, {"Tags", "TAGS"}};
  format::print_list(stdout, lo, rows, json_rows);
  return 0;
}

Runner bind_history(CLI::App& app, Globals& g) {
  auto o = std::make_shared<HistoryOptions>();
  app.add_option("image", o->image, "Image to show the history of");
  app.add_flag("-H,--human{true}", o->human, "Display sizes and dates in human readable format");
  app.add_flag("--no-trunc", o->no_trunc, "Do not truncate the output");
  app.add_flag("-q,--quiet", o->quiet, "Display the numeric IDs only");
  app.add_option("--format", o->format, "Change the output to JSON or a Go template");
  return [o, &g] { return run_history(g, *o); };
}

}  // namespace cabin::cmd
