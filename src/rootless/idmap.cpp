#include "rootless/idmap.h"

#include <pwd.h>
#include <unistd.h>

#include <charconv>

#include <fmt/format.h>

#include "util/fs.h"
#include "util/strings.h"

namespace cabin::rootless {
namespace {

std::vector<IdRange> with_own_id(uint32_t own, const std::vector<IdRange>& subs) {
  std::vector<IdRange> out{{0, own, 1}};
  uint32_t next = 1;
  for (const auto& r : subs) {
    out.push_back({next, r.host_id, r.size});
    next += r.size;
  }
  return out;
}

}  // namespace

uint64_t IdMapping::uid_count() const {
  uint64_t n = 0;
  for (const auto& r : uids) n += r.size;
  return n;
}

uint64_t IdMapping::gid_count() const {
  uint64_t n = 0;
  for (const auto& r : gids) n += r.size;
  return n;
}

std::vector<IdRange> parse_subid(std::string_view text, std::string_view user, uid_t id) {
  std::vector<IdRange> out;
  std::string id_text = std::to_string(id);
  for (const auto& raw : split(text, '\n')) {
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto fields = split(line, ':');
    if (fields.size() != 3) continue;
    if (fields[0] != user && fields[0] != id_text) continue;
    auto start = parse_number<uint32_t>(trim(fields[1])), count = parse_number<uint32_t>(trim(fields[2]));
    if (!start || !count || *count == 0) continue;
    out.push_back({0, *start, *count});
  }
  return out;
}

IdMapping mapping_for(uid_t uid, gid_t gid, std::string_view user, std::string_view subuid_text,
                      std::string_view subgid_text) {
  auto subuids = parse_subid(subuid_text, user, uid);
  auto subgids = parse_subid(subgid_text, user, uid);
  IdMapping m;
  // Both or neither: a namespace with 65536 uids but one gid breaks images.
  if (subuids.empty() || subgids.empty()) {
    m.uids = {{0, uid, 1}};
    m.gids = {{0, gid, 1}};
    return m;
  }
  m.uids = with_own_id(uid, subuids);
  m.gids = with_own_id(gid, subgids);
  return m;
}

std::string current_user_name() {
  struct passwd pw, *res = nullptr;
  char buf[4096];
  if (getpwuid_r(::getuid(), &pw, buf, sizeof buf, &res) == 0 && res) return pw.pw_name;
  const char* u = std::getenv("USER");
  return u ? u : std::to_string(::getuid());
}

IdMapping current_mapping() {
  auto subuid = fs::read_file_if_exists("/etc/subuid").value_or("");
  auto subgid = fs::read_file_if_exists("/etc/subgid").value_or("");
  return mapping_for(::getuid(), ::getgid(), current_user_name(), subuid, subgid);
}

int64_t to_host(const std::vector<IdRange>& ranges, uint32_t inside) {
  for (const auto& r : ranges)
    if (inside >= r.container_id && inside - r.container_id < r.size)
      return static_cast<int64_t>(r.host_id) + (inside - r.container_id);
  return -1;
}

std::string map_text(const std::vector<IdRange>& ranges) {
  std::string out;
  for (const auto& r : ranges) out += fmt::format("{} {} {}\n", r.container_id, r.host_id, r.size);
  return out;
}

}  // namespace cabin::rootless
