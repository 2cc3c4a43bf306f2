// One handler per consumed event.
import EventdServiceKit
import Foundation

extension PaymentPlugin {
    /// ⚠️ row: opens the wallet on the registered plan with `welcome_tickets`
    /// and sends `payment.welcome`. A wallet opened earlier by another of the
    /// user's events keeps its tickets (the welcome grant was made then) and
    /// takes the registered plan.
    func userRegistered(_ source: Incoming<UserRegistered>) throws(HandlingFailure) {
        let payload = source.payload
        try updateWallet(source, openingPlan: payload.plan) { wallet, _ throws(HandlingFailure) in
            guard !wallet.registered else {
                host.log(.warning, "user registered again; wallet unchanged", ["user_id": payload.userId, "event_id": source.eventId])
                return
            }
            wallet.registered = true
            wallet.plan = payload.plan
            try followUps.notify("payment.welcome", [
                "displayName": payload.displayName,
                "plan": wallet.plan,
                "welcomeTickets": String(settings.welcomeTickets),
                "balance": String(wallet.balance),
                "owed": String(wallet.owed),
            ], index: 0, after: source)
        }
    }

    /// ⚠️ row: the first login of each UTC calendar day (of the event's time)
    /// grants `daily_login_bonus` tickets and sends `payment.daily-bonus`. A
    /// login older than the latest one seen grants nothing.
    func userLogin(_ source: Incoming<UserLogin>) throws(HandlingFailure) {
        let day = Timestamp.utcDay(source.at)
        try updateWallet(source) { wallet, _ throws(HandlingFailure) in
            wallet.lastSessionId = source.payload.sessionId
            if let last = wallet.lastLoginDate, last >= day { return }
            wallet.lastLoginDate = day
            let bonus = settings.dailyLoginBonus
            guard bonus > 0 else { return }
            wallet.grant(bonus)
            wallet.usage.loginBonusDays += 1
            host.log(.info, "daily login bonus", ["user_id": wallet.userId, "date": day, "tickets": String(bonus)])
            try followUps.notify("payment.daily-bonus", [
                "date": day,
                "tickets": String(bonus),
                "balance": String(wallet.balance),
                "owed": String(wallet.owed),
            ], index: 0, after: source)
        }
    }

    /// Deducts `ticketCost` (what the balance cannot cover is recorded as
    /// owed), counts the start, and publishes `payment.ticket-balance-low` when
    /// the balance is then below `low_balance_threshold`; a shortfall also sends
    /// `payment.tickets-owed`.
    func missionStarted(_ source: Incoming<MissionStarted>) throws(HandlingFailure) {
        let payload = source.payload
        let threshold = settings.lowBalanceThreshold
        try updateWallet(source) { wallet, _ throws(HandlingFailure) in
            let (charged, shortfall) = wallet.charge(payload.ticketCost)
            var account = wallet.missions[payload.missionId] ?? MissionAccount(status: MissionAccount.charged)
            account.status = MissionAccount.charged
            account.starts += 1
            account.ticketsUsed += payload.ticketCost
            account.lastCost = payload.ticketCost
            account.lastCharged = charged
            account.lastOwed = shortfall
            account.startedAt = Timestamp.string(source.at)
            account.settledAt = nil
            wallet.missions[payload.missionId] = account
            wallet.usage.missionsStarted += 1
            host.log(.debug, "tickets deducted", ["user_id": wallet.userId, "mission_id": payload.missionId,
                                                 "cost": String(payload.ticketCost), "charged": String(charged),
                                                 "owed": String(shortfall), "balance": String(wallet.balance)])
            if wallet.balance < threshold {
                try followUps.publish(TicketBalanceLow(userId: wallet.userId, balance: wallet.balance,
                                                       threshold: threshold, plan: wallet.plan),
                                      type: "payment.ticket-balance-low", topic: settings.paymentTopic,
                                      index: 0, after: source)
            }
            if shortfall > 0 {
                try followUps.notify("payment.tickets-owed", [
                    "missionId": payload.missionId,
                    "ticketCost": String(payload.ticketCost),
                    "charged": String(charged),
                    "owed": String(wallet.owed),
                    "balance": String(wallet.balance),
                    "suggestedRecharge": String(wallet.owed + threshold),
                    "plan": wallet.plan,
                ], index: 1, after: source)
            }
        }
    }

    /// ⚠️ row: settles the mission's charge (no refund: the tickets paid for
    /// the environment the mission used), counts the completion and its
    /// duration, and grants `completion_bonus_tickets` (default 0) with a
    /// `payment.completion-bonus` notification. A second completion of the
    /// same start changes nothing.
    func missionCompleted(_ source: Incoming<MissionCompleted>) throws(HandlingFailure) {
        let payload = source.payload
        try updateWallet(source) { wallet, _ throws(HandlingFailure) in
            var account = wallet.missions[payload.missionId] ?? MissionAccount(status: MissionAccount.none)
            guard account.status != MissionAccount.settled else {
                host.log(.warning, "mission already settled; completion ignored",
                         ["user_id": wallet.userId, "mission_id": payload.missionId, "event_id": source.eventId])
                return
            }
            if account.status == MissionAccount.none {
                host.log(.warning, "mission completed without a recorded start; nothing was charged",
                         ["user_id": wallet.userId, "mission_id": payload.missionId])
            }
            account.status = MissionAccount.settled
            account.completions += 1
            account.settledAt = Timestamp.string(source.at)
            wallet.usage.missionsCompleted += 1
            wallet.usage.missionSeconds += payload.durationSeconds
            let bonus = settings.completionBonusTickets
            if bonus > 0 { wallet.grant(bonus) }
            wallet.missions[payload.missionId] = account
            guard bonus > 0 else { return }
            try followUps.notify("payment.completion-bonus", [
                "missionId": payload.missionId,
                "tickets": String(bonus),
                "balance": String(wallet.balance),
                "owed": String(wallet.owed),
            ], index: 0, after: source)
        }
    }

    /// ⚠️ row: a mission's first passed evaluation earns `pass_reward_tickets`,
    /// its first passed evaluation scoring 100 `perfect_score_bonus_tickets`,
    /// sent as `payment.evaluation-reward`; every evaluation is counted.
    func evaluationCompleted(_ source: Incoming<EvaluationCompleted>) throws(HandlingFailure) {
        let payload = source.payload
        try updateWallet(source) { wallet, _ throws(HandlingFailure) in
            var account = wallet.missions[payload.missionId] ?? MissionAccount(status: MissionAccount.none)
            account.bestScore = max(account.bestScore ?? payload.score, payload.score)
            let perfect = payload.passed && payload.score == 100
            if payload.passed { wallet.usage.evaluationsPassed += 1 } else { wallet.usage.evaluationsFailed += 1 }
            if perfect { wallet.usage.perfectScores += 1 }
            var reward = 0
            if payload.passed && !account.passRewarded {
                reward += settings.passRewardTickets
                account.passRewarded = true
            }
            if perfect && !account.perfectRewarded {
                reward += settings.perfectScoreBonusTickets
                account.perfectRewarded = true
            }
            wallet.missions[payload.missionId] = account
            guard reward > 0 else { return }
            wallet.grant(reward)
            host.log(.info, "evaluation reward", ["user_id": wallet.userId, "mission_id": payload.missionId,
                                                  "score": String(payload.score), "tickets": String(reward)])
            try followUps.notify("payment.evaluation-reward", [
                "missionId": payload.missionId,
                "evaluationId": payload.evaluationId,
                "score": String(payload.score),
                "tickets": String(reward),
                "balance": String(wallet.balance),
                "owed": String(wallet.owed),
            ], index: 0, after: source)
        }
    }
}
