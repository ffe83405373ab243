// kube generate's names (kube/generate.h): Kubernetes wants DNS-1123 labels.
#include <catch2/catch.hpp>

#include "kube/generate.h"

using cabin::kube::dns_label;

TEST_CASE("dns_label: lower case, runs of other characters one dash, trimmed") {
  CHECK(dns_label("Web_1") == "web-1");
  CHECK(dns_label("/tmp/My Data//x") == "tmp-my-data-x");
  CHECK(dns_label("a.b") == "a-b");
  CHECK(dns_label("--x--") == "x");
  CHECK(dns_label("___") == "x");
}

TEST_CASE("dns_label: at most 63 characters, never ending in a dash") {
  std::string long_name(62, 'a');
  CHECK(dns_label(long_name + "_b") == long_name);
  CHECK(dns_label(std::string(100, 'z')).size() == 63);
}
