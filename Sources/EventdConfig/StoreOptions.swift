// `[store]`: where plugin state, ledgers, outboxes and parked keys live.
import Foundation

/// The store backend of every transactional plugin.
public struct StoreOptions: Sendable, Equatable {
    public enum Backend: String, Sendable, Equatable, CaseIterable {
        /// One SQLite file per plugin under `state_dir` (embedded; one machine).
        case sqlite
        /// One schema per plugin in a PostgreSQL database shared by the fleet.
        case postgresql
    }

    public var backend = Backend.sqlite
    /// A libpq connection URI (postgresql only), references resolved; never holds a literal password.
    public var url = ""

    public init() {}
}

extension ConfigurationLoader {
    /// Reads `[store]`: a literal password in `url` is refused (libpq's passfile, or a
    /// `${credential:NAME}` / `${file:/path}` reference, keeps it out of the file).
    static func parseStore(_ reader: TableReader, credentials: CredentialResolver, into config: inout DaemonConfiguration) throws(ConfigError) {
        let store = try reader.table("store")
        try store.allowOnly(["backend", "url"])
        if let name = try store.string("backend") {
            guard let backend = StoreOptions.Backend(rawValue: name) else {
                throw store.error("backend", "must be one of \(StoreOptions.Backend.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.store.backend = backend
        }
        let raw = try store.string("url") ?? ""
        if raw.contains(/^[a-z]+:\/\/[^\/@]*:[^\/@]*@/) || raw.contains(/[?&]password=(?!\$\{)/) {
            throw store.error("url", "holds a password: use libpq's passfile (?passfile=/path, ~/.pgpass) or a "
                + "${credential:NAME} reference, never a password in this file")
        }
        do throws(CredentialResolver.Failure) {
            let resolved = try credentials.resolve(raw)
            config.store.url = resolved.value
            for secret in resolved.secrets { config.secrets.insert(secret) }
        } catch {
            throw store.error("url", error.reason)
        }
        switch config.store.backend {
        case .postgresql:
            guard raw.hasPrefix("postgresql://") || raw.hasPrefix("postgres://") else {
                throw store.error("url", "must be a libpq connection URI (postgresql://...) with backend = \"postgresql\"")
            }
        case .sqlite:
            guard raw.isEmpty else { throw store.error("url", "is for backend = \"postgresql\"; sqlite keeps its files under state_dir") }
        }
    }
}
