// seccomp filters for containers, built with libseccomp: the default
// allowlist profile (the same syscalls, conditions and errno behaviour as
// containers-common's seccomp.json of the Podman 4 era) and user-given
// profiles in that JSON format (--security-opt seccomp=PROFILE.json).
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <string>
#include <vector>

#include "security/caps.h"

namespace cabin::security {

// A compiled filter: the BPF program libseccomp generated, kept in memory.
// Everything that can fail or allocate (parsing, resolving syscall names,
// compiling) happens in the parent, before clone, so the container child
// only loads it. Move-only; empty() means "no filter" (seccomp=unconfined,
// or a profile with neither defaultAction nor syscalls, as Podman treats it).
class SeccompFilter {
 public:
  SeccompFilter() = default;
  SeccompFilter(SeccompFilter&&) noexcept;
  SeccompFilter& operator=(SeccompFilter&&) noexcept;
  ~SeccompFilter();
  bool empty() const { return prog_.empty(); }
  // The BPF program (for tests and debugging) and its instruction count.
  const std::vector<sock_filter>& program() const { return prog_; }
  size_t size() const { return prog_.size(); }
  // Loads the filter into the calling thread with seccomp(2)
  // SECCOMP_SET_MODE_FILTER (prctl(PR_SET_SECCOMP) on kernels without it).
  // The caller needs CAP_SYS_ADMIN in its user namespace or no_new_privs
  // set: the filter does not set no_new_privs itself. Returns 0 or -errno;
  // no allocation, for a child after clone. An empty filter loads nothing.
  int load() const;

 private:
  friend SeccompFilter make_filter(const std::string&, const CapSet&);
  friend SeccompFilter cached_filter(const std::string&, const std::string&, const CapSet&);
  std::vector<sock_filter> prog_;
  unsigned flags_ = 0;  // SECCOMP_FILTER_FLAG_* from the profile's "flags"
};

// Builds the filter from a profile in containers' seccomp.json format, as
// Podman (containers/common) and crun do:
//   defaultAction/defaultErrnoRet (or defaultErrno, a name); architectures
//   or archMap (the native one's entry: native + subArchitectures);
//   syscalls[] with name/names, action, errnoRet/errno, args (index, value,
//   valueTwo, op SCMP_CMP_*), includes/excludes by caps and arches
//   (minKernel is ignored); flags SECCOMP_FILTER_FLAG_{LOG,SPEC_ALLOW,TSYNC}.
// Rules are added in order and the first unconditional rule for a syscall
// wins (libseccomp's behaviour, so also Podman's). Syscall names this
// libseccomp does not know are skipped (logged at debug level).
// profile_json empty → the built-in default profile. caps: the container's
// bounding set; the profile's includes/excludes by capability test it (e.g.
// CAP_SYS_ADMIN allows sethostname, setns, …). Throws cabin::Error
// "seccomp profile: …" (one line) on a malformed profile.
SeccompFilter make_filter(const std::string& profile_json, const CapSet& caps);

// make_filter through a cache of compiled programs in cache_dir, keyed by
// the profile text, the capabilities and libseccomp's version: compiling the
// default profile costs several milliseconds of every container start,
// reading it back a few microseconds. A missing or damaged entry is rebuilt.
SeccompFilter cached_filter(const std::string& cache_dir, const std::string& profile_json, const CapSet& caps);

// The built-in default profile as JSON text (for tests and `--security-opt
// seccomp=` documentation).
const std::string& default_profile_json();

}  // namespace cabin::security
