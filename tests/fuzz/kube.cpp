// `kube play`'s YAML (kube/play.h): the documents read into a plan, and
// every pod and container of it turned into what `pod create` and
// `create --pod` take, as engine/kube.cpp would, with a stored secret
// store that holds nothing.
#include <fmt/format.h>

#include "fuzz.h"
#include "kube/play.h"

using namespace cabin;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A stored secret's value, as `secret create` may have stored anything:
  // not a Secret object is nullopt, never an exception.
  (void)kube::secret_data(std::string(fuzz::as_text(data, size)));
  fuzz::refused_ok([&] {
    kube::Plan plan = kube::parse(fuzz::as_text(data, size));
    (void)kube::pod_names(plan);
    kube::StoredSecret none = [](const std::string& name) -> std::optional<std::map<std::string, std::string>> {
      throw Error(fmt::format("no secret {}", name));
    };
    for (const auto& pod : plan.pods) {
      fuzz::refused_ok([&] { (void)kube::pod_options(pod); });
      for (const auto& v : pod.volumes)
        fuzz::refused_ok([&] { (void)kube::volume_files(plan, v, none); });
      for (const auto& c : pod.containers)
        fuzz::refused_ok([&] { (void)kube::container_plan(plan, pod, c, none); });  // probes converted there too
    }
    for (const auto& [name, values] : plan.secrets) {
      auto back = kube::secret_data(kube::secret_value(name, values));
      if (!back || *back != values) {
        std::fprintf(stderr, "fuzz: secret %s does not read back as stored\n", name.c_str());
        std::abort();
      }
    }
  });
  return 0;
}
