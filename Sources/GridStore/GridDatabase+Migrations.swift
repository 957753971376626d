import GRDB

extension GridDatabase {
    /// The schema's history. A shipped migration is never edited: change the schema by adding one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tasks") { db in
            try db.create(table: TaskRecord.databaseTableName) { t in
                t.primaryKey("id", .text)
                t.column("skill", .text).notNull()
                t.column("input", .blob).notNull()
                t.column("priority", .integer).notNull()
                t.column("timeoutMs", .integer).notNull()
                t.column("status", .text).notNull()
                t.column("submittedAtMs", .integer).notNull()
                t.column("finishedAtMs", .integer)
                t.column("executor", .text)
                t.column("output", .blob)
                t.column("errorCode", .text)
                t.column("errorMessage", .text)
            }
            try db.create(index: "task_on_status", on: TaskRecord.databaseTableName, columns: ["status"])
        }
        return migrator
    }
}
