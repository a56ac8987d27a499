import GRDB

/// The archive's schema as named migrations. A migration is frozen once released: add new ones, never edit old ones.
enum ArchiveSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-accounts-folders-messages-addresses") { db in
            try db.execute(sql: """
                CREATE TABLE account (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    last_attempt_at INTEGER,
                    last_success_at INTEGER,
                    last_error TEXT
                );
                CREATE TABLE folder (
                    id INTEGER PRIMARY KEY,
                    account_id INTEGER NOT NULL REFERENCES account(id),
                    name BLOB NOT NULL,
                    display_name TEXT NOT NULL,
                    uidvalidity INTEGER,
                    last_uid INTEGER NOT NULL DEFAULT 0,
                    uidnext INTEGER,
                    server_count INTEGER,
                    last_seen_at INTEGER,
                    UNIQUE (account_id, name)
                );
                CREATE TABLE message (
                    id INTEGER PRIMARY KEY,
                    identity TEXT NOT NULL UNIQUE,
                    date INTEGER,
                    direction TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
                    automated INTEGER NOT NULL,
                    archived_at INTEGER NOT NULL
                );
                CREATE TABLE message_location (
                    folder_id INTEGER NOT NULL REFERENCES folder(id),
                    uidvalidity INTEGER NOT NULL,
                    uid INTEGER NOT NULL,
                    message_id INTEGER NOT NULL REFERENCES message(id),
                    PRIMARY KEY (folder_id, uidvalidity, uid)
                ) WITHOUT ROWID;
                CREATE INDEX message_location_by_message ON message_location(message_id);
                CREATE TABLE address (
                    id INTEGER PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE
                );
                CREATE TABLE message_address (
                    message_id INTEGER NOT NULL REFERENCES message(id),
                    address_id INTEGER NOT NULL REFERENCES address(id),
                    role TEXT NOT NULL CHECK (role IN ('from', 'sender', 'reply-to', 'to', 'cc', 'bcc')),
                    name TEXT,
                    PRIMARY KEY (message_id, address_id, role)
                ) WITHOUT ROWID;
                CREATE INDEX message_address_by_address ON message_address(address_id);
                """)
        }
        migrator.registerMigration("v2-deprovisioning-events") { db in
            try db.execute(sql: """
                ALTER TABLE account ADD COLUMN failing_since INTEGER;
                ALTER TABLE account ADD COLUMN closed_at INTEGER;
                CREATE TABLE account_event (
                    account_id INTEGER NOT NULL REFERENCES account(id),
                    event TEXT NOT NULL,
                    threshold INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    detail TEXT,
                    PRIMARY KEY (account_id, event, threshold)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3-people") { db in
            // Links are the user's declarations, keyed by address text so they can name an address before
            // it is harvested; harvests never touch them.
            try db.execute(sql: """
                CREATE TABLE person (
                    id INTEGER PRIMARY KEY,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE person_address (
                    email TEXT PRIMARY KEY,
                    person_id INTEGER NOT NULL REFERENCES person(id)
                ) WITHOUT ROWID;
                CREATE INDEX person_address_by_person ON person_address(person_id);
                """)
        }
        migrator.registerMigration("v4-folder-errors") { db in
            // Why the server would not let a folder be read at the last harvest (NULL: it was read).
            try db.execute(sql: "ALTER TABLE folder ADD COLUMN last_error TEXT")
        }
        migrator.registerMigration("v5-folder-missing") { db in
            // Messages the server listed but sent no data for (Exchange): counted, not asked for again.
            try db.execute(sql: "ALTER TABLE folder ADD COLUMN missing INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v6-imports") { db in
            // The owner's addresses given to `kith import` (one per line), and when mail was last imported.
            try db.execute(sql: "ALTER TABLE account ADD COLUMN addresses TEXT")
            try db.execute(sql: "ALTER TABLE account ADD COLUMN imported_at INTEGER")
        }
        migrator.registerMigration("v7-linkedin") { db in
            // LinkedIn's Connections.csv: who the user is connected to, joined to people by e-mail only.
            try db.execute(sql: """
                CREATE TABLE linkedin_connection (
                    id INTEGER PRIMARY KEY,
                    first_name TEXT NOT NULL,
                    last_name TEXT NOT NULL,
                    url TEXT,
                    email TEXT,
                    company TEXT,
                    position TEXT,
                    connected_on TEXT,
                    imported_at INTEGER NOT NULL
                );
                CREATE INDEX linkedin_connection_by_email ON linkedin_connection(email);
                """)
        }
        migrator.registerMigration("v8-curation-digest") { db in
            // `kith ignore` rules (an address, a domain or a * pattern), the salted hashes of addresses
            // `kith forget` erased, small named values such as that salt and when the last digest went out,
            // the cards `kith sync-carddav` created (one line per address in `addresses`), and each address's
            // spelling as written in a message when its local part was not all lowercase (NULL otherwise).
            try db.execute(sql: """
                CREATE TABLE ignore_rule (
                    pattern TEXT PRIMARY KEY,
                    added_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE forgotten_address (
                    hash TEXT PRIMARY KEY,
                    forgotten_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE archive_value (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;
                ALTER TABLE message_address ADD COLUMN spelling TEXT;
                CREATE TABLE carddav_card (
                    collection TEXT NOT NULL,
                    uid TEXT NOT NULL,
                    href TEXT NOT NULL,
                    etag TEXT,
                    addresses TEXT NOT NULL,
                    content_hash TEXT NOT NULL,
                    synced_at INTEGER NOT NULL,
                    PRIMARY KEY (collection, uid)
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }
}
