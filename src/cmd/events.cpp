// cabin events
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "format/output.h"
#include "format/template.h"
#include "storage/events.h"
#include "util/error.h"

namespace cabin::cmd {

struct EventsOptions {
  std::vector<std::string> filters;
  std::string format;
  std::optional<bool> stream;    // unset: true
  std::optional<bool> no_trunc;  // unset: true
  std::string since, until;
};

// Podman parses --format with report.OriginUnknown: no {{range}} around it,
// since it runs once per event.
static format::Template parse_events_format(const std::string& text) {
  try {
    return format::Template::parse(format::normalize_format(text), "events");
  } catch (const Error&) {
    return format::Template::parse(text, "events");
  }
}

static void write_out(std::string_view s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  // Followers read this through pipes and files: every event as it comes.
  std::fflush(stdout);
}

static int run_events(const Globals& g, const EventsOptions& o) {
  bool json = !o.format.empty() && format::is_json_format(o.format);
  std::optional<format::Template> tmpl;
  if (!o.format.empty() && !json) tmpl = parse_events_format(o.format);
  storage::EventFilter filter(o.filters, o.since, o.until);
  bool stream = o.stream.value_or(true);
  bool truncate = !o.no_trunc.value_or(true);

  // As Podman: streaming starts at the end of the log unless --since or
  // --until ask for earlier events; --until ends the stream at that time.
  storage::ReadOptions ro;
  ro.from_start = !stream || !o.since.empty() || !o.until.empty();
  ro.follow = stream;
  if (stream) ro.stop_at = filter.until();
  storage::read_events(storage::events_log_path(g.paths), ro, filter, [&](const storage::Event& e) {
    std::string out;
    if (json) {
      out = format::go_json(storage::event_to_json(e), {}, true) + "\n";
    } else if (tmpl) {
      try {
        tmpl->execute(out, storage::event_template_data(e));
      } catch (const Error&) {
        write_out(out);  // Go writes what it had before the error
        throw;
      }
    } else {
      out = storage::event_human(e, truncate) + "\n";
    }
    write_out(out);
    return true;
  });
  return 0;
}

Runner bind_events(CLI::App& app, Globals& g) {
  auto o = std::make_shared<EventsOptions>();
  app.add_option("-f,--filter", o->filters, "filter output")->allow_extra_args(false);
  app.add_option("--format", o->format, "format the output using a Go template");
  add_bool_flag(app, "--stream", o->stream, "stream new events; for testing only");
  app.add_option("--since", o->since, "show all events created since timestamp");
  add_bool_flag(app, "--no-trunc", o->no_trunc, "do not truncate the output");
  app.add_option("--until", o->until, "show all events until timestamp");
  return [o, &g] { return run_events(g, *o); };
}

}  // namespace cabin::cmd
