import EventdPluginTesting
import Foundation
import Testing
import User

/// Malformed input is rejected with a precise message, leaving no state and producing nothing.
@Suite struct DecodingTests {
    @Test(arguments: handledEvents) func everyRequiredFieldIsRequired(_ name: String) throws {
        try DecodingChecks.requiredFields(name, validPayload(name), optional: optionalFields) { try Fixture() }
    }

    @Test(arguments: handledEvents) func everyFieldMustHaveItsType(_ name: String) throws {
        try DecodingChecks.fieldTypes(name, validPayload(name)) { try Fixture() }
    }

    @Test(arguments: handledEvents) func everyHandlerNeedsAnRFC3339Timestamp(_ name: String) throws {
        let f = try Fixture()
        f.expectRejected(f.send(name, id: "e-1", at: "01/03/2025", payload: validPayload(name)),
                       "\(name): field 'occurredAt' must be an RFC 3339 timestamp, got '01/03/2025'")
    }

    @Test(arguments: handledEvents) func everyHandlerChecksTheSubjectAndUserId(_ name: String) throws {
        try DecodingChecks.subjectAndUserId(name, validPayload(name), unsafeUserId: "../u") { try Fixture() }
    }

    @Test func nullIsNotAValue() throws {
        let f = try Fixture()
        var payload = evaluationCompleted()
        payload["score"] = NSNull()
        f.expectRejected(f.send("evaluation.completed", id: "e-1", payload: payload),
                       "evaluation.completed: field 'payload.score' must be an integer, not null")
        // Foundation reports a null Bool as a type mismatch.
        let g = try Fixture()
        payload = evaluationCompleted()
        payload["passed"] = NSNull()
        g.expectRejected(g.send("evaluation.completed", id: "e-1", payload: payload),
                       "evaluation.completed: field 'payload.passed' must be a boolean")
    }

    @Test func optionalFieldsMustStillHaveTheirType() throws {
        let f = try Fixture()
        f.expectRejected(f.send("payment.subscription-changed", id: "e-1", payload: subscriptionChanged().merging(["refundAmount": true]) { $1 }),
                       "payment.subscription-changed: field 'payload.refundAmount' must be an integer")
    }

    @Test func valuesAreChecked() throws {
        let cases: [(String, [String: Any], String)] = [
            ("user.registered", registered(plan: "free"), "field 'payload.plan' must be one of basic, pro, premium, got 'free'"),
            ("user.registered", registered().merging(["email": ""]) { $1 }, "field 'payload.email' must not be empty"),
            ("payment.subscription-renewal-failed", renewalFailed(amount: -100), "field 'payload.amount' must not be negative, got -100"),
            ("payment.subscription-renewal-failed", renewalFailed().merging(["subscriptionId": ""]) { $1 }, "field 'payload.subscriptionId' must not be empty"),
            ("payment.subscription-changed", subscriptionChanged(to: "enterprise"), "field 'payload.toPlan' must be one of basic, pro, premium, got 'enterprise'"),
            ("payment.ticket-balance-low", balanceLow(threshold: -1), "field 'payload.threshold' must not be negative, got -1"),
            ("payment.ticket-balance-low", balanceLow(plan: "BASIC"), "field 'payload.plan' must be one of basic, pro, premium, got 'BASIC'"),
            ("mission.completed", missionCompleted(duration: -1), "field 'payload.durationSeconds' must not be negative, got -1"),
            ("mission.completed", missionCompleted(""), "field 'payload.missionId' must not be empty"),
            ("evaluation.completed", evaluationCompleted(score: -1), "field 'payload.score' must be between 0 and 100, got -1"),
            ("evaluation.completed", evaluationCompleted(score: 101), "field 'payload.score' must be between 0 and 100, got 101"),
        ]
        for (name, payload, message) in cases {
            let f = try Fixture()
            f.expectRejected(f.send(name, id: "e-1", payload: payload), "\(name): \(message)")
        }
    }

    @Test func envelopeProblems() throws {
        let name = "mission.completed"
        var f = try Fixture()
        f.expectRejected(f.sendRaw(name, id: "e-1", value: Array(#"{"eventId":"","eventType":"x","occurredAt":"2025-03-01T09:00:00Z","payload":{}}"#.utf8)),
                       "\(name): field 'eventId' must not be empty")
        f = try Fixture()
        f.expectRejected(f.sendRaw(name, id: "e-1", value: Array(#"{"eventId":"e-1","eventType":"x","occurredAt":1740819600,"payload":{}}"#.utf8)),
                       "\(name): field 'occurredAt' must be a string")
        f = try Fixture()
        f.expectRejected(f.sendRaw(name, id: "e-1", value: Array(#"{"eventId":"e-1","occurredAt":"2025-03-01T09:00:00Z","payload":{}}"#.utf8)),
                       "\(name): missing field 'eventType'")
        f = try Fixture()
        f.expectRejected(f.sendRaw(name, id: "e-1", value: Array("{".utf8)), "\(name): value is not valid JSON")
        f = try Fixture()
        f.expectRejected(f.sendRaw(name, id: "e-1", value: []), "\(name): the event has no value")
    }

    @Test func cloudEventsBinaryRecordsAreAccepted() throws {
        let f = try Fixture()
        let value = Array(try JSONSerialization.data(withJSONObject: missionCompleted()))
        let headers = [Header("ce_id", "ce-1"), Header("ce_type", "mission.completed"), Header("ce_time", time(0)),
                       Header("ce_source", "mission-service"), Header("ce_subject", user)]
        #expect(f.sendRaw("mission.completed", id: "ce-1", value: value, headers: headers) == .ok)
        #expect(f.doc("activity/u-1")?["missionsCompleted"] as? Int == 1)
        #expect(f.produced.first?.eventId == followUpID("ce-1", 0))

        let g = try Fixture()
        g.expectRejected(g.sendRaw("mission.completed", id: "ce-1", value: value, headers: headers.filter { $0.name != "ce_id" }),
                       "mission.completed: CloudEvents record without ce_id")
    }
}

@Suite struct PluginTests {
    @Test func registersAsATransactionalPluginWithTheReadmeGroups() throws {
        let host = TestHost()
        try host.load(devtripEventdPluginV1())
        host.expectDescriptor(name: "user", version: UserPlugin.version)
        #expect(host.claims(separator: " ") == [
            "user.registered user-service-auth-group",
            "payment.subscription-renewal-failed user-service-payment-group",
            "payment.subscription-changed user-service-payment-group",
            "payment.ticket-balance-low user-service-payment-group",
            "mission.completed user-service-mission-group",
            "evaluation.completed user-service-evaluation-group",
        ])
    }

    @Test func badSettingsRefuseTheLoad() {
        let cases = [
            (#"{"restrict_after":3}"#, "unknown setting 'restrict_after'"),
            (#"{"restrict_after_failures":true}"#, "setting 'restrict_after_failures' must be an integer"),
            (#"{"restrict_after_failures":0}"#, "setting 'restrict_after_failures' must be at least 1, got 0"),
            (#"{"user_topic":""}"#, "setting 'user_topic' must not be empty"),
            (#"{"default_plan":"gold"}"#, "setting 'default_plan' must be one of basic, pro, premium, got 'gold'"),
            (#"{"streak_utc_offset_minutes":900}"#, "setting 'streak_utc_offset_minutes' must be at most 840, got 900"),
            (#"{"mission_milestones":[1,"10"]}"#, "setting 'mission_milestones' must be an array of integers"),
            (#"{"pass_milestones":[0]}"#, "setting 'pass_milestones' must hold integers of at least 1, got 0"),
            (#"{"system_permissions":"all"}"#, "setting 'system_permissions' must be an array of strings"),
        ]
        for (settings, message) in cases {
            do {
                try TestHost().load(devtripEventdPluginV1(), settings: settings)
                Issue.record("\(settings) loaded")
            } catch {
                #expect("\(error)".hasPrefix(message), "\(error)")
            }
        }
    }

    @Test func theDefaultsAndTheExtremesLoad() throws {
        try TestHost().load(devtripEventdPluginV1(), settings: "{}")
        try TestHost().load(devtripEventdPluginV1(), settings: #"{"restrict_after_failures":1,"streak_utc_offset_minutes":-720,"mission_milestones":[]}"#)
    }

    @Test func unknownEventsAreRejected() throws {
        let f = try Fixture()
        #expect(f.host.handle(Event(topic: "auth-events", value: Array("{}".utf8), name: "user.logout", id: "e-1", consumerGroup: "x"))
                == .reject("user does not handle event 'user.logout'"))
    }

    @Test func aFailedProduceIsARetry() throws {
        let f = try Fixture()
        f.host.failProduce = -2
        #expect(f.send("user.registered", id: "e-1", payload: registered()) == .retry("user.registered: host produce failed (code -2)"))
    }

    @Test func aCorruptStoredDocumentIsARejectNamingTheKey() throws {
        let f = try Fixture()
        f.host.state[Array("billing/u-1".utf8)] = Array(#"{"userId":"u-1"}"#.utf8)
        guard case .reject(let reason) = f.send("payment.ticket-balance-low", id: "e-1", payload: balanceLow()) else {
            Issue.record("expected a reject")
            return
        }
        #expect(reason.hasPrefix("payment.ticket-balance-low: stored document 'billing/u-1' does not decode as Billing"))
    }

    @Test func theSameEventHandledAgainProducesTheSameIds() throws {
        let a = try Fixture(), b = try Fixture()
        a.send("payment.subscription-changed", id: "e-7", payload: subscriptionChanged())
        b.send("payment.subscription-changed", id: "e-7", payload: subscriptionChanged())
        #expect(a.host.produced.map(\.timeless) == b.host.produced.map(\.timeless))
        #expect(a.produced.map(\.eventId) == [followUpID("e-7", 0), followUpID("e-7", 1), followUpID("e-7", 2)])
    }
}
