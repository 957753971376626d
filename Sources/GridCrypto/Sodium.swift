import CSodium

/// libsodium must be initialised once per process before any other call; every entry point of
/// this module goes through ``Sodium/ensureInitialized()``.
enum Sodium {
    // Swift runs a global's initialiser exactly once, thread-safely.
    private static let initialized: Bool = sodium_init() >= 0

    static func ensureInitialized() {
        // sodium_init fails only when the OS gives no randomness source; nothing can be signed then.
        precondition(initialized, "libsodium could not initialise (no randomness source?)")
    }
}
