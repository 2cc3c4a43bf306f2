// Whether a store's database answers right now, for `devtrip-eventd --check-config`
// (it runs as the unit's ExecStartPre: a database that is down is reported there,
// not refused — the daemon starts degraded and waits for it).

extension StoreLocation {
    /// Why the store's database cannot be reached now; nil when it answers (or the store is a local file).
    public func unreachableReason() -> String? {
        guard case .postgresql(let url) = self else { return nil }
        do {
            _ = try PostgresConnection(url: url, setup: [], name: "probe")
            return nil
        } catch {
            return "\(error)"
        }
    }
}
