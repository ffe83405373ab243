// `cabin system doctor`: everything a rootless user's host needs, checked one
// by one, each with what was found and, when it is not fine, the fix (the
// same words the errors use: rootless/fixes.h). The command (cmd/system.cpp)
// only prints the report.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/paths.h"

namespace cabin::rootless {

enum class CheckStatus {
  Ok,
  Note,           // works, with a limit worth knowing (a fix lifts it)
  Warn,           // degraded: cabin works around it, or some features fail
  Fail,           // blocks running containers
  NotApplicable,  // not for this user or host (root, no systemd)
};
std::string_view status_name(CheckStatus s);  // "ok", "note", "warn", "fail", "n/a"

struct Check {
  std::string id;      // stable, for scripts: "userns", "subids", "tun", …
  std::string name;    // for people: "user namespaces"
  CheckStatus status = CheckStatus::Ok;
  std::string detail;  // what was found
  std::string fix;     // what to do; empty when ok
};

struct DoctorReport {
  std::vector<Check> checks;
  // No check failed: cabin can run containers here (warnings allowed).
  bool can_run() const;
};

// Runs every check for the calling user (the user namespace and the storage
// driver are tried for real, in a child process). Must be called before any
// thread starts.
DoctorReport run_doctor(const config::StorePaths& paths);

// ---- pieces with no side effects, for the checks and their tests

// Whether a security.capability xattr value (struct vfs_cap_data, any
// revision) has capability cap in its permitted set.
bool file_caps_permit(std::string_view xattr, int cap);

// A filesystem's name by its statfs magic ("nfs", "lustre", "0x1234" when
// unknown), and whether it is a network or cluster filesystem that cannot
// hold a rootless store (server-side id checks, no user xattrs, locking).
std::string filesystem_name(uint64_t magic);
bool network_filesystem(uint64_t magic);

// Whether nsswitch.conf text has a "subid:" source (libsubid: SSSD, FreeIPA),
// and which ("sss"); empty when none.
std::string nsswitch_subid_source(std::string_view nsswitch);

}  // namespace cabin::rootless
