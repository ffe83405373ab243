// Placeholder: being written.
#include "storage/extract.h"
