// How a handler's failures are retried: in memory first, then on delay-tier
// topics, then the dead-letter topic. Defaults in `[delivery]`, overridden per
// plugin in `[retry]` and per handler (event) in `[retry.handlers."name"]`.

/// One delay tier: events wait on `<topic>.retry.<name>` for `delayMs`.
public struct RetryTier: Sendable, Equatable, Hashable {
    /// As written in the configuration ("10s", "1m", "500ms"); part of the topic name.
    public var name: String
    public var delayMs: Int

    /// Parses "500ms", "10s", "1m", "2h".
    public init?(_ text: String) {
        let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        guard let (unit, factor) = units.first(where: { text.hasSuffix($0.0) && Int(text.dropLast($0.0.count)) != nil }),
              let count = Int(text.dropLast(unit.count)), count > 0, count <= 7 * 24 * 3_600_000 / factor else { return nil }
        name = text
        delayMs = count * factor
    }

    /// The tier topic of `topic`.
    public func topic(for topic: String) -> String { "\(topic).retry.\(name)" }
}

/// The resolved retry behaviour of one handler.
public struct RetryPolicy: Sendable, Equatable {
    /// In-memory attempts, the first included.
    public var attempts = 3
    public var backoffMs = 200
    public var backoffMaxMs = 5000
    /// Delay tiers after the in-memory attempts; empty: dead-letter right away.
    public var tiers: [RetryTier] = ["10s", "1m", "10m"].map { RetryTier($0)! }
    /// While an event of key K is parked, later events of K for the same handler wait behind it.
    public var keepKeyOrder = true
    /// A handler call that takes longer counts as a transient failure (0: no deadline).
    public var deadlineMs = 30_000

    public init() {}
}

/// The keys a `[retry]` table may set; nil keeps the value it overrides.
public struct RetryOverrides: Sendable, Equatable {
    public var attempts: Int?
    public var backoffMs: Int?
    public var backoffMaxMs: Int?
    public var tiers: [RetryTier]?
    public var keepKeyOrder: Bool?
    public var deadlineMs: Int?

    public init() {}

    public func applied(to base: RetryPolicy) -> RetryPolicy {
        var policy = base
        if let attempts { policy.attempts = attempts }
        if let backoffMs { policy.backoffMs = backoffMs }
        if let backoffMaxMs { policy.backoffMaxMs = backoffMaxMs }
        if let tiers { policy.tiers = tiers }
        if let keepKeyOrder { policy.keepKeyOrder = keepKeyOrder }
        if let deadlineMs { policy.deadlineMs = deadlineMs }
        return policy
    }
}

extension TableReader {
    /// Reads the retry keys of this table (`[delivery]` or a plugin's `[retry]`).
    func retryOverrides() throws(ConfigError) -> RetryOverrides {
        var out = RetryOverrides()
        out.attempts = try int("attempts", in: 1...100)
        out.backoffMs = try int("backoff_ms", in: 0...600_000)
        out.backoffMaxMs = try int("backoff_max_ms", in: 0...3_600_000)
        out.keepKeyOrder = try bool("keep_key_order")
        out.deadlineMs = try int("handler_deadline_ms", in: 0...3_600_000)
        if let names = try strings("tiers") {
            var tiers: [RetryTier] = []
            for name in names {
                guard let tier = RetryTier(name) else {
                    throw error("tiers", "'\(name)' is not a delay such as \"500ms\", \"10s\", \"1m\" or \"2h\" (at most 7 days)")
                }
                guard !tiers.contains(where: { $0.name == name }) else { throw error("tiers", "'\(name)' is listed twice") }
                tiers.append(tier)
            }
            guard tiers.count <= 10 else { throw error("tiers", "at most 10 tiers") }
            out.tiers = tiers
        }
        return out
    }

    static let retryKeys: Set<String> = ["attempts", "backoff_ms", "backoff_max_ms", "tiers", "keep_key_order", "handler_deadline_ms"]
}
