#ifndef KITH_SQLITE_TUNING_H
#define KITH_SQLITE_TUNING_H

/// SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS) are turned off when the process starts, before
/// any thread can use SQLite: with them on, every allocation takes a process-wide mutex. Returns the
/// result code of that call (SQLITE_OK); calling it also keeps this file linked in.
int kith_sqlite_disable_memory_statistics(void);

#endif
