// Placeholder: being written.
#include "storage/store.h"
