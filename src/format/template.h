// Go text/template, as Podman's and Docker's --format accept it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace cabin::format {

struct TemplateNode;

class Template {
 public:
  // Parses Go text/template syntax; throws cabin::Error "template: …" with
  // the position on a syntax error.
  static Template parse(std::string_view text);
  // Executes against data (JSON objects stand for Go structs and maps).
  // Throws cabin::Error on an unknown field or function, naming it.
  std::string execute(const nlohmann::json& data) const;

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

 private:
  Template();
  std::shared_ptr<const TemplateNode> root_;
};

}  // namespace cabin::format
