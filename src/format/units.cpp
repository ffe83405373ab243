// Placeholder: being written.
#include "format/units.h"
