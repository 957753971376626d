import Dispatch
import GridCore

extension GridDatabase {
    /// Where ``background(_:)`` runs its calls: threads of Dispatch's, never the cooperative pool.
    private static let queue = DispatchQueue(label: "grid-store", qos: .utility, attributes: .concurrent)

    /// Runs `body` — a synchronous call of this type — on a background thread, and returns its
    /// result without blocking the caller's thread: how actors and tasks reach the store (GRDB
    /// still serialises the writes). Task state goes through ``TaskJournal`` instead.
    /// Runs `body` on the same background threads, for store work that has no database yet
    /// (opening one at start).
    public static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws(GridError) -> T {
        let result: Result<T, GridError> = await withCheckedContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: .success(try body()))
                } catch let error as GridError {
                    continuation.resume(returning: .failure(error))
                } catch {
                    continuation.resume(returning: .failure(GridError(.storeUnavailable, "the store failed: \(error)")))
                }
            }
        }
        return try result.get()
    }

    public func background<T: Sendable>(_ body: @escaping @Sendable (GridDatabase) throws -> T) async throws(GridError) -> T {
        let result: Result<T, GridError> = await withCheckedContinuation { continuation in
            Self.queue.async {
                do {
                    continuation.resume(returning: .success(try body(self)))
                } catch let error as GridError {
                    continuation.resume(returning: .failure(error))
                } catch {
                    continuation.resume(returning: .failure(GridError(.storeUnavailable, "the store failed: \(error)")))
                }
            }
        }
        return try result.get()
    }
}
