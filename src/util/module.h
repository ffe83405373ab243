// cabin's optional parts live in modules the executable loads on first
// use (cabin-remote.so: registries and archives; cabin-net.so: user-mode
// networking), so that commands which do not need their libraries never pay
// for loading them.
#pragma once

namespace cabin {

// Opens file (searched next to the executable, the build tree, then in the
// install's module directory) and returns what its entry function returns:
// a table whose first member is an int version, checked against version.
// Throws cabin::Error naming what the module is for when it cannot.
const void* load_module(const char* file, const char* entry, int version, const char* what);

}  // namespace cabin
