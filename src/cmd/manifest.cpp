// cabin manifest create|add|annotate|inspect|push|rm|exists: multi-arch
// lists put together from images in registries, then pushed.
#include <unistd.h>

#include <cstdlib>

#include <CLI/CLI.hpp>

#include "cmd/common.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "storage/manifests.h"
#include "storage/push.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strings.h"

namespace cabin::cmd {
namespace {

using nlohmann::json;

// Only registries hold what a list names here (Podman's default transport).
std::string remote_only(const std::string& ref) {
  for (std::string_view t : {"containers-storage:", "oci:", "oci-archive:", "dir:", "docker-archive:"})
    if (ref.rfind(t, 0) == 0)
      fail("transport {:?} is not supported by manifest: name an image in a registry (push it there first)",
           t.substr(0, t.size() - 1));
  return ref;
}

json platform_of(const storage::RemoteInstance& i) {
  json p = {{"architecture", i.architecture}, {"os", i.os}};
  if (!i.variant.empty()) p["variant"] = i.variant;
  return p;
}

// KEY=VALUE annotations into obj.
void annotate(json& obj, const std::vector<std::string>& annotations) {
  for (const auto& a : annotations) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) fail("no value given for annotation {:?}", a);
    obj["annotations"][a.substr(0, eq)] = a.substr(eq + 1);
  }
}

struct PlatformFlags {
  std::string arch, os, variant, os_version;
  std::vector<std::string> features, os_features, annotations;

  void bind(CLI::App& app) {
    app.add_option("--arch", arch, "Override the architecture of the specified image");
    app.add_option("--os", os, "Override the operating system of the specified image");
    app.add_option("--variant", variant, "Override the Variant of the specified image");
    app.add_option("--os-version", os_version, "Override the OS version of the specified image");
    app.add_option("--features", features, "Override the features of the specified image")->allow_extra_args(false);
    app.add_option("--os-features", os_features, "Override the OS features of the specified image")->allow_extra_args(false);
    app.add_option("--annotation", annotations, "Set an annotation for the specified image")->allow_extra_args(false);
  }
  void apply(json& d) const {
    if (!arch.empty()) d["platform"]["architecture"] = arch;
    if (!os.empty()) d["platform"]["os"] = os;
    if (!variant.empty()) d["platform"]["variant"] = variant;
    if (!os_version.empty()) d["platform"]["os.version"] = os_version;
    if (!features.empty()) d["platform"]["features"] = features;
    if (!os_features.empty()) d["platform"]["os.features"] = os_features;
    annotate(d, annotations);
  }
};

// Adds (or replaces, by digest) the instances ref names.
void add_instances(storage::ManifestList& l, const std::string& ref, bool all, const storage::RemoteOptions& o,
                   const PlatformFlags* flags) {
  for (const auto& i : storage::remote_instances(remote_only(ref), all, o)) {
    json d = {{"mediaType", i.media_type}, {"digest", i.digest}, {"size", i.size}, {"platform", platform_of(i)}};
    if (flags) flags->apply(d);
    auto& m = l.index["manifests"];
    for (auto it = m.begin(); it != m.end();)
      it = it->value("digest", "") == i.digest ? m.erase(it) : it + 1;
    m.push_back(d);
    l.sources[i.digest] = i.reference;
  }
}

void print_id(const storage::ManifestList& l) { fmt::print("{}\n", l.id); }

struct CreateOptions {
  std::vector<std::string> args;
  bool all = false, amend = false;
  std::vector<std::string> annotations;
  RemoteFlags remote;
};

int run_create(const Globals& g, const CreateOptions& o) {
  check_args(o.args, 1, kAnyArgs);
  storage::ManifestLists lists(g.paths);
  std::string name = storage::normalize_image_name(o.args[0]);
  storage::ManifestList l;
  if (auto have = lists.find(name)) {
    if (!o.amend) fail("{}: a manifest list of that name exists (ID {}): use --amend to add to it", name, have->id.substr(0, 12));
    l = *have;
  } else {
    auto store = open_store(g);
    if (auto img = store.find_image(name))
      fail("image name {:?} is already associated with image {:?}", name, img->id);
    l.id = random_id();
    l.name = name;
    l.index = {{"schemaVersion", 2}, {"mediaType", image::media::kOciIndex}, {"manifests", json::array()}};
  }
  annotate(l.index, o.annotations);
  auto ro = o.remote.options();
  for (size_t i = 1; i < o.args.size(); ++i) add_instances(l, o.args[i], o.all, ro, nullptr);
  lists.save(l);
  print_id(l);
  return 0;
}

struct AddOptions {
  std::vector<std::string> args;
  bool all = false;
  PlatformFlags platform;
  RemoteFlags remote;
};

int run_add(const Globals& g, const AddOptions& o) {
  check_args(o.args, 2, 2);
  storage::ManifestLists lists(g.paths);
  auto l = lists.get(o.args[0]);
  add_instances(l, o.args[1], o.all, o.remote.options(), &o.platform);
  lists.save(l);
  print_id(l);
  return 0;
}

struct AnnotateOptions {
  std::vector<std::string> args;
  PlatformFlags platform;
  bool index = false;
};

int run_annotate(const Globals& g, const AnnotateOptions& o) {
  storage::ManifestLists lists(g.paths);
  if (o.index) {
    check_args(o.args, 1, 1);
    auto l = lists.get(o.args[0]);
    annotate(l.index, o.platform.annotations);
    lists.save(l);
    print_id(l);
    return 0;
  }
  check_args(o.args, 2, 2);
  auto l = lists.get(o.args[0]);
  // The instance by digest, or by an image reference with one.
  std::string digest = o.args[1];
  if (auto at = digest.find('@'); at != std::string::npos) digest = digest.substr(at + 1);
  for (auto& d : l.index["manifests"])
    if (d.value("digest", "") == digest) {
      o.platform.apply(d);
      lists.save(l);
      print_id(l);
      return 0;
    }
  fail("no instance {} in manifest list {}", o.args[1], l.name);
}

struct InspectOptions {
  std::vector<std::string> args;
  RemoteFlags remote;
  bool insecure = false;
};

int run_inspect(const Globals& g, InspectOptions o) {
  check_args(o.args, 1, 1);
  if (o.insecure) o.remote.tls_verify = false;
  storage::ManifestLists lists(g.paths);
  json j;
  if (auto l = lists.find(o.args[0])) {
    j = l->index;
  } else {
    j = json::parse(storage::remote_manifest(remote_only(o.args[0]), o.remote.options()), nullptr, false);
    if (j.is_discarded()) fail("{}: the registry's manifest is not JSON", o.args[0]);
  }
  fmt::print("{}\n", json_text(j, 4));
  return 0;
}

struct PushOptions {
  std::vector<std::string> args;
  std::optional<bool> all;  // unset: true
  bool rm = false, quiet = false;
  std::string format, digestfile;
  RemoteFlags remote;
};

int run_push(const Globals& g, const PushOptions& o) {
  check_args(o.args, 1, 2);
  storage::ManifestLists lists(g.paths);
  auto l = lists.get(o.args[0]);
  std::string dest_text = remote_only(o.args.size() == 2 ? o.args[1] : l.name);
  if (dest_text.rfind("docker://", 0) == 0) dest_text.erase(0, 9);
  auto dest = image::parse_reference(dest_text).ref;
  if (!dest.digest.empty()) fail("cannot push to a digested reference {:?}: name a tag", dest_text);
  json index = l.index;
  if (index["manifests"].empty()) fail("manifest list {} is empty: add images first", l.name);
  std::string type(image::media::kOciIndex);
  if (o.format == "v2s2" || o.format == "docker") {
    type = image::media::kDockerList;
  } else if (!o.format.empty() && o.format != "oci") {
    fail("unsupported manifest list format {:?}: use oci or v2s2", o.format);
  }
  index["mediaType"] = type;
  std::vector<std::string> refs;
  for (const auto& d : index["manifests"]) {
    auto it = l.sources.find(d.value("digest", ""));
    if (it == l.sources.end()) fail("instance {} of {} has no known source", d.value("digest", ""), l.name);
    refs.push_back(it->second);
  }
  std::string digest = storage::push_manifest_list(json_text(index), type, refs, dest, o.all.value_or(true), o.remote.options(), o.quiet);
  if (!o.digestfile.empty()) fs::write_file_atomic(o.digestfile, digest, 0644);
  if (o.rm) lists.remove(l.id);
  return 0;
}

}  // namespace

Runner bind_manifest_create(CLI::App& app, Globals& g) {
  auto o = std::make_shared<CreateOptions>();
  app.add_option("args", o->args, "LIST [IMAGE...]");
  app.add_flag("--all", o->all, "Add all of the lists' images if the images to add are lists");
  app.add_flag("--amend,-a", o->amend, "Modify an existing list if one with the desired name already exists");
  app.add_option("--annotation", o->annotations, "Set an annotation for the list itself")->allow_extra_args(false);
  o->remote.bind(app);
  return [o, &g] { return run_create(g, *o); };
}

Runner bind_manifest_add(CLI::App& app, Globals& g) {
  auto o = std::make_shared<AddOptions>();
  app.add_option("args", o->args, "LIST IMAGE");
  app.add_flag("--all", o->all, "Add all of the list's images if the image is a list");
  o->platform.bind(app);
  o->remote.bind(app);
  return [o, &g] { return run_add(g, *o); };
}

Runner bind_manifest_annotate(CLI::App& app, Globals& g) {
  auto o = std::make_shared<AnnotateOptions>();
  app.add_option("args", o->args, "LIST DIGEST");
  app.add_flag("--index", o->index, "Apply --annotation values to the list itself");
  o->platform.bind(app);
  return [o, &g] { return run_annotate(g, *o); };
}

Runner bind_manifest_inspect(CLI::App& app, Globals& g) {
  auto o = std::make_shared<InspectOptions>();
  app.add_option("args", o->args, "LIST-OR-IMAGE");
  app.add_flag("--insecure", o->insecure, "Neither require HTTPS nor verify certificates when accessing the registry");
  o->remote.bind(app);
  return [o, &g] { return run_inspect(g, *o); };
}

Runner bind_manifest_push(CLI::App& app, Globals& g) {
  auto o = std::make_shared<PushOptions>();
  app.add_option("args", o->args, "LIST [DESTINATION]");
  add_bool_flag(app, "--all", o->all, "Push images in the list in addition to the list itself (default true)");
  app.add_flag("--rm,--purge", o->rm, "Remove the manifest list if push succeeds");
  app.add_flag("-q,--quiet", o->quiet, "Don't output progress information when pushing lists");
  app.add_option("-f,--format", o->format, "Manifest list type (oci or v2s2) to use when pushing the list");
  app.add_option("--digestfile", o->digestfile, "After copying the image, write the digest of the resulting list to the file");
  o->remote.bind(app);
  return [o, &g] { return run_push(g, *o); };
}

Runner bind_manifest_rm(CLI::App& app, Globals& g) {
  auto o = std::make_shared<std::vector<std::string>>();
  app.add_option("lists", *o, "LIST...");
  return [o, &g] {
    check_args(*o, 1, kAnyArgs);
    storage::ManifestLists lists(g.paths);
    std::vector<storage::ManifestList> found;
    for (const auto& n : *o) found.push_back(lists.get(n));  // all or nothing
    for (const auto& l : found) {
      lists.remove(l.id);
      fmt::print("Untagged: {}\nDeleted: {}\n", l.name, l.id);
    }
    return 0;
  };
}

Runner bind_manifest_exists(CLI::App& app, Globals& g) {
  auto o = std::make_shared<std::vector<std::string>>();
  app.add_option("list", *o, "LIST");
  return [o, &g] {
    check_args(*o, 1, 1);
    return storage::ManifestLists(g.paths).find((*o)[0]) ? 0 : 1;
  };
}

}  // namespace cabin::cmd
