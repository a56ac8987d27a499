#ifndef KITH_SQLITE_TUNING_H
#define KITH_SQLITE_TUNING_H

/// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS): with them on, every allocation
/// takes a process-wide mutex. Effective only before SQLite initializes; returns SQLite's result code.
int kith_sqlite_disable_memory_statistics(void);

#endif
