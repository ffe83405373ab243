#include "rootless/fixes.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "util/fs.h"
#include "util/strings.h"

namespace cabin::rootless::fix {
namespace {

// A sysctl set now and kept across reboots.
std::string sysctl(std::string_view key, std::string_view value) {
  return fmt::format("sudo sysctl -w {}={} (to keep it: echo '{} = {}' | sudo tee /etc/sysctl.d/99-cabin.conf)",
                     key, value, key, value);
}

}  // namespace

std::string max_user_namespaces() { return sysctl("user.max_user_namespaces", "15000"); }

std::string unprivileged_userns_clone() { return sysctl("kernel.unprivileged_userns_clone", "1"); }

std::string apparmor_userns() {
  return fmt::format("load cabin's AppArmor profile, which allows user namespaces (userns,) for the installed "
                     "cabin: sudo apparmor_parser -r {} (meson install puts it there from contrib/apparmor/cabin; "
                     "edit its path if cabin lives elsewhere)",
                     kAppArmorProfile);
}

std::vector<SubidSpan> all_subid_spans(std::string_view text) {
  std::vector<SubidSpan> out;
  for (const auto& raw : split(text, '\n')) {
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto f = split(line, ':');
    if (f.size() != 3) continue;
    auto start = parse_number<uint64_t>(trim(f[1])), count = parse_number<uint64_t>(trim(f[2]));
    if (start && count && *count > 0) out.push_back({*start, *count});
  }
  return out;
}

uint64_t free_subid_start(const std::vector<SubidSpan>& taken, uint64_t count, uint64_t from) {
  std::vector<uint64_t> candidates{from};
  for (const auto& s : taken)
    if (s.start + s.count > from) candidates.push_back(s.start + s.count);
  std::sort(candidates.begin(), candidates.end());
  for (uint64_t start : candidates) {
    bool clash = std::any_of(taken.begin(), taken.end(), [&](const SubidSpan& s) {
      return start < s.start + s.count && s.start < start + count;
    });
    if (!clash) return start;
  }
  return candidates.back();  // not reached: the last candidate is past every entry
}

std::string add_subids(std::string_view user, std::string_view subuid_text, std::string_view subgid_text) {
  auto taken = all_subid_spans(subuid_text);
  auto gids = all_subid_spans(subgid_text);
  taken.insert(taken.end(), gids.begin(), gids.end());
  constexpr uint64_t kCount = 65536;
  uint64_t start = free_subid_start(taken, kCount);
  return fmt::format("sudo usermod --add-subuids {0}-{1} --add-subgids {0}-{1} {2}", start, start + kCount - 1, user);
}

std::string add_subids(std::string_view user) {
  return add_subids(user, fs::read_file_if_exists("/etc/subuid").value_or(""),
                    fs::read_file_if_exists("/etc/subgid").value_or(""));
}

std::string single_id_limits() {
  return "without ranges cabin maps only your own id (as root in containers): every file of an image is owned "
         "by you, and users other than root (USER, --user, chown to another id) do not exist in containers";
}

std::string install_uidmap() {
  return "install newuidmap and newgidmap: sudo apt-get install uidmap (Debian, Ubuntu) or sudo dnf install "
         "shadow-utils (Fedora, RHEL)";
}

std::string setuid_idmap_tool(std::string_view path, std::string_view cap) {
  return fmt::format("sudo chmod u+s {0} (or: sudo setcap {1}+ep {0})", path, cap);
}

std::string open_tun() {
  return "sudo chmod 0666 /dev/net/tun (to keep it: a udev rule, echo 'KERNEL==\"tun\", MODE=\"0666\"' | sudo tee "
         "/etc/udev/rules.d/99-cabin-tun.rules), or run containers with --network none or --network host";
}

std::string install_fuse_overlayfs() {
  return "install the fuse-overlayfs package: sudo apt-get install fuse-overlayfs";
}

std::string install_squashfuse() { return "install the squashfuse package: sudo apt-get install squashfuse"; }

std::string install_squashfs_tools() {
  return "install the squashfs-tools package: sudo apt-get install squashfs-tools";
}

std::string load_fuse() { return "load the fuse module: sudo modprobe fuse"; }

std::string open_fuse() { return "it must be readable and writable by you: sudo chmod 0666 /dev/fuse"; }

std::string cgroup_v2() {
  return "boot with cgroup v2 (kernel command line systemd.unified_cgroup_hierarchy=1), then delegate it to "
         "users; or run without resource limits";
}

std::string cgroup_delegation() {
  return "delegate cgroup controllers to user sessions, as Podman documents: sudo mkdir -p "
         "/etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | "
         "sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload, then log in "
         "again";
}

std::string runtime_dir() {
  return "log in through a session that sets it (pam_systemd: /run/user/UID), or export XDG_RUNTIME_DIR naming a "
         "directory you own with mode 0700";
}

std::string enable_linger(std::string_view user) { return fmt::format("loginctl enable-linger {}", user); }

std::string local_storage() {
  return "keep the store on a local disk: rootless_storage_path = \"/var/tmp/$USER/cabin\" under [storage] in "
         "~/.config/containers/storage.conf, or --root /var/tmp/$USER/cabin";
}

std::string unprivileged_port(unsigned port) {
  return sysctl("net.ipv4.ip_unprivileged_port_start", std::to_string(port));
}

std::string ping_group() { return "sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""; }

}  // namespace cabin::rootless::fix
