#include <sqlite3.h>
#include "sqlite_tuning.h"

/* sqlite3_config is variadic, which Swift cannot call: this is its one use in kith. */
int kith_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
