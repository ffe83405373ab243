// Placeholder: being written.
#include "image/manifest.h"
