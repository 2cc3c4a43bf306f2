// The `[settings]` table of plugins.d/payment.toml, with its defaults.
import EventdServiceKit

struct PaymentSettings: Equatable {
    /// Where `payment.ticket-balance-low` is published.
    var paymentTopic = "payment-events"
    /// Where `notification.requested` events go.
    var notificationTopic = "notification-events"
    /// A balance below this after a mission's deduction publishes `payment.ticket-balance-low`.
    var lowBalanceThreshold = 3
    /// Tickets in a newly opened wallet.
    var welcomeTickets = 5
    /// Tickets for the first login of each UTC day; 0 turns the bonus off.
    var dailyLoginBonus = 1
    /// Tickets for completing a mission; 0 (no bonus) by default.
    var completionBonusTickets = 0
    /// Tickets for a mission's first passed evaluation.
    var passRewardTickets = 1
    /// Extra tickets for a mission's first evaluation scoring 100.
    var perfectScoreBonusTickets = 1

    init() {}

    /// - Throws: `SettingsError` for a wrong type, an empty topic or a negative count.
    init(_ settings: PluginSettings) throws {
        paymentTopic = try Self.topic(settings, "payment_topic") ?? paymentTopic
        notificationTopic = try Self.topic(settings, "notification_topic") ?? notificationTopic
        lowBalanceThreshold = try Self.count(settings, "low_balance_threshold") ?? lowBalanceThreshold
        welcomeTickets = try Self.count(settings, "welcome_tickets") ?? welcomeTickets
        dailyLoginBonus = try Self.count(settings, "daily_login_bonus") ?? dailyLoginBonus
        completionBonusTickets = try Self.count(settings, "completion_bonus_tickets") ?? completionBonusTickets
        passRewardTickets = try Self.count(settings, "pass_reward_tickets") ?? passRewardTickets
        perfectScoreBonusTickets = try Self.count(settings, "perfect_score_bonus_tickets") ?? perfectScoreBonusTickets
        let known: Set = ["payment_topic", "notification_topic", "low_balance_threshold", "welcome_tickets",
                          "daily_login_bonus", "completion_bonus_tickets", "pass_reward_tickets",
                          "perfect_score_bonus_tickets"]
        if let unknown = settings.raw.keys.sorted().first(where: { !known.contains($0) }) {
            throw SettingsError("unknown setting '\(unknown)' (expected one of: \(known.sorted().joined(separator: ", ")))")
        }
    }

    private static func topic(_ settings: PluginSettings, _ key: String) throws -> String? {
        guard let value = try settings.string(key) else { return nil }
        guard !value.isEmpty else { throw SettingsError("setting '\(key)' must not be empty") }
        return value
    }

    private static func count(_ settings: PluginSettings, _ key: String) throws -> Int? {
        guard let value = try settings.int(key) else { return nil }
        guard value >= 0 else { throw SettingsError("setting '\(key)' must not be negative, got \(value)") }
        return value
    }
}
