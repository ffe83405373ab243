// Placeholder: being written.
#include "storage/pull.h"
