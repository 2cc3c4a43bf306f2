// `--check-config`'s look at the configured store: a PostgreSQL server that does not
// answer is a warning (the daemon would start degraded and wait), never a refusal.
import EventdConfig
import EventdStore

public enum StoreCheck {
    /// A warning when the configured store's database cannot be reached now; nil when it answers.
    public static func warning(_ configuration: DaemonConfiguration) -> String? {
        let location = configuration.store.location(stateDir: configuration.stateDir)
        guard let reason = location.unreachableReason() else { return nil }
        return "warning: the state store is unreachable now (\(reason)); the daemon starts, reports itself degraded "
            + "and handles no event that needs the store until the database answers"
    }
}
