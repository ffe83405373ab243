// Placeholder: being written.
#include "config/auth.h"
