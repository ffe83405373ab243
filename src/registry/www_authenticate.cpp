// Placeholder: being written.
#include "registry/www_authenticate.h"
