#include <sqlite3.h>
#include "sqlite_tuning.h"

static int memory_statistics_result = -1;

/* sqlite3_config must run before any thread uses SQLite; a constructor runs before main, when there
 * is only one thread (sqlite3_config is also variadic, which Swift cannot call). */
__attribute__((constructor)) static void kith_sqlite_configure(void) {
    memory_statistics_result = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int kith_sqlite_disable_memory_statistics(void) {
    return memory_statistics_result;
}
