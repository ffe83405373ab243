// Placeholder: being written.
#include "image/reference.h"
