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
        migrator.registerMigration("v2: address book") { db in
            try db.create(table: KnownPeer.databaseTableName) { t in
                t.primaryKey("nodeId", .text)
                t.column("addresses", .text).notNull()  // JSON array of "host:port"
                t.column("firstSeenMs", .integer).notNull()
                t.column("lastSeenMs", .integer).notNull()
                t.column("consecutiveFailures", .integer).notNull().defaults(to: 0)
                t.column("pinned", .boolean).notNull().defaults(to: false)
                t.column("bannedAtMs", .integer)
                t.column("banReason", .text)
            }
        }
        migrator.registerMigration("v3: evidence") { db in
            try db.create(table: EvidenceRecord.databaseTableName) { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("peer", .text).notNull()
                t.column("taskId", .text).notNull()
                t.column("skill", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("theirDigest", .text).notNull()
                t.column("theirResult", .blob).notNull()
                t.column("otherNode", .text).notNull()
                t.column("otherDigest", .text).notNull()
                t.column("otherResult", .blob).notNull()
                t.column("atMs", .integer).notNull()
            }
            try db.create(index: "evidence_on_peer", on: EvidenceRecord.databaseTableName, columns: ["peer"])
        }
        migrator.registerMigration("v4: task attempts") { db in
            try db.create(table: TaskAttemptRecord.databaseTableName) { t in
                t.column("taskId", .text).notNull().references(TaskRecord.databaseTableName, onDelete: .cascade)
                t.column("seq", .integer).notNull()
                t.column("replica", .integer).notNull()
                t.column("node", .text).notNull()
                t.column("result", .text).notNull()
                t.column("latencyMs", .double)
                t.primaryKey(["taskId", "seq"])
            }
        }
        migrator.registerMigration("v5: idempotency keys and listing") { db in
            try db.alter(table: TaskRecord.databaseTableName) { t in
                t.add(column: "idempotencyKey", .text)
                t.add(column: "requestDigest", .text)
            }
            // NULLs never collide, so only tasks submitted with a key are constrained.
            try db.create(index: "task_on_idempotencyKey", on: TaskRecord.databaseTableName, columns: ["idempotencyKey"], unique: true)
            try db.create(index: "task_on_submittedAtMs", on: TaskRecord.databaseTableName, columns: ["submittedAtMs"])
        }
        migrator.registerMigration("v6: task parameters") { db in
            // Everything a task was submitted with, so a restarted node resumes it faithfully.
            try db.alter(table: TaskRecord.databaseTableName) { t in
                t.add(column: "replicas", .integer).notNull().defaults(to: 1)
                t.add(column: "minimumTrust", .double).notNull().defaults(to: 0)
                t.add(column: "retryApplicationErrors", .boolean).notNull().defaults(to: false)
                t.add(column: "cacheable", .boolean).notNull().defaults(to: false)
            }
        }
        migrator.registerMigration("v7: reputation") { db in
            // What the node learnt of its peers (experience, convictions, circuit breakers), as
            // JSON snapshots by name, saved now and then and at a stop.
            try db.create(table: StoredSnapshot.databaseTableName) { t in
                t.primaryKey("name", .text)
                t.column("data", .blob).notNull()
                t.column("savedAtMs", .integer).notNull()
            }
        }
        migrator.registerMigration("v8: verify mode") { db in
            // How much the node verifies a task's result (sample, strict or off).
            try db.alter(table: TaskRecord.databaseTableName) { t in
                t.add(column: "verify", .text).notNull().defaults(to: "sample")
            }
        }
        migrator.registerMigration("v9: shared evidence") { db in
            // The whole proof of a conviction (a serialized grid.v1.ConvictionEvidence), when the
            // node has one to pass on to its peers.
            try db.alter(table: EvidenceRecord.databaseTableName) { t in
                t.add(column: "conviction", .blob)
            }
        }
        return migrator
    }
}
