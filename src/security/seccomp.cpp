#include "security/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/fd.h"
#include "util/strings.h"
#include "util/fs.h"
#include "util/log.h"

namespace cabin::security {
namespace {

using nlohmann::json;

template <typename... Args>
[[noreturn]] void invalid(fmt::format_string<Args...> f, Args&&... args) {
  fail("seccomp profile: {}", fmt::format(f, std::forward<Args>(args)...));
}

// ---- JSON access, with the location in the message ("syscalls[3]: …") ----

const json* member(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

std::string get_string(const json& obj, const char* key, std::string_view where) {
  const json* v = member(obj, key);
  if (!v) return "";
  if (!v->is_string()) invalid("{}\"{}\" is not a string", where, key);
  return v->get<std::string>();
}

std::vector<std::string> get_strings(const json& obj, const char* key, std::string_view where) {
  std::vector<std::string> out;
  const json* v = member(obj, key);
  if (!v) return out;
  if (!v->is_array()) invalid("{}\"{}\" is not a list of strings", where, key);
  for (const auto& s : *v) {
    if (!s.is_string()) invalid("{}\"{}\" is not a list of strings", where, key);
    out.push_back(s.get<std::string>());
  }
  return out;
}

std::optional<uint64_t> get_uint(const json& obj, const char* key, std::string_view where) {
  const json* v = member(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number_unsigned()) invalid("{}\"{}\" is not a non-negative integer", where, key);
  return v->get<uint64_t>();
}

const json& get_object_or_empty(const json& obj, const char* key, std::string_view where) {
  static const json empty = json::object();
  const json* v = member(obj, key);
  if (!v) return empty;
  if (!v->is_object()) invalid("{}\"{}\" is not an object", where, key);
  return *v;
}

// ---- names → libseccomp values ----

// "EPERM" or "1" (the "errno"/"defaultErrno" fields) wins over the numeric
// errnoRet, as containers/common's getErrno does.
std::optional<uint32_t> errno_of(const json& obj, const char* name_key, const char* num_key,
                                 std::string_view where) {
  std::optional<uint64_t> value = get_uint(obj, num_key, where);
  if (std::string name = get_string(obj, name_key, where); !name.empty()) {
    value.reset();
    if (auto n = parse_number<uint32_t>(name)) {
      value = *n;
    } else {
      static constexpr std::pair<std::string_view, int> kAliases[] = {
          {"EWOULDBLOCK", EWOULDBLOCK}, {"ENOTSUP", ENOTSUP}, {"EDEADLOCK", EDEADLOCK}};
      for (const auto& [alias, e] : kAliases)
        if (name == alias) value = e;
      for (int e = 1; e < 256 && !value; ++e)
        if (const char* known = ::strerrorname_np(e); known && name == known) value = e;
      if (!value) invalid("{}unknown errno {}", where, name);
    }
  }
  if (value && *value > 0xffff) invalid("{}errno {} is out of range", where, *value);
  return value;
}

// An action with its errno (ERRNO and TRACE carry one; EPERM when not given,
// as crun and runc do).
uint32_t action_of(const std::string& name, std::optional<uint32_t> err, std::string_view where) {
  const uint32_t e = err.value_or(EPERM);
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(e);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(e);
  if (err) invalid("{}an errno is given for action {}", where, name);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") invalid("{}SCMP_ACT_NOTIFY is not supported", where);
  if (name.empty()) invalid("{}missing \"action\"", where);
  invalid("{}unknown action {:?}", where, name);
}

scmp_compare op_of(const std::string& name, std::string_view where) {
  static constexpr std::pair<std::string_view, scmp_compare> kOps[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  for (const auto& [n, op] : kOps)
    if (n == name) return op;
  invalid("{}unknown operator {:?}", where, name);
}

// "SCMP_ARCH_X86_64" → SCMP_ARCH_X86_64; 0 when libseccomp does not know it.
uint32_t arch_of(std::string_view name) {
  if (name.starts_with("SCMP_ARCH_")) name.remove_prefix(10);
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return ::seccomp_arch_resolve_name(lower.c_str());
}

// The native architecture as the profile's includes/excludes "arches" name
// it (Go's names, as libseccomp-golang prints them).
std::string_view native_arch_name() {
  static constexpr std::pair<uint32_t, std::string_view> kArches[] = {
      {SCMP_ARCH_X86_64, "amd64"},     {SCMP_ARCH_X86, "x86"},         {SCMP_ARCH_X32, "x32"},
      {SCMP_ARCH_AARCH64, "arm64"},    {SCMP_ARCH_ARM, "arm"},         {SCMP_ARCH_MIPS, "mips"},
      {SCMP_ARCH_MIPS64, "mips64"},    {SCMP_ARCH_MIPS64N32, "mips64n32"}, {SCMP_ARCH_MIPSEL, "mipsel"},
      {SCMP_ARCH_MIPSEL64, "mipsel64"}, {SCMP_ARCH_MIPSEL64N32, "mipsel64n32"}, {SCMP_ARCH_PPC, "ppc"},
      {SCMP_ARCH_PPC64, "ppc64"},      {SCMP_ARCH_PPC64LE, "ppc64le"}, {SCMP_ARCH_S390, "s390"},
      {SCMP_ARCH_S390X, "s390x"},      {SCMP_ARCH_RISCV64, "riscv64"}};
  const uint32_t native = ::seccomp_arch_native();
  for (const auto& [token, name] : kArches)
    if (token == native) return name;
  return "";
}

bool contains(const std::vector<std::string>& list, std::string_view s) {
  for (const auto& x : list)
    if (x == s) return true;
  return false;
}

bool has_cap_named(const CapSet& caps, const std::string& name) {
  for (int c = 0; c < 64; ++c)
    if (caps.has(c) && cap_name(c) == name) return true;
  return false;
}

// Whether a syscalls[] entry applies here, as containers/common decides:
// excludes win, then every included arch/cap must match.
bool applies(const json& call, const CapSet& caps, std::string_view where) {
  const json& inc = get_object_or_empty(call, "includes", where);
  const json& exc = get_object_or_empty(call, "excludes", where);
  const std::string_view arch = native_arch_name();
  if (contains(get_strings(exc, "arches", where), arch)) return false;
  for (const auto& c : get_strings(exc, "caps", where))
    if (has_cap_named(caps, c)) return false;
  auto arches = get_strings(inc, "arches", where);
  if (!arches.empty() && !contains(arches, arch)) return false;
  for (const auto& c : get_strings(inc, "caps", where))
    if (!has_cap_named(caps, c)) return false;
  return true;  // includes.minKernel is not checked
}

// ---- building ----

struct CtxRelease {
  void operator()(void* ctx) const { ::seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxRelease>;

void add_arches(void* ctx, const json& doc) {
  const json* list = member(doc, "architectures");
  const json* map = member(doc, "archMap");
  if (list && map && !list->empty() && !map->empty())
    invalid("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or "
            "'archMap'");
  std::vector<std::string> names;
  if (list && !list->empty()) {
    names = get_strings(doc, "architectures", "");
  } else if (map) {
    // Only the entry for the native architecture counts: it and its
    // sub-architectures (x86_64 also runs x86 and x32 binaries).
    if (!map->is_array()) invalid("\"archMap\" is not a list");
    for (size_t i = 0; i < map->size(); ++i) {
      const json& e = (*map)[i];
      std::string where = fmt::format("archMap[{}]: ", i);
      if (!e.is_object()) invalid("{}not an object", where);
      if (arch_of(get_string(e, "architecture", where)) != ::seccomp_arch_native()) continue;
      names = get_strings(e, "subArchitectures", where);
      break;
    }
  }
  for (const auto& n : names) {
    uint32_t token = arch_of(n);
    if (token == 0) invalid("unknown architecture {:?}", n);
    int rc = ::seccomp_arch_add(ctx, token);
    if (rc < 0 && rc != -EEXIST) throw Error(-rc, fmt::format("seccomp profile: architecture {}", n));
  }
}

unsigned flags_of(const json& doc) {
  unsigned flags = 0;
  for (const auto& f : get_strings(doc, "flags", "")) {
    if (f == "SECCOMP_FILTER_FLAG_TSYNC") flags |= SECCOMP_FILTER_FLAG_TSYNC;
    else if (f == "SECCOMP_FILTER_FLAG_LOG") flags |= SECCOMP_FILTER_FLAG_LOG;
    else if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    else invalid("flag {:?} is not supported", f);
  }
  if (!get_string(doc, "listenerPath", "").empty()) invalid("\"listenerPath\" (seccomp notify) is not supported");
  return flags;
}

// Adds one syscalls[] entry. Arguments on distinct indexes form one rule
// (all must match); when an index repeats, each comparison is its own rule
// (any may match): libseccomp allows one comparison per argument and rule,
// and crun splits them the same way.
void add_syscalls(void* ctx, const json& call, uint32_t default_action, const CapSet& caps, std::string_view where) {
  if (!call.is_object()) invalid("{}not an object", where);
  if (!applies(call, caps, where)) return;
  std::vector<std::string> names = get_strings(call, "names", where);
  if (std::string name = get_string(call, "name", where); !name.empty()) {
    if (!names.empty())
      invalid("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    names.push_back(name);
  }
  uint32_t action = action_of(get_string(call, "action", where), errno_of(call, "errno", "errnoRet", where), where);
  // A rule with the default action changes nothing (and libseccomp refuses it).
  if (action == default_action) return;

  std::vector<scmp_arg_cmp> args;
  bool repeated = false;
  if (const json* list = member(call, "args")) {
    if (!list->is_array()) invalid("{}\"args\" is not a list", where);
    if (list->size() > 6) invalid("{}more than 6 \"args\"", where);
    unsigned seen = 0;
    for (const auto& a : *list) {
      if (!a.is_object()) invalid("{}\"args\" entry is not an object", where);
      uint64_t index = get_uint(a, "index", where).value_or(0);
      if (index >= 6) invalid("{}argument index {} is out of range", where, index);
      repeated |= (seen >> index) & 1;
      seen |= 1u << index;
      args.push_back(scmp_arg_cmp{static_cast<unsigned>(index), op_of(get_string(a, "op", where), where),
                                  get_uint(a, "value", where).value_or(0), get_uint(a, "valueTwo", where).value_or(0)});
    }
  }

  for (const auto& name : names) {
    int nr = ::seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      log::debug("seccomp: unknown syscall {:?} skipped", name);
      continue;
    }
    auto add = [&](unsigned count, const scmp_arg_cmp* cmp) {
      int rc = ::seccomp_rule_add_array(ctx, action, nr, count, cmp);
      if (rc < 0) throw Error(-rc, fmt::format("seccomp profile: {}rule for {}", where, name));
    };
    if (!repeated) {
      add(static_cast<unsigned>(args.size()), args.data());
    } else {
      for (const auto& a : args) add(1, &a);
    }
  }
}

// Compiles ctx to BPF in memory (libseccomp 2.5 exports only to an fd).
std::vector<sock_filter> export_bpf(void* ctx) {
  UniqueFd fd(::memfd_create("cabin-seccomp", MFD_CLOEXEC));
  if (!fd) throw_errno("seccomp: memfd_create");
  if (int rc = ::seccomp_export_bpf(ctx, fd.get()); rc < 0) throw Error(-rc, "seccomp: export the filter");
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) throw_errno("seccomp: fstat the filter");
  const size_t bytes = static_cast<size_t>(st.st_size);
  if (bytes == 0 || bytes % sizeof(sock_filter) != 0) fail("seccomp: the exported filter has {} bytes", bytes);
  std::vector<sock_filter> prog(bytes / sizeof(sock_filter));
  if (::pread(fd.get(), prog.data(), bytes, 0) != static_cast<ssize_t>(bytes)) throw_errno("seccomp: read the filter");
  if (prog.size() > BPF_MAXINSNS)
    invalid("the filter has {} instructions, more than the kernel's limit of {}", prog.size(), BPF_MAXINSNS);
  return prog;
}

// "[json.exception.parse_error.101] parse error at …" → "parse error at …".
std::string json_message(const json::exception& e) {
  std::string_view m = e.what();
  if (m.starts_with("[json.exception.")) {
    if (auto p = m.find("] "); p != std::string_view::npos) m.remove_prefix(p + 2);
  }
  return std::string(m);
}

}  // namespace

SeccompFilter::SeccompFilter(SeccompFilter&& o) noexcept
    : prog_(std::exchange(o.prog_, {})), flags_(std::exchange(o.flags_, 0)) {}

SeccompFilter& SeccompFilter::operator=(SeccompFilter&& o) noexcept {
  if (this != &o) {
    prog_ = std::exchange(o.prog_, {});
    flags_ = std::exchange(o.flags_, 0);
  }
  return *this;
}

SeccompFilter::~SeccompFilter() = default;

int SeccompFilter::load() const {
  if (prog_.empty()) return 0;
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(prog_.size());
  fprog.filter = const_cast<sock_filter*>(prog_.data());
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags_, &fprog);
  if (rc == 0) return 0;
  if (rc > 0) return -ESRCH;  // TSYNC: another thread could not be synchronized
  if (errno == ENOSYS && flags_ == 0 && ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0) return 0;
  return -errno;
}

SeccompFilter make_filter(const std::string& profile_json, const CapSet& caps) {
  json doc;
  try {
    doc = json::parse(profile_json.empty() ? default_profile_json() : profile_json);
  } catch (const json::exception& e) {
    invalid("{}", json_message(e));
  }
  if (!doc.is_object()) invalid("not a JSON object");

  const std::string default_name = get_string(doc, "defaultAction", "");
  const json* syscalls = member(doc, "syscalls");
  if (syscalls && !syscalls->is_array()) invalid("\"syscalls\" is not a list");
  // Podman: no default action and no syscalls means seccomp is disabled.
  if (default_name.empty() && (!syscalls || syscalls->empty())) return {};
  if (default_name.empty()) invalid("missing \"defaultAction\"");
  const uint32_t default_action =
      action_of(default_name, errno_of(doc, "defaultErrno", "defaultErrnoRet", ""), "defaultAction: ");

  Ctx ctx(::seccomp_init(default_action));
  if (!ctx) invalid("defaultAction {} is not supported here", default_name);
  // No no_new_privs from libseccomp: the child loads the filter holding
  // CAP_SYS_ADMIN in its user namespace, and sets no_new_privs itself only
  // when asked (--security-opt no-new-privileges). TSKIP: allow rules on
  // syscall -1, as runc and crun do.
  if (int rc = ::seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc < 0)
    throw Error(-rc, "seccomp: set SCMP_FLTATR_CTL_NNP");
  if (int rc = ::seccomp_attr_set(ctx.get(), SCMP_FLTATR_API_TSKIP, 1); rc < 0)
    throw Error(-rc, "seccomp: set SCMP_FLTATR_API_TSKIP");

  add_arches(ctx.get(), doc);
  SeccompFilter filter;
  filter.flags_ = flags_of(doc);
  if (syscalls)
    for (size_t i = 0; i < syscalls->size(); ++i)
      add_syscalls(ctx.get(), (*syscalls)[i], default_action, caps, fmt::format("syscalls[{}]: ", i));
  filter.prog_ = export_bpf(ctx.get());
  return filter;
}

SeccompFilter cached_filter(const std::string& cache_dir, const std::string& profile_json, const CapSet& caps) {
  // FNV-1a: a cache key in the user's own store, not a security boundary.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  };
  const scmp_version* v = ::seccomp_version();
  mix(profile_json.empty() ? default_profile_json() : profile_json);
  mix(fmt::format("|{}|{}.{}.{}|{}", caps.bits, v->major, v->minor, v->micro, sizeof(sock_filter)));
  std::string path = fmt::format("{}/seccomp-{:016x}.bpf", cache_dir, h);

  // Layout: flags (4 bytes), then the instructions.
  if (auto data = fs::read_file_if_exists(path);
      data && data->size() >= sizeof(unsigned) && (data->size() - sizeof(unsigned)) % sizeof(sock_filter) == 0) {
    SeccompFilter f;
    std::memcpy(&f.flags_, data->data(), sizeof(unsigned));
    f.prog_.resize((data->size() - sizeof(unsigned)) / sizeof(sock_filter));
    std::memcpy(f.prog_.data(), data->data() + sizeof(unsigned), data->size() - sizeof(unsigned));
    if (!f.prog_.empty()) return f;
  }
  SeccompFilter f = make_filter(profile_json, caps);
  if (f.empty()) return f;
  std::string data(reinterpret_cast<const char*>(&f.flags_), sizeof(unsigned));
  data.append(reinterpret_cast<const char*>(f.prog_.data()), f.prog_.size() * sizeof(sock_filter));
  try {
    fs::mkdir_p(cache_dir, 0700);
    fs::write_file_atomic(path, data, 0600);
  } catch (const Error& e) {
    log::debug("seccomp cache {}: {}", path, e.what());
  }
  return f;
}

}  // namespace cabin::security
