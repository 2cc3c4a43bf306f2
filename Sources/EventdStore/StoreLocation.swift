// Where a daemon's plugin stores live, and opening one.

/// The backend and place of every plugin's store.
public enum StoreLocation: Sendable, Equatable {
    /// `<stateDir>/plugins/<plugin>/state.sqlite`.
    case sqlite(stateDir: String)
    /// Schema `eventd_<plugin>` of the database at a libpq URL.
    case postgresql(url: String)

    /// Opens (creating or migrating) `plugin`'s store.
    /// - Parameter waitForServer: a database server that cannot be reached now is no error: the store reports
    ///   itself unreachable (StoreHealth) and migrates its schema once the server answers.
    /// - Throws: `StoreError` (`isUnavailable` when the database cannot be reached and not `waitForServer`).
    public func open(plugin: String, waitForServer: Bool = false) throws -> any PluginStore {
        switch self {
        case .sqlite(let stateDir): try SQLiteStore(path: "\(stateDir)/plugins/\(plugin)/state.sqlite")
        case .postgresql(let url): try PostgresStore(url: url, plugin: plugin, waitForServer: waitForServer)
        }
    }
}
