import Auth
import EventdPluginTesting
import Testing

@Suite struct MissionPausedTests {
    @Test func pauseLocksTheMissionSessionAndAdjustsItsTimeout() throws {
        let f = try Fixture()
        #expect(f.send("mission.paused", id: "e-1", at: time(100), payload: missionEvent()) == .ok)
        let mission = try #require(f.doc("session/u-1/m-1"))
        #expect(mission["missionId"] as? String == "m-1")
        #expect(mission["status"] as? String == "paused")
        #expect(mission["securityLevel"] as? String == "locked")
        #expect(mission["pausedAt"] as? String == TestTime(100).written)
        #expect(mission["verificationRequiredAfter"] as? String == TestTime(1900).written)
        #expect(mission["pauseCount"] as? Int == 1)
        #expect(mission["flags"] as? [String] == ["paused"])
        #expect(mission["temporaryPermissions"] as? [String] == ["mission:m-1:session"])
        #expect(mission["verificationRequired"] as? Bool == false)

        let session = try #require(f.doc("session/u-1"))
        #expect(session["recentPauses"] as? [String] == [TestTime(100).written])
        #expect(session["totalPauses"] as? Int == 1)
        #expect(session["lastMissionId"] as? String == "m-1")
        #expect(session["lastActivityAt"] as? String == TestTime(100).written)
        #expect(f.produced.isEmpty)
        #expect(f.auditActions("session") == ["session-paused"])
        #expect(f.auditEntries("session")[0]["detail"] as? [String: String] == ["missionId": "m-1", "pausesInWindow": "1", "alreadyPaused": "false"])
    }

    @Test func pausingAPausedMissionKeepsTheFirstPauseTime() throws {
        let f = try Fixture()
        f.send("mission.paused", id: "e-1", at: time(0), payload: missionEvent())
        f.send("mission.paused", id: "e-2", at: time(50), payload: missionEvent())
        let mission = try #require(f.doc("session/u-1/m-1"))
        #expect(mission["pausedAt"] as? String == TestTime(0).written)
        #expect(mission["pauseCount"] as? Int == 1)
        #expect(f.doc("session/u-1")?["totalPauses"] as? Int == 2)
        #expect((f.auditEntries("session").last?["detail"] as? [String: String])?["alreadyPaused"] == "true")
    }

    @Test func morePausesThanAllowedWithinAnHourAlertTheAdminsOnce() throws {
        let f = try Fixture()
        // Five pauses (and resumes) within the hour: allowed.
        for i in 0..<5 {
            f.send("mission.paused", id: "p-\(i)", at: time(i * 600), payload: missionEvent())
            f.send("mission.resumed", id: "r-\(i)", at: time(i * 600 + 60), payload: missionEvent())
        }
        #expect(f.produced.isEmpty)
        // The sixth within the hour is suspicious.
        #expect(f.send("mission.paused", id: "p-5", at: time(3000), payload: missionEvent()) == .ok)
        #expect(f.produced.count == 1)
        expected.notification(f.produced[0], source: "p-5", index: 0, at: TestTime(3000), template: "admin.suspicious-pause-pattern",
                           data: ["missionId": "m-1", "pausesInWindow": "6", "windowSeconds": "3600", "maxPauses": "5", "recipient": "security-admins"])
        #expect(f.doc("session/u-1")?["suspiciousPatternAlertedAt"] as? String == TestTime(3000).written)
        #expect(f.auditActions("session").suffix(2) == ["session-paused", "suspicious-pause-pattern"])
        // A seventh in the same window is not alerted again.
        f.send("mission.resumed", id: "r-5", at: time(3010), payload: missionEvent())
        f.send("mission.paused", id: "p-6", at: time(3020), payload: missionEvent())
        #expect(f.produced.count == 1)
    }

    @Test func pausesOutsideTheWindowDoNotCount() throws {
        let f = try Fixture(settings: #"{"max_pauses_per_hour":2,"admin_recipient":"ops"}"#)
        for i in 0..<6 {
            f.send("mission.paused", id: "p-\(i)", at: time(i * 1900), payload: missionEvent("m-\(i)"))
        }
        #expect(f.produced.isEmpty)
        #expect(f.doc("session/u-1")?["recentPauses"] as? [String] == [TestTime(7600).written, TestTime(9500).written])
        // Three within the hour, with the configured limit of two: alert, to the configured recipient.
        f.send("mission.paused", id: "p-6", at: time(9600), payload: missionEvent("m-6"))
        #expect(f.produced.map(\.template) == ["admin.suspicious-pause-pattern"])
        #expect(f.produced[0].data["recipient"] == "ops")
        #expect(f.produced[0].data["pausesInWindow"] == "3")
    }
}

@Suite struct MissionResumedTests {
    @Test func shortPauseRestoresTheSessionWithoutVerification() throws {
        let f = try Fixture()
        f.send("mission.paused", id: "e-1", at: time(0), payload: missionEvent())
        #expect(f.send("mission.resumed", id: "e-2", at: time(1800), payload: missionEvent()) == .ok)
        let mission = try #require(f.doc("session/u-1/m-1"))
        #expect(mission["status"] as? String == "active")
        #expect(mission["securityLevel"] as? String == "standard")
        #expect(mission["pausedAt"] == nil)
        #expect(mission["verificationRequiredAfter"] == nil)
        #expect(mission["resumedAt"] as? String == TestTime(1800).written)
        #expect(mission["lastPauseSeconds"] as? Int == 1800)
        #expect(mission["longestPauseSeconds"] as? Int == 1800)
        #expect(mission["verificationRequired"] as? Bool == false)
        #expect(mission["flags"] as? [String] == [])
        #expect(f.produced.isEmpty)
        #expect(f.auditActions("session") == ["session-paused", "session-resumed"])
        #expect(f.auditEntries("session")[1]["detail"] as? [String: String] ==
                ["missionId": "m-1", "pausedSeconds": "1800", "verificationRequired": "false", "securityLevel": "standard"])
        #expect(f.doc("session/u-1")?["lastActivityAt"] as? String == TestTime(1800).written)
    }

    @Test func longPauseRequiresExtraVerification() throws {
        let f = try Fixture()
        f.send("mission.paused", id: "e-1", at: time(0), payload: missionEvent())
        #expect(f.send("mission.resumed", id: "e-2", at: time(1801), payload: missionEvent()) == .ok)
        let mission = try #require(f.doc("session/u-1/m-1"))
        #expect(mission["verificationRequired"] as? Bool == true)
        #expect(mission["securityLevel"] as? String == "verification-required")
        #expect(mission["flags"] as? [String] == ["long-pause"])
        #expect(f.produced.count == 1)
        expected.notification(f.produced[0], source: "e-2", index: 0, at: TestTime(1801), template: "security.verification-required",
                           data: ["missionId": "m-1", "pausedSeconds": "1801", "longPauseSeconds": "1800"])
        #expect(f.auditActions("session") == ["session-paused", "session-resumed", "verification-required"])

        // Verification stays required after a later short pause.
        f.send("mission.paused", id: "e-3", at: time(2000), payload: missionEvent())
        f.send("mission.resumed", id: "e-4", at: time(2010), payload: missionEvent())
        #expect(f.doc("session/u-1/m-1")?["securityLevel"] as? String == "verification-required")
        #expect(f.produced.count == 1)
    }

    @Test func longPauseThresholdComesFromSettings() throws {
        let f = try Fixture(settings: #"{"long_pause_seconds":60}"#)
        f.send("mission.paused", id: "e-1", at: time(0), payload: missionEvent())
        #expect(f.doc("session/u-1/m-1")?["verificationRequiredAfter"] as? String == TestTime(60).written)
        f.send("mission.resumed", id: "e-2", at: time(61), payload: missionEvent())
        #expect(f.produced.map(\.template) == ["security.verification-required"])
    }

    @Test func resumeWithoutAPauseStartsAnActiveSession() throws {
        let f = try Fixture()
        #expect(f.send("mission.resumed", id: "e-1", at: time(0), payload: missionEvent("m-2")) == .ok)
        let mission = try #require(f.doc("session/u-1/m-2"))
        #expect(mission["status"] as? String == "active")
        #expect(mission["lastPauseSeconds"] == nil)
        #expect(f.produced.isEmpty)
        #expect(f.auditEntries("session")[0]["detail"] as? [String: String] ==
                ["missionId": "m-2", "verificationRequired": "false", "securityLevel": "standard"])
    }
}

@Suite struct ProvisioningFailedTests {
    let name = "resource.provisioning.failed"

    @Test func consecutiveFailuresRestrictTheAccountTemporarily() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(0), payload: provisioningFailed())
        f.send(name, id: "e-2", at: time(10), payload: provisioningFailed(resource: nil))
        var restriction = try #require(f.doc("restriction/u-1"))
        #expect(restriction["status"] as? String == "active")
        #expect(restriction["consecutiveProvisioningFailures"] as? Int == 2)
        #expect((restriction["lastProvisioningFailure"] as? [String: Any])?["resourceId"] == nil)
        #expect(f.produced.isEmpty)

        #expect(f.send(name, id: "e-3", at: time(20), payload: provisioningFailed()) == .ok)
        restriction = try #require(f.doc("restriction/u-1"))
        #expect(restriction["status"] as? String == "restricted")
        #expect(restriction["restrictedAt"] as? String == TestTime(20).written)
        #expect(restriction["restrictedUntil"] as? String == TestTime(3620).written)
        #expect(restriction["restrictionReason"] as? String == "resource-provisioning-failures")
        #expect(restriction["restrictions"] as? Int == 1)
        #expect(restriction["totalProvisioningFailures"] as? Int == 3)
        #expect(f.produced.count == 1)
        expected.notification(f.produced[0], source: "e-3", index: 0, at: TestTime(20), template: "admin.account-restricted",
                           data: ["missionId": "m-1", "reason": "quota exceeded", "consecutiveFailures": "3",
                                  "restrictedUntil": TestTime(3620).written, "recipient": "security-admins"])
        #expect(f.auditActions("resource") == ["provisioning-failure-recorded", "provisioning-failure-recorded",
                                               "provisioning-failure-recorded", "account-restricted"])
        #expect(f.auditEntries("resource")[0]["detail"] as? [String: String] ==
                ["missionId": "m-1", "resourceId": "r-1", "reason": "quota exceeded", "consecutiveFailures": "1"])

        // A further failure while restricted extends it without a second alert.
        f.send(name, id: "e-4", at: time(100), payload: provisioningFailed())
        #expect(f.doc("restriction/u-1")?["restrictedUntil"] as? String == TestTime(3700).written)
        #expect(f.doc("restriction/u-1")?["restrictedAt"] as? String == TestTime(20).written)
        #expect(f.produced.count == 1)
        #expect(f.auditActions("resource").last == "restriction-extended")

        // After it expired, the still unbroken streak restricts (and alerts) again.
        f.send(name, id: "e-5", at: time(4000), payload: provisioningFailed())
        restriction = try #require(f.doc("restriction/u-1"))
        #expect(restriction["restrictedAt"] as? String == TestTime(4000).written)
        #expect(restriction["restrictions"] as? Int == 2)
        #expect(f.produced.count == 2)
    }

    @Test func thresholdAndDurationComeFromSettings() throws {
        let f = try Fixture(settings: #"{"restrict_after_provisioning_failures":1,"restriction_seconds":60}"#)
        f.send(name, id: "e-1", at: time(0), payload: provisioningFailed())
        #expect(f.doc("restriction/u-1")?["restrictedUntil"] as? String == TestTime(60).written)
        #expect(f.produced.map(\.template) == ["admin.account-restricted"])
    }

    @Test func theCatalogSpellingOnMissionEventsIsTheSameHandler() throws {
        // The daemon resolves mission.resource-provisioning-failed to the canonical name.
        let f = try Fixture()
        #expect(f.host.handle(Event(topic: "mission-events", value: envelopeJSON(id: "e-1", type: "mission.resource-provisioning-failed",
                                                                             at: time(0), subject: user, payload: provisioningFailed()),
                                    name: name, id: "e-1", consumerGroup: AuthPlugin.missionGroup)) == .ok)
        #expect(f.doc("restriction/u-1")?["consecutiveProvisioningFailures"] as? Int == 1)
    }
}

@Suite struct CleanupCompletedTests {
    let name = "resource.cleanup.completed"

    @Test func cleanupRemovesTheMissionSessionMarksTheCertificateAndEndsTheStreak() throws {
        let f = try Fixture()
        f.send("mission.paused", id: "e-1", at: time(0), payload: missionEvent())
        f.send("mission.resumed", id: "e-2", at: time(4000), payload: missionEvent())
        f.send("resource.provisioning.failed", id: "e-3", at: time(4100), payload: provisioningFailed("m-2"))
        #expect(f.doc("session/u-1/m-1") != nil)
        f.clearProduced()

        #expect(f.send(name, id: "e-4", at: time(5000), payload: cleanupCompleted()) == .ok)
        #expect(f.doc("session/u-1/m-1") == nil)
        let certificate = try #require(f.doc("certificate/u-1/m-1"))
        #expect(certificate["status"] as? String == "ready")
        #expect(certificate["readyAt"] as? String == TestTime(5000).written)
        #expect(certificate["resourceId"] as? String == "r-1")
        #expect(certificate["usageSeconds"] as? Int == 1200)
        let restriction = try #require(f.doc("restriction/u-1"))
        #expect(restriction["consecutiveProvisioningFailures"] as? Int == 0)
        #expect(restriction["totalProvisioningFailures"] as? Int == 1)
        #expect(restriction["cleanups"] as? Int == 1)
        #expect(f.produced.isEmpty)
        #expect(f.auditActions("resource").suffix(2) == ["cleanup-verified", "certificate-ready"])
        #expect(f.auditEntries("resource").suffix(2).first?["detail"] as? [String: String] ==
                ["missionId": "m-1", "resourceId": "r-1", "usageSeconds": "1200", "removedPermissions": "mission:m-1:session",
                 "clearedFlags": "long-pause,verification-required", "endedFailureStreak": "1"])
        // The user-level session stays.
        #expect(f.doc("session/u-1") != nil)
    }

    @Test func cleanupOfAMissionWithoutSessionStillMarksTheCertificate() throws {
        let f = try Fixture()
        #expect(f.send(name, id: "e-1", at: time(0), payload: cleanupCompleted("m-9")) == .ok)
        #expect(f.doc("certificate/u-1/m-9")?["status"] as? String == "ready")
        #expect((f.auditEntries("resource").first?["detail"] as? [String: String])?["removedPermissions"] == "")
    }

    @Test func aLatePauseFromBeforeTheCleanupDoesNotResurrectTheSession() throws {
        let f = try Fixture()
        f.send(name, id: "e-1", at: time(100), payload: cleanupCompleted())
        #expect(f.send("mission.paused", id: "e-2", at: time(50), payload: missionEvent()) == .ok)
        #expect(f.send("mission.resumed", id: "e-3", at: time(60), payload: missionEvent()) == .ok)
        #expect(f.doc("session/u-1/m-1") == nil)
        #expect(f.doc("session/u-1") == nil)
        #expect(f.auditActions("session") == ["ignored-after-cleanup", "ignored-after-cleanup"])
    }
}
