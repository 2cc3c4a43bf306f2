// auth-service-mission-group: mission-events -> session/<userId>[/<missionId>],
// resource events -> restriction/<userId>, certificate/<userId>/<missionId>.
import EventdServiceKit
import Foundation

extension AuthPlugin {
    /// Whether the mission's resources were cleaned up at or after `at`: a
    /// pause or resume that old arrived late (another topic) and must not
    /// bring the deleted session back.
    func cleanedUp(_ userId: String, _ missionId: String, before at: Date) throws -> Bool {
        guard let certificate = try store.load(Certificate.self, Keys.certificate(userId, missionId)) else { return false }
        return at <= certificate.readyAt
    }

    /// mission.paused: lock the mission session and adjust its timeout (a
    /// resume after `long_pause_seconds` needs extra verification); detect
    /// more than `max_pauses_per_hour` pauses in the window and alert the admins.
    func missionPaused(_ incoming: Incoming<MissionSessionEvent>) throws {
        let user = incoming.userId, mission = incoming.payload.missionId, at = incoming.at
        if try cleanedUp(user, mission, before: at) {
            try audit(incoming, .session, [("ignored-after-cleanup", ["missionId": mission])])
            return
        }
        let window = TimeInterval(settings.pauseWindowSeconds)
        var session = try store.load(UserSession.self, Keys.session(user)) ?? UserSession(userId: user, lastActivityAt: at)
        session.recentPauses = session.recentPauses.filter { $0 > at.addingTimeInterval(-window) && $0 <= at }
        appendBounded(&session.recentPauses, at, limit: max(100, settings.maxPausesPerHour + 1))
        session.recentPauses.sort()
        session.totalPauses += 1
        session.lastMissionId = mission
        session.lastActivityAt = max(session.lastActivityAt, at)
        let pauses = session.recentPauses.count
        let suspicious = pauses > settings.maxPausesPerHour
        let alert = suspicious && (session.suspiciousPatternAlertedAt.map { at.timeIntervalSince($0) >= window } ?? true)
        if alert { session.suspiciousPatternAlertedAt = at }
        try store.save(Keys.session(user), session)

        var missionSession = try store.load(MissionSession.self, Keys.missionSession(user, mission)) ?? MissionSession(missionId: mission)
        let alreadyPaused = missionSession.status == MissionSession.paused
        if !alreadyPaused {
            missionSession.status = MissionSession.paused
            missionSession.pausedAt = at
            missionSession.verificationRequiredAfter = at.addingTimeInterval(TimeInterval(settings.longPauseSeconds))
            missionSession.securityLevel = "locked"
            missionSession.pauseCount += 1
            if !missionSession.flags.contains("paused") { missionSession.flags.append("paused") }
        }
        try store.save(Keys.missionSession(user, mission), missionSession)

        let out = followUps(incoming)
        var log: [(action: String, detail: [String: String])] = [
            ("session-paused", ["missionId": mission, "pausesInWindow": String(pauses), "alreadyPaused": String(alreadyPaused)]),
        ]
        if alert {
            let detail = ["missionId": mission, "pausesInWindow": String(pauses), "windowSeconds": String(settings.pauseWindowSeconds),
                          "maxPauses": String(settings.maxPausesPerHour)]
            try alertAdmins(out, incoming, "admin.suspicious-pause-pattern", detail)
            log.append(("suspicious-pause-pattern", detail))
            host.log(.warning, "suspicious mission pause pattern", ["userId": user, "pauses": String(pauses)])
        }
        try audit(incoming, .session, log)
    }

    /// mission.resumed: restore the session; a pause longer than
    /// `long_pause_seconds` requires extra verification (flag + security mail).
    func missionResumed(_ incoming: Incoming<MissionSessionEvent>) throws {
        let user = incoming.userId, mission = incoming.payload.missionId, at = incoming.at
        if try cleanedUp(user, mission, before: at) {
            try audit(incoming, .session, [("ignored-after-cleanup", ["missionId": mission])])
            return
        }
        var missionSession = try store.load(MissionSession.self, Keys.missionSession(user, mission)) ?? MissionSession(missionId: mission)
        var pausedSeconds: Int?
        var longPause = false
        if missionSession.status == MissionSession.paused, let pausedAt = missionSession.pausedAt {
            let seconds = Timestamp.seconds(from: pausedAt, to: at)
            pausedSeconds = seconds
            longPause = seconds > settings.longPauseSeconds
            missionSession.lastPauseSeconds = seconds
            missionSession.longestPauseSeconds = max(missionSession.longestPauseSeconds, seconds)
        }
        missionSession.flags.removeAll { $0 == "paused" }
        missionSession.status = MissionSession.active
        missionSession.pausedAt = nil
        missionSession.verificationRequiredAfter = nil
        missionSession.resumedAt = at
        if longPause {
            missionSession.verificationRequired = true
            if !missionSession.flags.contains("long-pause") { missionSession.flags.append("long-pause") }
        }
        missionSession.securityLevel = missionSession.verificationRequired ? "verification-required" : "standard"
        try store.save(Keys.missionSession(user, mission), missionSession)

        var session = try store.load(UserSession.self, Keys.session(user)) ?? UserSession(userId: user, lastActivityAt: at)
        session.lastMissionId = mission
        session.lastActivityAt = max(session.lastActivityAt, at)
        try store.save(Keys.session(user), session)

        let out = followUps(incoming)
        var detail = ["missionId": mission, "verificationRequired": String(missionSession.verificationRequired),
                      "securityLevel": missionSession.securityLevel]
        if let pausedSeconds { detail["pausedSeconds"] = String(pausedSeconds) }
        var log: [(action: String, detail: [String: String])] = [("session-resumed", detail)]
        if longPause {
            let data = ["missionId": mission, "pausedSeconds": String(pausedSeconds!), "longPauseSeconds": String(settings.longPauseSeconds)]
            try notifyUser(out, incoming, "security.verification-required", data)
            log.append(("verification-required", data))
        }
        try audit(incoming, .session, log)
    }

    /// resource.provisioning.failed: security log, consecutive count, and at
    /// `restrict_after_provisioning_failures` a temporary restriction for
    /// `restriction_seconds` (extended by each further failure) with an admin alert.
    func provisioningFailed(_ incoming: Incoming<ProvisioningFailed>) throws {
        let p = incoming.payload, user = incoming.userId, at = incoming.at
        var restriction = try store.load(Restriction.self, Keys.restriction(user)) ?? Restriction(userId: user)
        restriction.expire(at: at)
        restriction.consecutiveProvisioningFailures += 1
        restriction.totalProvisioningFailures += 1
        restriction.lastProvisioningFailure = ProvisioningFailure(at: at, missionId: p.missionId, resourceId: p.resourceId, reason: p.reason)
        let failures = restriction.consecutiveProvisioningFailures
        let restrict = failures >= settings.restrictAfterProvisioningFailures
        let newly = restrict && restriction.status != Restriction.restricted
        if restrict {
            if newly {
                restriction.status = Restriction.restricted
                restriction.restrictedAt = at
                restriction.restrictions += 1
            }
            restriction.restrictedUntil = at.addingTimeInterval(TimeInterval(settings.restrictionSeconds))
            restriction.restrictionReason = "resource-provisioning-failures"
        }
        try store.save(Keys.restriction(user), restriction)

        let out = followUps(incoming)
        var detail = ["missionId": p.missionId, "reason": p.reason, "consecutiveFailures": String(failures)]
        if let resourceId = p.resourceId { detail["resourceId"] = resourceId }
        var log: [(action: String, detail: [String: String])] = [("provisioning-failure-recorded", detail)]
        if restrict {
            let until = Timestamp.string(restriction.restrictedUntil!)
            if newly {
                try alertAdmins(out, incoming, "admin.account-restricted",
                                ["missionId": p.missionId, "reason": p.reason, "consecutiveFailures": String(failures), "restrictedUntil": until])
                host.log(.warning, "account restricted after consecutive provisioning failures", ["userId": user, "failures": String(failures)])
            }
            log.append((newly ? "account-restricted" : "restriction-extended", ["restrictedUntil": until, "consecutiveFailures": String(failures)]))
        }
        try audit(incoming, .resource, log)
    }

    /// resource.cleanup.completed: remove the mission's temporary permissions
    /// and session flags (its session document), mark the certificate ready,
    /// end the provisioning failure streak, log the verified cleanup.
    func cleanupCompleted(_ incoming: Incoming<CleanupCompleted>) throws {
        let p = incoming.payload, user = incoming.userId, at = incoming.at
        var restriction = try store.load(Restriction.self, Keys.restriction(user)) ?? Restriction(userId: user)
        restriction.expire(at: at)
        let streak = restriction.consecutiveProvisioningFailures
        restriction.consecutiveProvisioningFailures = 0
        restriction.cleanups += 1
        try store.save(Keys.restriction(user), restriction)

        let sessionKey = Keys.missionSession(user, p.missionId)
        let missionSession = try store.load(MissionSession.self, sessionKey)
        var cleared = missionSession?.flags ?? []
        if missionSession?.verificationRequired == true { cleared.append("verification-required") }
        if missionSession != nil { try store.delete(sessionKey) }
        try store.save(Keys.certificate(user, p.missionId),
                       Certificate(missionId: p.missionId, status: "ready", readyAt: at, resourceId: p.resourceId, usageSeconds: p.usageSeconds))

        try audit(incoming, .resource, [
            ("cleanup-verified", ["missionId": p.missionId, "resourceId": p.resourceId, "usageSeconds": String(p.usageSeconds),
                                  "removedPermissions": (missionSession?.temporaryPermissions ?? []).joined(separator: ","),
                                  "clearedFlags": cleared.joined(separator: ","), "endedFailureStreak": String(streak)]),
            ("certificate-ready", ["missionId": p.missionId]),
        ])
    }
}
