#include "engine/build.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <list>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "build/dockerfile.h"
#include "build/ignore.h"
#include "build/shell_words.h"
#include "build/stages.h"
#include "engine/commit.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "runtime/plan.h"
#include "storage/fetch.h"
#include "storage/rootfs.h"
#include "engine/volumes.h"
#include "format/units.h"
#include "image/manifest.h"
#include "storage/containers.h"
#include "storage/pull.h"
#include "storage/tarstream.h"
#include "storage/unpack.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/progress.h"
#include "util/strings.h"

namespace cabin::engine {
namespace {

using nlohmann::json;
using build::Instruction;

// Where a stage is: its image configuration, and the image that holds it
// once it has been stored ("" while it has changes not stored yet).
struct State {
  json cfg;
  std::string image_id;
  std::string parent;  // the image the changes not stored yet were made on
  std::map<std::string, std::string> args;  // ARGs declared in the stage, with their values
};

// The state is about to change: it is no longer its image's.
void changing(State& s) {
  if (!s.image_id.empty()) s.parent = s.image_id;
  s.image_id.clear();
}

json& inner(State& s) {
  if (!s.cfg["config"].is_object()) s.cfg["config"] = json::object();
  return s.cfg["config"];
}

class Builder {
 public:
  Builder(storage::Store& store, const config::StorePaths& paths, const BuildOptions& o)
      : store_(store), paths_(paths), o_(o), null_(stderr, true) {}
  ~Builder() { mounted_.clear(); }

  std::string run() {
    read_context();
    auto global = [&](const std::string& name) -> std::optional<std::string> { return global_arg(name); };
    check_platform(o_.platform, "--platform");
    // The platform ARGs Docker predefines, then those before the first FROM,
    // which FROM lines may use.
    auto host = image::host_platform();
    for (const char* p : {"TARGET", "BUILD"}) {
      globals_[std::string(p) + "PLATFORM"] = host.string();
      globals_[std::string(p) + "OS"] = host.os;
      globals_[std::string(p) + "ARCH"] = host.architecture;
      globals_[std::string(p) + "VARIANT"] = host.variant;
    }
    for (const auto& in : df_.instructions) {
      if (in.keyword == "FROM") break;
      if (in.keyword == "ARG") declare_arg(in, globals_, global);
    }
    plan_ = build::plan_stages(df_, global);
    int target = build::target_stage(plan_, o_.target);
    auto needed = build::needed_stages(plan_, target, global);
    for (int i : needed) total_ += 1 + static_cast<int>(plan_.stages[i].steps.size());
    multi_ = needed.size() > 1;
    finals_.resize(plan_.stages.size());
    for (size_t k = 0; k < needed.size(); ++k) {
      stage_no_ = static_cast<int>(k) + 1;
      stage_index_ = needed[k];
      stages_ = static_cast<int>(needed.size());
      run_stage(plan_.stages[needed[k]], needed[k] == target);
    }
    std::vector<std::string> unused;
    for (const auto& [name, value] : o_.build_args)
      if (!used_args_.count(name) && !predefined_arg(name)) unused.push_back(name);
    if (!unused.empty()) fmt::print(stderr, "[Warning] one or more build args were not consumed: [{}]\n", join(unused, " "));
    return finals_[target];
  }

  // The proxy ARGs every Dockerfile may use without declaring them; RUN
  // sees them, history does not.
  static bool predefined_arg(const std::string& name) {
    static const std::set<std::string> kNames = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
                                                 "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
    return kNames.count(name) > 0;
  }

 private:
  // ---- the context and the Dockerfile ----

  // A directory for this build's scratch files, removed at the end (its
  // lock tells `system check` and pulls that it is in use).
  std::string temp_dir(const std::string& what) {
    auto dir = fs::LockedTempDir::create(fs::join(paths_.graphroot, "tmp"), what + "-");
    std::string sub = fs::join(dir.path(), what);
    if (::mkdir(sub.c_str(), 0700) != 0) throw_errno("mkdir {}", sub);
    scratch_.push_back(std::move(dir));
    return sub;
  }

  // Standard input, kept in a file.
  std::string stdin_file() {
    std::string path = fs::join(temp_dir("stdin"), "stdin");
    UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!out) throw_errno("create {}", path);
    fs::copy_fd(STDIN_FILENO, out.get());
    return path;
  }

  // A context given as a tar (a file or "-"): unpacked into a directory.
  // Not a tar on standard input: the Containerfile alone, an empty context.
  void unpack_context(const std::string& tar, std::optional<std::string>& dockerfile) {
    UniqueFd in(::open(tar.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) throw_errno("open the build context {}", o_.context);
    context_ = temp_dir("context");
    if (!storage::is_archive(in.get())) {
      if (o_.context != "-") fail("the build context {:?} is neither a directory nor an archive", o_.context);
      dockerfile = fs::read_file(tar);
      return;
    }
    UniqueFd dir(::open(context_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    auto eo = storage::default_extract_options();
    eo.chown = false;
    eo.whiteouts = false;
    storage::extract_tar_fd(in.get(), dir.get(), eo);
  }

  void read_context() {
    if (o_.context == "-" && o_.file == "-") fail("the build context and the Containerfile cannot both come from standard input");
    std::optional<std::string> text;
    context_ = o_.context;
    if (o_.context == "-") {
      unpack_context(stdin_file(), text);
    } else if (!fs::is_dir(o_.context)) {
      if (!fs::exists(o_.context)) fail("the build context {:?} does not exist", o_.context);
      unpack_context(o_.context, text);
    }
    std::string file = o_.file;
    if (file == "-") {
      text = fs::read_file(stdin_file());
    } else if (!text && file.empty()) {
      for (const char* name : {"Containerfile", "Dockerfile"})
        if (fs::exists(fs::join(context_, name))) {
          file = fs::join(context_, name);
          break;
        }
      if (file.empty()) fail("no Containerfile or Dockerfile specified or found in context directory, {}", o_.context);
    }
    if (!text) text = fs::read_file_if_exists(file);
    if (!text) fail("the Containerfile {:?} does not exist", file);
    df_ = build::parse_dockerfile(*text, file == "-" || file.empty() ? "<stdin>" : file);
    for (const char* name : {".containerignore", ".dockerignore"})
      if (auto ign = fs::read_file_if_exists(fs::join(context_, name))) {
        ignore_ = build::IgnoreRules(*ign);
        break;
      }
    ctx_.reset(::open(context_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!ctx_) throw_errno("open the build context {}", o_.context);
  }

  // cabin builds for the machine it runs on: a --platform must name it.
  void check_platform(const std::string& value, const std::string& what) const {
    if (value.empty()) return;
    auto host = image::host_platform();
    auto parts = split(value, '/');
    bool same = parts.size() >= 2 && parts[0] == host.os && parts[1] == host.architecture &&
                (parts.size() < 3 || parts[2] == host.variant);
    if (!same)
      fail("{}={}: cabin builds for this machine's platform, {}/{}, only (another needs emulation, which cabin does not do)",
           what, value, host.os, host.architecture);
  }

  [[noreturn]] void error_at(const Instruction& in, const std::string& what) const {
    fail("{}:{}: {}", df_.path, in.line, what);
  }

  std::optional<std::string> global_arg(const std::string& name) const {
    if (auto it = o_.build_args.find(name); it != o_.build_args.end()) return it->second;
    if (auto it = globals_.find(name); it != globals_.end()) return it->second;
    return std::nullopt;
  }

  // ARG NAME[=default] …: the value is --build-arg's, else the default.
  void declare_arg(const Instruction& in, std::map<std::string, std::string>& into, const build::Lookup& env) {
    for (const auto& word : build::expand_words(in.args, env, df_.escape)) {
      auto eq = word.find('=');
      std::string name = word.substr(0, eq);
      if (name.empty()) error_at(in, fmt::format("ARG requires a name, not {:?}", word));
      used_args_.insert(name);
      if (auto it = o_.build_args.find(name); it != o_.build_args.end()) into[name] = it->second;
      else if (eq != std::string::npos) into[name] = word.substr(eq + 1);
      else if (auto g = globals_.find(name); g != globals_.end() && &into != &globals_) into[name] = g->second;
      else if (&into != &globals_) into.erase(name);  // (a global one keeps its predefined value)
    }
  }

  // A stage's variables: its ENV, then its ARGs.
  build::Lookup lookup(const State& s) const {
    return [this, &s](const std::string& name) -> std::optional<std::string> {
      const json& c = s.cfg.contains("config") ? s.cfg["config"] : json::object();
      if (c.contains("Env") && c["Env"].is_array())
        for (const auto& e : c["Env"]) {
          std::string kv = e.get<std::string>();
          if (kv.rfind(name + "=", 0) == 0) return kv.substr(name.size() + 1);
        }
      if (auto it = s.args.find(name); it != s.args.end()) return it->second;
      return std::nullopt;
    };
  }

  // When images and their history entries were made: --timestamp's time,
  // else now.
  std::string now() const {
    auto t = o_.timestamp ? std::chrono::system_clock::from_time_t(static_cast<time_t>(*o_.timestamp))
                          : std::chrono::system_clock::now();
    return format::rfc3339_nano(t);
  }

  // ---- output ----

  void say(const std::string& line) {
    if (!o_.quiet) fmt::print("{}\n", line);
    std::fflush(stdout);
  }

  void step_line(const Instruction& in) {
    ++step_;
    say(fmt::format("{}STEP {}/{}: {}", multi_ ? fmt::format("[{}/{}] ", stage_no_, stages_) : "", step_, total_,
                    in.original));
  }

  // ---- stages ----

  void run_stage(const build::Stage& st, bool is_target) {
    State s;
    step_line(*st.from);
    from(st, s);
    std::string base = s.image_id;
    for (const Instruction* in : st.steps) {
      step_line(*in);
      step(*in, s);
    }
    if (is_target && (o_.squash || o_.squash_all)) squash(s, o_.squash_all ? "" : base);
    if (is_target) {
      for (const auto& l : o_.labels) {
        auto eq = l.find('=');
        if (!inner(s)["Labels"].is_object()) inner(s)["Labels"] = json::object();
        inner(s)["Labels"][l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
        changing(s);
      }
      if (!o_.tags.empty()) say(fmt::format("COMMIT {}", o_.tags.front()));
    }
    store_state(s);
    if (is_target && !o_.annotations.empty()) {
      // The same image (configuration), in a manifest that has them.
      json annotations = json::object();
      for (const auto& [k, v] : o_.annotations) annotations[k] = v;
      store_local_image(store_, s.cfg, "", o_.docker_format, null_, store_.find_image(s.image_id)->parent, annotations);
    }
    if (is_target && !o_.tags.empty()) {
      auto rec = *store_.find_image(s.image_id);
      rec.names = o_.tags;
      store_.add_image(rec);
      for (const auto& t : o_.tags) say(fmt::format("Successfully tagged {}", t));
    }
    finals_[st.index] = s.image_id;
  }

  void from(const build::Stage& st, State& s) {
    try {
      check_platform(st.platform, "FROM --platform");
    } catch (const Error& e) {
      error_at(*st.from, e.what());
    }
    if (st.base_stage >= 0) {
      load(finals_[st.base_stage], s);
    } else if (st.base == "scratch") {
      auto host = image::host_platform();
      s.cfg = {{"architecture", host.architecture},
               {"os", host.os},
               {"config", json::object()},
               {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
               {"history", json::array()}};
    } else {
      load(base_image(st.base), s);
    }
    s.args.clear();  // ARGs of the stage start afresh
    say(fmt::format("--> {}", s.image_id.empty() ? "scratch" : s.image_id.substr(0, 12)));
    // The base's ONBUILD triggers run now, as if they followed FROM; the
    // new image does not inherit them.
    json& c = inner(s);
    if (!c.contains("OnBuild") || !c["OnBuild"].is_array() || c["OnBuild"].empty()) {
      if (c.contains("OnBuild")) c.erase("OnBuild");
      return;
    }
    std::string text;
    for (const auto& t : c["OnBuild"]) text += t.get<std::string>() + "\n";
    c.erase("OnBuild");
    changing(s);
    auto& triggers = triggers_.emplace_back(build::parse_dockerfile(text, df_.path));
    for (auto& in : triggers.instructions) {
      in.line = st.from->line;  // errors point at the FROM that ran them
      if (in.keyword == "FROM" || in.keyword == "ONBUILD" || in.keyword == "MAINTAINER")
        error_at(in, fmt::format("{} is not allowed as an ONBUILD trigger", in.keyword));
      say(fmt::format("ONBUILD {}", in.original));
      step(in, s);
    }
  }

  // An image FROM or COPY --from names, pulled as --pull says; its id.
  std::string base_image(const std::string& name) {
    storage::PullOptions po;
    po.policy = storage::parse_pull_policy(o_.pull);
    po.quiet = o_.quiet;
    std::optional<storage::ImageRecord> local;
    if (po.policy == storage::PullPolicy::Missing || po.policy == storage::PullPolicy::Never)
      local = store_.find_image(name);
    return (local ? *local : storage::pull_image(store_, name, po)).id;
  }

  void load(const std::string& id, State& s) {
    auto rec = store_.find_image(id);
    if (!rec) fail("image {} is no longer in the store", id);
    s.cfg = json::parse(store_.get_blob(rec->config_digest()));
    s.image_id = rec->id;
  }

  // The state as an image (stored once).
  void store_state(State& s) {
    if (!s.image_id.empty()) return;
    s.cfg["created"] = now();
    auto rec = store_local_image(store_, s.cfg, "", o_.docker_format, null_, s.parent);
    s.image_id = rec.id;
  }

  // ---- the cache: (parent image, instruction, what else it depends on) → image ----

  std::string cache_file(const std::string& key) const { return fs::join(paths_.graphroot, "build-cache/" + key); }

  bool from_cache(const std::string& key, State& s) {
    if (o_.no_cache || !o_.layers) return false;  // (--layers=false: no cache, as Buildah)
    auto id = fs::read_file_if_exists(cache_file(key));
    if (!id || !store_.find_image(trim(*id))) return false;
    auto args = s.args;
    load(std::string(trim(*id)), s);
    s.args = args;
    say(fmt::format("--> Using cache {}", s.image_id));
    return true;
  }

  void to_cache(const std::string& key, const State& s) {
    if (!o_.layers) return;
    fs::mkdir_p(fs::join(paths_.graphroot, "build-cache"), 0700);
    fs::write_file_atomic(cache_file(key), s.image_id + "\n", 0600);
  }

  std::string key_of(const State& parent, const Instruction& in, const std::string& extra) const {
    Sha256 h;
    h.update(parent.image_id.empty() ? json_text(parent.cfg) : parent.image_id);
    h.update("\n");
    h.update(in.original);
    for (const auto& [k, v] : parent.args) h.update(fmt::format("\n{}={}", k, v));
    if (o_.timestamp) h.update(fmt::format("\ntimestamp={}", *o_.timestamp));
    h.update("\n");
    h.update(extra);
    return std::string(digest_hex(h.finish()));
  }

  // ---- instructions ----

  void history(State& s, const std::string& created_by, bool empty_layer) {
    json h = {{"created", now()}, {"created_by", created_by}};
    if (empty_layer) h["empty_layer"] = true;
    if (!s.cfg["history"].is_array()) s.cfg["history"] = json::array();
    s.cfg["history"].push_back(h);
  }

  // A step's end: its layer (a diff ID; "" for a metadata step) and history
  // entry, the new image stored and kept in the cache under key.
  void finish_step(State& s, const std::string& key, const std::string& created_by, const std::string& diff_id) {
    if (!diff_id.empty()) s.cfg["rootfs"]["diff_ids"].push_back(diff_id);
    history(s, created_by, diff_id.empty());
    changing(s);
    store_state(s);
    to_cache(key, s);
    say(fmt::format("--> {}", s.image_id.substr(0, 12)));
  }

  void step(const Instruction& in, State& s) {
    const std::string& k = in.keyword;
    if (k == "RUN") return run_step(in, s);
    if (k == "COPY" || k == "ADD") return copy_step(in, s);
    if (k == "ARG") {
      declare_arg(in, s.args, lookup(s));
      return say(fmt::format("--> {}", s.image_id.empty() ? "(not stored yet)" : s.image_id.substr(0, 12)));
    }
    // Metadata: a new configuration, an empty-layer history entry.
    store_state(s);
    std::string key = key_of(s, in, "");
    if (from_cache(key, s)) return;
    metadata(in, s);
    finish_step(s, key, fmt::format("/bin/sh -c #(nop) {}", in.original), "");
  }

  std::vector<std::string> command_of(const Instruction& in, State& s) {
    if (in.json) return in.json_args;
    std::vector<std::string> shell = {"/bin/sh", "-c"};
    if (inner(s).contains("Shell") && inner(s)["Shell"].is_array()) shell = inner(s)["Shell"].get<std::vector<std::string>>();
    shell.push_back(run_script(in));
    return shell;
  }

  // RUN's shell script: with heredocs, the command line followed by their
  // lines, as a shell script holds them (the shell feeds them to the command
  // and expands them unless the name is quoted); a heredoc alone is the
  // script itself.
  std::string run_script(const Instruction& in) const {
    if (in.heredocs.empty() || in.keyword != "RUN") return in.args;
    std::string marker(trim(in.args));
    std::erase_if(marker, [](char c) { return c == '<' || c == '-' || c == '"' || c == '\''; });
    if (in.heredocs.size() == 1 && marker == in.heredocs[0].name) {
      if (in.heredocs[0].content.starts_with("#!"))
        error_at(in, "a RUN heredoc with its own interpreter (#!) is not supported by cabin build yet");
      return in.heredocs[0].content;
    }
    std::string script = in.args + "\n";
    for (const auto& h : in.heredocs) script += h.content + h.name + "\n";
    return script;
  }

  void metadata(const Instruction& in, State& s) {
    const std::string& k = in.keyword;
    json& c = inner(s);
    auto env = lookup(s);
    if (k == "ENV" || k == "LABEL") {
      auto words = build::expand_words(in.args, env, df_.escape);
      std::vector<std::pair<std::string, std::string>> pairs;
      if (k == "ENV" && !words.empty() && words[0].find('=') == std::string::npos) {
        // The old form: ENV NAME value with spaces.
        std::string rest = in.args.substr(std::min(in.args.size(), in.args.find_first_of(" \t")));
        pairs.emplace_back(words[0], build::expand_word(std::string(trim(rest)), env, df_.escape));
      } else {
        for (const auto& w : words) {
          auto eq = w.find('=');
          if (eq == std::string::npos || eq == 0) error_at(in, fmt::format("{} names must be followed by =VALUE: {:?}", k, w));
          pairs.emplace_back(w.substr(0, eq), w.substr(eq + 1));
        }
      }
      if (pairs.empty()) error_at(in, fmt::format("{} requires at least one argument", k));
      for (const auto& [name, value] : pairs) {
        if (k == "LABEL") {
          if (!c["Labels"].is_object()) c["Labels"] = json::object();
          c["Labels"][name] = value;
          continue;
        }
        std::vector<std::string> e = c.contains("Env") && c["Env"].is_array() ? c["Env"].get<std::vector<std::string>>()
                                                                               : std::vector<std::string>{};
        std::erase_if(e, [&, &name = name](const std::string& kv) { return kv.rfind(name + "=", 0) == 0; });
        e.push_back(name + "=" + value);
        c["Env"] = e;
      }
    } else if (k == "WORKDIR") {
      std::string dir = build::expand_word(in.args, env, df_.escape);
      if (dir.empty()) error_at(in, "WORKDIR requires a directory");
      std::string cur = c.value("WorkingDir", "");
      c["WorkingDir"] = build::clean_path(dir.front() == '/' ? dir : (cur.empty() ? "/" : cur) + "/" + dir);
    } else if (k == "USER") {
      c["User"] = build::expand_word(in.args, env, df_.escape);
    } else if (k == "CMD" || k == "ENTRYPOINT") {
      c[k == "CMD" ? "Cmd" : "Entrypoint"] = command_of(in, s);
      if (k == "ENTRYPOINT" && !c.contains("Cmd")) c.erase("Cmd");
    } else if (k == "SHELL") {
      if (!in.json || in.json_args.empty()) error_at(in, "SHELL requires the arguments to be in JSON form");
      c["Shell"] = in.json_args;
    } else if (k == "EXPOSE") {
      if (!c["ExposedPorts"].is_object()) c["ExposedPorts"] = json::object();
      for (auto p : build::expand_words(in.args, env, df_.escape)) {
        if (p.find('/') == std::string::npos) p += "/tcp";
        c["ExposedPorts"][p] = json::object();
      }
    } else if (k == "VOLUME") {
      if (!c["Volumes"].is_object()) c["Volumes"] = json::object();
      auto paths = in.json ? in.json_args : build::expand_words(in.args, env, df_.escape);
      for (const auto& p : paths) c["Volumes"][p] = json::object();
    } else if (k == "STOPSIGNAL") {
      c["StopSignal"] = build::expand_word(in.args, env, df_.escape);
    } else if (k == "MAINTAINER") {
      s.cfg["author"] = in.args;
    } else if (k == "HEALTHCHECK") {
      c["Healthcheck"] = healthcheck(in);
    } else if (k == "ONBUILD") {
      if (!c["OnBuild"].is_array()) c["OnBuild"] = json::array();
      c["OnBuild"].push_back(in.args);
    } else {
      error_at(in, fmt::format("{} is not supported by cabin build yet", k));
    }
  }

  // HEALTHCHECK [--interval=D --timeout=D --start-period=D
  // --start-interval=D --retries=N] CMD command | NONE: the image's
  // Healthcheck (durations in nanoseconds, as Docker's config has them).
  json healthcheck(const Instruction& in) {
    std::string args(trim(in.args));
    std::string word = args.substr(0, args.find_first_of(" \t"));
    std::string rest(trim(args.substr(word.size())));
    for (auto& ch : word) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (word == "NONE") {
      if (!rest.empty() || !in.flags.empty()) error_at(in, "HEALTHCHECK NONE takes no other arguments");
      return {{"Test", {"NONE"}}};
    }
    if (word != "CMD" || rest.empty()) error_at(in, "HEALTHCHECK wants CMD and a command, or NONE");
    json h;
    if (rest.front() == '[') {
      json cmd = json::parse(rest, nullptr, false);
      if (!cmd.is_array() || cmd.empty() || !std::all_of(cmd.begin(), cmd.end(), [](const json& x) { return x.is_string(); }))
        error_at(in, "HEALTHCHECK CMD's exec form must be a JSON array of strings");
      h["Test"] = json::array({"CMD"});
      for (const auto& x : cmd) h["Test"].push_back(x);
    } else {
      h["Test"] = {"CMD-SHELL", rest};
    }
    for (const auto& f : in.flags) {
      auto eq = f.find('=');
      std::string name = f.substr(0, eq), value = eq == std::string::npos ? "" : f.substr(eq + 1);
      static const std::map<std::string, std::string> kDurations = {
          {"--interval", "Interval"}, {"--timeout", "Timeout"}, {"--start-period", "StartPeriod"}, {"--start-interval", "StartInterval"}};
      if (auto it = kDurations.find(name); it != kDurations.end()) {
        auto d = format::parse_duration(value);
        if (!d || d->count() < 0) error_at(in, fmt::format("HEALTHCHECK {}: {:?} is not a duration such as 30s", name, value));
        if (d->count() > 0 && *d < std::chrono::milliseconds(1))
          error_at(in, fmt::format("HEALTHCHECK {}: {:?} is shorter than the 1ms minimum", name, value));
        if (d->count() > 0) h[it->second] = d->count();
      } else if (name == "--retries") {
        auto retries = parse_number<int>(value);
        if (!retries || *retries < 0)
          error_at(in, fmt::format("HEALTHCHECK --retries: {:?} is not a whole number", value));
        if (*retries > 0) h["Retries"] = *retries;
      } else {
        error_at(in, fmt::format("HEALTHCHECK has no flag {}", name));
      }
    }
    return h;
  }

  // A secret as a file: --secret's src, or an env= value written (0600) to
  // the build's scratch space once.
  std::string secret_file(const std::string& id, const BuildOptions::Secret& secret) {
    if (!secret.file.empty()) return secret.file;
    auto& path = secret_files_[id];
    if (path.empty()) {
      path = fs::join(temp_dir("secret"), "value");
      fs::write_file_atomic(path, secret.value, 0600);
    }
    return path;
  }

  // RUN --mount=type=bind|cache|tmpfs|secret,…: what the step's container
  // gets; returns what the cache key needs of it (a bound source's content
  // checksum; never a secret's value).
  std::string run_mount(const Instruction& in, State& s, const std::string& spec, CreateOptions& co,
                        std::set<std::string>& placeholders) {
    std::map<std::string, std::string> kv;
    for (const auto& field : split(spec, ',')) {
      auto eq = field.find('=');
      std::string k = field.substr(0, eq), v = eq == std::string::npos ? "true" : field.substr(eq + 1);
      if (k == "dst" || k == "destination") k = "target";
      if (k == "src") k = "source";
      if (k == "readwrite") k = "rw";
      kv[k] = v;
    }
    auto take = [&](const std::string& k, const std::string& def = "") {
      auto it = kv.find(k);
      std::string v = it == kv.end() ? def : it->second;
      if (it != kv.end()) kv.erase(it);
      return v;
    };
    std::string type = take("type", "bind"), target = take("target");
    auto bad = [&](const std::string& why) { error_at(in, fmt::format("RUN --mount={}: {}", spec, why)); };
    std::string id = take("id");
    if (type != "bind" && type != "cache" && type != "tmpfs" && type != "secret")
      bad(fmt::format("type {:?} is not supported (bind, cache, tmpfs, secret)", type));
    if (type == "secret" && target.empty()) target = "/run/secrets/" + id;
    if (target.empty()) bad("it needs a target");
    std::string workdir = inner(s).value("WorkingDir", "");
    target = build::clean_path(target.front() == '/' ? target : (workdir.empty() ? "/" : workdir) + "/" + target);
    for (std::string p = target; p != "/" && !p.empty(); p = p.substr(0, p.rfind('/')))
      placeholders.insert(p.substr(1));
    std::string extra;
    if (type == "bind") {
      Source src = source_from(in, take("from"));
      std::string source = build::clean_path("/" + take("source", "/")).substr(1);
      bool rw = take("rw", "false") != "false";
      UniqueFd fd = fs::open_in_root(src.root, source.empty() ? "." : source, O_PATH);
      if (!fd) bad(fmt::format("{:?} is not in {}", source.empty() ? "/" : source, src.where));
      // The source as the root resolved it (symlinks kept inside it).
      std::string host = fs::read_link(fmt::format("/proc/self/fd/{}", fd.get()));
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0) throw_errno("stat {}", host);
      UniqueFd parent(::open(parent_of(host).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!parent) throw_errno("open {}", parent_of(host));
      storage::TarTree t{parent.get(), base_of(host), "m", std::make_pair(0u, 0u), false};
      extra = "\nbind " + target + " " + tar_digest({t});
      if (rw) {
        // A copy: the step's writes go nowhere (Docker's rw bind mount).
        std::string dir = temp_dir("bind");
        UniqueFd into(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!into) throw_errno("open {}", dir);
        storage::TarTree copy{parent.get(), base_of(host), S_ISDIR(st.st_mode) ? "" : "f", std::nullopt, false};
        auto eo = storage::default_extract_options();
        eo.whiteouts = false;
        through_pipe([&](int out) { storage::write_tree_tar(out, copy); }, [&](int in_fd) { storage::extract_tar_fd(in_fd, into.get(), eo); });
        co.run.mounts.push_back(fmt::format("type=bind,source={},target={}", S_ISDIR(st.st_mode) ? dir : fs::join(dir, "f"), target));
        return extra;
      }
      co.run.mounts.push_back(fmt::format("type=bind,source={},target={},ro", host, target));
    } else if (type == "cache") {
      std::string cache_id = id.empty() ? target : id;
      std::string dir = fs::join(paths_.graphroot, "build-cache-mounts/" + std::string(digest_hex(sha256_digest(cache_id))));
      take("sharing");
      std::string mode = take("mode", "0755"), uid = take("uid", "0"), gid = take("gid", "0");
      take("from");
      take("source");
      auto m = parse_number<mode_t>(mode, 8);
      auto u = parse_number<uid_t>(uid), g = parse_number<gid_t>(gid);
      if (!m || *m > 07777) bad(fmt::format("mode={}: want an octal mode such as 0755", mode));
      if (!u || !g) bad(fmt::format("uid={},gid={}: want numeric ids", uid, gid));
      if (!fs::is_dir(dir)) {
        fs::mkdir_p(dir, 0700);
        if (::chmod(dir.c_str(), *m) != 0) throw_errno("chmod {}", dir);
        if (::chown(dir.c_str(), *u, *g) != 0) throw_errno("chown {}", dir);
      }
      co.run.mounts.push_back(fmt::format("type=bind,source={},target={}", dir, target));
    } else if (type == "tmpfs") {
      std::string size = take("size");
      co.run.tmpfs.push_back(size.empty() ? target : target + ":size=" + size);
    } else if (type == "secret") {
      bool required = take("required", "true") != "false";  // (Docker's default is false: a step that then fails later)
      auto it = o_.secrets.find(id);
      take("mode");
      take("uid");
      take("gid");
      if (it == o_.secrets.end()) {
        if (required || id.empty()) bad(fmt::format("no secret {:?} was given (--secret id={},src=FILE)", id, id));
        placeholders.erase(target.substr(1));
        return "";
      }
      co.run.mounts.push_back(fmt::format("type=bind,source={},target={},ro", secret_file(id, it->second), target));
    }
    if (!kv.empty()) bad(fmt::format("unknown option {:?}", kv.begin()->first));
    return extra;
  }

  // RUN: a container of the stage's image runs the command; its changes
  // become the layer.
  void run_step(const Instruction& in, State& s) {
    store_state(s);
    CreateOptions co;
    std::string extra = run_script(in);
    std::set<std::string> placeholders;  // mount points made for RUN --mount: not the step's changes
    for (const auto& f : in.flags) {
      if (f.starts_with("--mount=")) extra += run_mount(in, s, build::expand_word(f.substr(8), lookup(s), df_.escape), co, placeholders);
      else if (f.starts_with("--network=")) co.run.networks = {f.substr(10)};
      else error_at(in, fmt::format("RUN {} is not supported by cabin build yet", f));
    }
    for (const auto& v : o_.volumes) {
      auto m = runtime::parse_volume(v);
      co.run.volumes.push_back(v);
      for (std::string p = build::clean_path(m.destination); p != "/" && !p.empty(); p = p.substr(0, p.rfind('/')))
        placeholders.insert(p.substr(1));
    }
    std::string key = key_of(s, in, extra);
    if (from_cache(key, s)) return;
    co.quiet = true;
    co.pull = "never";
    co.run.entrypoint = "";
    if (!o_.network.empty() && co.run.networks.empty()) co.run.networks = {o_.network};
    for (const auto& [name, value] : s.args) co.run.env.push_back(name + "=" + value);
    for (const auto& [name, value] : o_.build_args)
      if (predefined_arg(name) && !s.args.count(name)) co.run.env.push_back(name + "=" + value);
    auto argv = command_of(in, s);
    auto created = create_container(store_, paths_, co, s.image_id, argv);
    storage::ContainerStore containers(paths_);
    const auto& rec = created.record;
    ScopeGuard remove([&] {
      try {
        containers.remove(rec.id);
        remove_anonymous_volumes(paths_, containers, rec);
      } catch (const Error&) {
      }
    });
    int code = run_foreground(containers, paths_, rec, created.config, false);
    if (code != 0) fail("building at STEP \"{}\": while running runtime: exit status {}", in.original, code);
    auto layer = commit_changes(store_, containers, rec, o_.timestamp, placeholders);
    // As Docker and Buildah record it: the stage's ARGs first ("|2 A=1 B=2 ").
    std::string by = in.json ? join(in.json_args, " ") : fmt::format("/bin/sh -c {}", in.args);
    if (!s.args.empty()) {
      std::string args;
      for (const auto& [k, v] : s.args) args += fmt::format("{}={} ", k, v);
      by = fmt::format("|{} {}{}", s.args.size(), args, by);
    }
    finish_step(s, key, by, layer.diff_id);
  }

  // Whether path is a directory in the stage's image (layers top down; a
  // whiteout ends the search).
  bool image_dir(const State& s, const std::string& path) {
    auto ids = s.cfg["rootfs"]["diff_ids"].get<std::vector<std::string>>();
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
      struct stat st {};
      if (::lstat((store_.layer_diff_dir(*it) + path).c_str(), &st) != 0) continue;
      if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return false;
      return S_ISDIR(st.st_mode);
    }
    return false;
  }

  // The stage's image's files: their owners and what is a directory.
  runtime::Layout image_layout(const State& s) const {
    runtime::Layout l;
    for (const auto& d : s.cfg["rootfs"]["diff_ids"]) l.lower_dirs.insert(l.lower_dirs.begin(), store_.layer_diff_dir(d.get<std::string>()));
    return l;
  }

  // --chown=USER[:GROUP], names looked up in the stage's /etc/passwd and
  // /etc/group; a uid alone is also the gid (Docker's rule).
  std::pair<uid_t, gid_t> owner_of(const Instruction& in, const State& s, const std::string& spec) {
    auto layout = image_layout(s);
    try {
      auto u = runtime::resolve_user(spec, runtime::read_image_file(layout, "/etc/passwd").value_or(""),
                                     runtime::read_image_file(layout, "/etc/group").value_or(""), nullptr);
      std::string user = spec.substr(0, spec.find(':'));
      bool numeric = !user.empty() && user.find_first_not_of("0123456789") == std::string::npos;
      if (spec.find(':') == std::string::npos && numeric) u.gid = u.uid;
      return {u.uid, u.gid};
    } catch (const Error& e) {
      error_at(in, fmt::format("--chown={}: {}", spec, e.what()));
    }
  }

  // Where COPY reads: the context, or (--from) the root of a stage's or an
  // image's files, mounted through a container that never runs.
  struct Source {
    int root = -1;
    const build::IgnoreRules* ignore = nullptr;
    std::string where;
  };

  struct Mounted {
    storage::ContainerStore containers;
    storage::ContainerRecord rec;
    storage::MountedRootfs mount;
    UniqueFd root;
    explicit Mounted(const config::StorePaths& p) : containers(p) {}
    ~Mounted() {
      root.reset();
      mount = {};
      try {
        containers.remove(rec.id);
      } catch (const Error&) {
      }
    }
  };

  Source source_from(const Instruction& in, const std::string& from) {
    if (from.empty()) return {ctx_.get(), &ignore_, "the build context " + o_.context};
    int stage = build::stage_named(plan_, from, stage_index_);
    std::string id;
    std::string where = stage >= 0 ? "stage " + from : "image " + from;
    if (stage >= 0) {
      id = finals_[stage];
    } else {
      id = base_image(from);
    }
    if (id.empty()) error_at(in, fmt::format("--from={}: the stage has not been built", from));
    return {image_root(id, where), nullptr, where};
  }

  // --squash: the layers the build added (--squash-all: every layer) as one
  // layer: the final root's files that differ from the base's (mode, owner,
  // size, mtime, link target), and whiteouts for what the base has and the
  // result does not. The history keeps its entries, as empty layers, and
  // gains the squashed layer's.
  void squash(State& s, const std::string& base) {
    store_state(s);
    int top = image_root(s.image_id, "the built image");
    int under = base.empty() ? -1 : image_root(base, "the base image");
    size_t kept = 0;
    if (!base.empty()) kept = json::parse(store_.get_blob(store_.find_image(base)->config_digest()))["rootfs"]["diff_ids"].size();
    storage::TarTree t{top, ".", "", std::nullopt, false};
    t.mtime = o_.timestamp;
    if (under >= 0) {
      t.skip = [under](const std::string& arcname, const struct stat& st) { return same_in(under, arcname, st); };
      gone_from(under, top, "", t.whiteouts);
    }
    auto layer = layer_from_trees({t});
    auto ids = s.cfg["rootfs"]["diff_ids"];
    s.cfg["rootfs"]["diff_ids"] = json::array();
    for (size_t i = 0; i < kept && i < ids.size(); ++i) s.cfg["rootfs"]["diff_ids"].push_back(ids[i]);
    s.cfg["rootfs"]["diff_ids"].push_back(layer.diff_id);
    size_t layered = 0;
    for (auto& h : s.cfg["history"]) {
      if (h.value("empty_layer", false)) continue;
      if (++layered > kept) h["empty_layer"] = true;
    }
    history(s, fmt::format("/bin/sh -c #(nop) {} of {} layers", base.empty() ? "--squash-all" : "--squash", ids.size() - kept), false);
    changing(s);
    say(fmt::format("--> squashed into {}", digest_hex(layer.diff_id).substr(0, 12)));
  }

  // Whether the base root has arcname just as the result does (not for
  // directories: their entries are compared one by one).
  static bool same_in(int base, const std::string& arcname, const struct stat& st) {
    if (S_ISDIR(st.st_mode)) return false;
    auto slash = arcname.rfind('/');
    UniqueFd dir = fs::open_in_root(base, slash == std::string::npos ? "." : arcname.substr(0, slash), O_PATH | O_DIRECTORY);
    struct stat b {};
    std::string name = slash == std::string::npos ? arcname : arcname.substr(slash + 1);
    if (!dir || ::fstatat(dir.get(), name.c_str(), &b, AT_SYMLINK_NOFOLLOW) != 0) return false;
    if ((b.st_mode & S_IFMT) != (st.st_mode & S_IFMT) || b.st_mode != st.st_mode || b.st_uid != st.st_uid ||
        b.st_gid != st.st_gid || b.st_size != st.st_size || b.st_mtim.tv_sec != st.st_mtim.tv_sec ||
        b.st_mtim.tv_nsec != st.st_mtim.tv_nsec || b.st_rdev != st.st_rdev)
      return false;
    return true;  // (a symlink of the same size and time: the same target, as far as a layer diff can tell)
  }

  // The paths under dir in the base root that the result lacks.
  static void gone_from(int base, int top, const std::string& dir, std::vector<std::string>& out) {
    UniqueFd d = fs::open_in_root(base, dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
    UniqueFd t = fs::open_in_root(top, dir.empty() ? "." : dir, O_PATH | O_DIRECTORY);
    if (!d || !t) return;
    for (const auto& name : fs::list_dir_fd(d.get())) {
      std::string path = dir.empty() ? name : dir + "/" + name;
      struct stat st {}, bst {};
      if (::fstatat(t.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        out.push_back(path);
        continue;
      }
      if (::fstatat(d.get(), name.c_str(), &bst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(bst.st_mode) && S_ISDIR(st.st_mode))
        gone_from(base, top, path, out);
    }
  }

  // An image's files, mounted once per build (a container that never runs);
  // the root's fd.
  int image_root(const std::string& id, const std::string& where) {
    auto& m = mounted_[id];
    if (!m) {
      auto mnt = std::make_unique<Mounted>(paths_);
      CreateOptions co;
      co.quiet = true;
      co.pull = "never";
      co.run.networks = {"none"};
      auto created = create_container(store_, paths_, co, id, {"/"});
      mnt->rec = created.record;
      mnt->mount = mount_container_root(paths_, mnt->containers, mnt->rec, created.config);
      std::string path = mnt->rec.rootfs.empty() ? mnt->mount.path() : mnt->rec.rootfs;
      mnt->root.reset(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!mnt->root) throw_errno("open the root of {}", where);
      m = std::move(mnt);
    }
    return m->root.get();
  }

  // A source as written: its paths in the source (relative, cleaned), glob
  // patterns expanded (Go's filepath.Match, as Docker), ignored ones left out.
  std::vector<std::string> expand_source(const Instruction& in, const Source& src, const std::string& word) {
    std::string clean = build::clean_path("/" + word).substr(1);
    if (clean.empty()) clean = ".";
    auto missing = [&] { error_at(in, fmt::format("{}: {:?} is not in {}", in.keyword, word, src.where)); };
    auto ignored = [&](const std::string& p) { return src.ignore && p != "." && src.ignore->ignored(p); };
    if (clean.find_first_of("*?[") == std::string::npos) {
      struct stat st {};
      UniqueFd parent = fs::open_in_root(src.root, parent_of(clean), O_PATH | O_DIRECTORY);
      if (!parent || ::fstatat(parent.get(), base_of(clean).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || ignored(clean))
        missing();
      return {clean};
    }
    std::vector<std::string> found = {""};
    for (const auto& part : split(clean, '/')) {
      std::vector<std::string> next;
      for (const auto& dir : found) {
        if (part.find_first_of("*?[") == std::string::npos) {
          next.push_back(dir.empty() ? part : dir + "/" + part);
          continue;
        }
        UniqueFd d = fs::open_in_root(src.root, dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
        if (!d) continue;
        for (const auto& name : fs::list_dir_fd(d.get()))
          if (::fnmatch(part.c_str(), name.c_str(), FNM_PATHNAME) == 0) next.push_back(dir.empty() ? name : dir + "/" + name);
      }
      found = std::move(next);
    }
    std::vector<std::string> out;
    for (const auto& f : found) {
      struct stat st {};
      UniqueFd parent = fs::open_in_root(src.root, parent_of(f), O_PATH | O_DIRECTORY);
      if (parent && ::fstatat(parent.get(), base_of(f).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !ignored(f))
        out.push_back(f);
    }
    std::sort(out.begin(), out.end());
    if (out.empty()) error_at(in, fmt::format("{}: no file in {} matches {:?}", in.keyword, src.where, word));
    return out;
  }

  static std::string parent_of(const std::string& rel) {
    auto slash = rel.rfind('/');
    return slash == std::string::npos ? "." : rel.substr(0, slash);
  }
  static std::string base_of(const std::string& rel) { return rel.substr(rel.rfind('/') == std::string::npos ? 0 : rel.rfind('/') + 1); }

  // The heredoc a COPY/ADD source word ("<<EOF", "<<-'EOF'") names, if any.
  static const build::Heredoc* heredoc_named(const Instruction& in, std::string word) {
    if (!word.starts_with("<<")) return nullptr;
    std::erase_if(word, [](char c) { return c == '<' || c == '-' || c == '"' || c == '\''; });
    for (const auto& h : in.heredocs)
      if (h.name == word) return &h;
    return nullptr;
  }

  // COPY <<NAME DEST: the lines as a file NAME (variables expanded unless
  // the name was quoted), in a directory of its own.
  std::pair<UniqueFd, std::string> heredoc_file(const Instruction& in, const std::string& name, const build::Lookup& env) {
    const build::Heredoc* h = heredoc_named(in, "<<" + name);
    std::string dir = temp_dir("heredoc");
    fs::write_file_atomic(fs::join(dir, name), h->expand ? build::expand_keep_quotes(h->content, env, df_.escape) : h->content, 0644);
    UniqueFd d(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!d) throw_errno("open {}", dir);
    return {std::move(d), name};
  }

  // ADD URL: the file, in a directory of its own; the directory and the
  // file's name (the URL path's last part), its mtime the server's
  // Last-Modified.
  std::pair<UniqueFd, std::string> download(const Instruction& in, const std::string& url) {
    std::string path = url.substr(url.find("://") + 3);
    path = path.substr(0, path.find_first_of("?#"));
    auto slash = path.find('/');
    std::string name = slash == std::string::npos ? "" : base_of(path.substr(slash));
    if (name.empty()) error_at(in, fmt::format("ADD {}: the URL names no file to store", url));
    std::string dir = temp_dir("add");
    UniqueFd file(::open(fs::join(dir, name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!file) throw_errno("create {}", fs::join(dir, name));
    say(fmt::format("Fetching {}", url));
    int64_t when = storage::fetch_url(url, file.get());
    if (when >= 0) {
      timespec times[2] = {{static_cast<time_t>(when), 0}, {static_cast<time_t>(when), 0}};
      ::futimens(file.get(), times);
    }
    UniqueFd d(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!d) throw_errno("open {}", dir);
    return {std::move(d), name};
  }

  // COPY/ADD: the sources written as a tar under their destination and
  // unpacked as a layer.
  void copy_step(const Instruction& in, State& s) {
    std::optional<std::pair<uid_t, gid_t>> owner = std::make_pair(0u, 0u);
    std::optional<mode_t> mode;
    std::string from;
    auto env = lookup(s);
    for (const auto& f : in.flags) {
      auto value = [&](size_t n) { return build::expand_word(f.substr(n), env, df_.escape); };
      if (f.starts_with("--chown=")) {
        owner = owner_of(in, s, value(8));
      } else if (f.starts_with("--chmod=")) {
        std::string v = value(8);
        auto m = parse_number<mode_t>(v, 8);
        if (!m || *m > 07777) error_at(in, fmt::format("--chmod={}: want an octal mode such as 0755", v));
        mode = *m;
      } else if (f.starts_with("--from=") && in.keyword == "COPY") {
        from = value(7);
      } else if (f == "--link" || f.starts_with("--link=")) {
        // The layer never depends on what is below it here anyway.
      } else {
        error_at(in, fmt::format("{} {} is not supported by cabin build yet", in.keyword, f));
      }
    }
    auto words = in.json ? in.json_args : build::expand_words(in.args, env, df_.escape);
    if (words.size() < 2) error_at(in, fmt::format("{} requires at least two arguments, but got {}", in.keyword, words.size()));
    std::string dest = words.back();
    words.pop_back();
    std::string workdir = inner(s).value("WorkingDir", "");
    bool dest_slash = dest.ends_with("/");
    dest = build::clean_path(dest.front() == '/' ? dest : (workdir.empty() ? "/" : workdir) + "/" + dest);

    Source src = source_from(in, from);
    std::vector<std::pair<std::string, std::string>> items;  // (what, path): "url", "path" or "heredoc"
    for (const auto& w : words) {
      if (const build::Heredoc* h = heredoc_named(in, w)) {
        items.emplace_back("heredoc", h->name);
        continue;
      }
      if (in.keyword == "ADD" && (w.starts_with("http://") || w.starts_with("https://"))) {
        items.emplace_back("url", w);
        continue;
      }
      for (auto& p : expand_source(in, src, w)) items.emplace_back("path", p);
    }
    if (items.size() > 1 && !dest_slash)
      error_at(in, fmt::format("When using {} with more than one source file, the destination must be a directory and end with a /", in.keyword));
    bool dest_dir = dest_slash || (dest != "/" && image_dir(s, dest));

    std::vector<storage::TarTree> trees;
    std::vector<UniqueFd> fds;  // the trees' parents and archives
    std::string arc_dest = dest == "/" ? "" : dest.substr(1);
    auto under_dest = [&](const std::string& base) { return dest_dir ? (arc_dest.empty() ? base : arc_dest + "/" + base) : arc_dest; };
    for (const auto& [what, path] : items) {
      storage::TarTree t;
      t.owner = owner;
      t.mode = mode;
      t.mtime = o_.timestamp;
      if (what == "heredoc" || what == "url") {
        // A file of its own: written in a scratch directory under its name.
        auto [fd, name] = what == "url" ? download(in, path) : heredoc_file(in, path, env);
        if (what == "url" && !mode) t.mode = 0600;  // as Docker
        t.parent_fd = fd.get();
        t.name = name;
        t.arcname = under_dest(name);
        fds.push_back(std::move(fd));
        trees.push_back(t);
        continue;
      }
      UniqueFd parent = fs::open_in_root(src.root, parent_of(path), O_PATH | O_DIRECTORY);
      struct stat st {};
      if (!parent || ::fstatat(parent.get(), base_of(path).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        error_at(in, fmt::format("{}: {:?} is not in {}", in.keyword, path, src.where));
      if (in.keyword == "ADD" && S_ISREG(st.st_mode)) {
        UniqueFd file(::openat(parent.get(), base_of(path).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!file) throw_errno("open {}", path);
        if (storage::is_archive(file.get())) {
          t.archive_fd = file.get();
          t.arcname = arc_dest;
          fds.push_back(std::move(file));
          trees.push_back(t);
          continue;
        }
      }
      t.parent_fd = parent.get();
      t.name = path == "." ? "." : base_of(path);
      t.arcname = S_ISDIR(st.st_mode) ? arc_dest : under_dest(base_of(path));
      if (src.ignore && !src.ignore->empty()) {
        std::string arc_prefix = t.arcname, src_prefix = path == "." ? "" : path;
        const build::IgnoreRules* ign = src.ignore;
        t.skip = [ign, arc_prefix, src_prefix](const std::string& arcname, const struct stat&) {
          std::string rel = arcname.substr(std::min(arcname.size(), arc_prefix.size()));
          while (rel.starts_with("/")) rel.erase(0, 1);
          std::string ctx_path = src_prefix.empty() ? rel : rel.empty() ? src_prefix : src_prefix + "/" + rel;
          return !ctx_path.empty() && ign->ignored(ctx_path);
        };
      }
      fds.push_back(std::move(parent));
      trees.push_back(t);
    }
    // The content's checksum (names, modes, owners, contents): the tar
    // itself, hashed before the layer is made so a cache hit skips it.
    store_state(s);
    std::string content = tar_digest(trees);
    for (auto& t : trees)
      if (t.archive_fd >= 0) ::lseek(t.archive_fd, 0, SEEK_SET);
    std::string key = key_of(s, in, content);
    if (from_cache(key, s)) return;
    auto layer = layer_from_trees(trees);
    finish_step(s, key, fmt::format("/bin/sh -c #(nop) {} {} in {} ", in.keyword, content.substr(7, 12), dest), layer.diff_id);
  }

  // The sources' checksum: their tar with every mtime the same, so that
  // only names, modes, owners and contents count (Docker's rule).
  std::string tar_digest(std::vector<storage::TarTree> trees) {
    for (auto& t : trees) t.mtime = 0;
    Sha256 h;
    through_pipe([&](int fd) { storage::write_trees_tar(fd, trees); },
                 [&](int fd) {
                   char buf[65536];
                   ssize_t n;
                   while ((n = ::read(fd, buf, sizeof buf)) > 0) h.update(buf, static_cast<size_t>(n));
                   if (n < 0) throw_errno("read the context's tar");
                 });
    return h.finish();
  }

  storage::LayerInfo layer_from_trees(const std::vector<storage::TarTree>& trees) {
    return layer_from_tar(store_, [&](int fd) { storage::write_trees_tar(fd, trees); });
  }

  storage::Store& store_;
  const config::StorePaths& paths_;
  const BuildOptions& o_;
  Progress null_;
  build::Dockerfile df_;
  build::IgnoreRules ignore_;
  UniqueFd ctx_;
  build::StagePlan plan_;
  std::map<std::string, std::string> globals_;
  std::set<std::string> used_args_;
  std::vector<std::string> finals_;
  std::map<std::string, std::unique_ptr<Mounted>> mounted_;  // COPY --from roots, by image id
  std::list<fs::LockedTempDir> scratch_;                      // downloads, unpacked contexts
  std::string context_;                                       // the context's directory
  std::map<std::string, std::string> secret_files_;           // env= secrets written out, by id
  std::list<build::Dockerfile> triggers_;                     // ONBUILD triggers run (steps refer to them)
  int stage_index_ = 0;
  int step_ = 0, total_ = 0, stage_no_ = 0, stages_ = 0;
  bool multi_ = false;
};

}  // namespace

uint64_t prune_build_cache(storage::Store& store, bool all) {
  uint64_t freed = 0;
  std::string keys = fs::join(store.graphroot(), "build-cache");
  for (const auto& name : fs::list_dir(keys)) {
    std::string path = fs::join(keys, name);
    auto id = fs::read_file_if_exists(path);
    if (id && store.find_image(std::string(trim(*id)))) continue;
    freed += fs::tree_size(path);
    fs::remove_all(path);
  }
  if (all) {
    std::string mounts = fs::join(store.graphroot(), "build-cache-mounts");
    freed += fs::tree_size(mounts);
    fs::remove_all(mounts);
  }
  return freed;
}

std::string build_image(storage::Store& store, const config::StorePaths& paths, const BuildOptions& options) {
  return Builder(store, paths, options).run();
}

}  // namespace cabin::engine
