// Placeholder: being written.
#include "config/registries.h"
