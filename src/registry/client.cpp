// Placeholder: being written.
#include "registry/client.h"
