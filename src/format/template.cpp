// Placeholder: being written.
#include "format/template.h"
