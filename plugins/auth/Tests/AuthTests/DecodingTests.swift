import Auth
import EventdPluginTesting
import Foundation
import Testing

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
        f.expectRejected(f.send(name, id: "e-1", at: "2025-03-01 09:00", payload: validPayload(name)),
                       "\(name): field 'occurredAt' must be an RFC 3339 timestamp, got '2025-03-01 09:00'")
    }

    @Test(arguments: handledEvents) func everyHandlerChecksTheSubjectAndUserId(_ name: String) throws {
        try DecodingChecks.subjectAndUserId(name, validPayload(name), unsafeUserId: "u/1") { try Fixture() }
    }

    @Test func aMissingSubjectIsAllowed() throws {
        let f = try Fixture()
        #expect(f.send("evaluation.started", id: "e-1", subject: nil, payload: evaluationStarted()) == .ok)
    }

    @Test func nullIsNotAValue() throws {
        let f = try Fixture()
        var payload = renewalFailed()
        payload["amount"] = NSNull()
        f.expectRejected(f.send("payment.subscription-renewal-failed", id: "e-1", payload: payload),
                       "payment.subscription-renewal-failed: field 'payload.amount' must be an integer, not null")
    }

    @Test func optionalFieldsMustStillHaveTheirType() throws {
        let f = try Fixture()
        f.expectRejected(f.send("payment.subscription-changed", id: "e-1", payload: subscriptionChanged().merging(["refundAmount": "5"]) { $1 }),
                       "payment.subscription-changed: field 'payload.refundAmount' must be an integer")
    }

    @Test func valuesAreChecked() throws {
        let cases: [(String, [String: Any], String)] = [
            ("payment.subscription-renewal-failed", renewalFailed(plan: "gold"), "field 'payload.plan' must be one of basic, pro, premium, got 'gold'"),
            ("payment.subscription-renewal-failed", renewalFailed(amount: -1), "field 'payload.amount' must not be negative, got -1"),
            ("payment.subscription-changed", subscriptionChanged(from: "free"), "field 'payload.fromPlan' must be one of basic, pro, premium, got 'free'"),
            ("payment.subscription-changed", subscriptionChanged(to: "Pro"), "field 'payload.toPlan' must be one of basic, pro, premium, got 'Pro'"),
            ("payment.subscription-changed", subscriptionChanged(refund: -5), "field 'payload.refundAmount' must not be negative, got -5"),
            ("payment.ticket-balance-low", balanceLow(balance: -1), "field 'payload.balance' must not be negative, got -1"),
            ("mission.paused", missionEvent(""), "field 'payload.missionId' must not be empty"),
            ("mission.resumed", missionEvent("m/1"), "field 'payload.missionId' must not contain '/', got 'm/1'"),
            ("resource.cleanup.completed", cleanupCompleted().merging(["usageSeconds": -3]) { $1 }, "field 'payload.usageSeconds' must not be negative, got -3"),
            ("evaluation.failed", evaluationFailed(attempt: -1), "field 'payload.attempt' must not be negative, got -1"),
            ("evaluation.retry.completed", retryCompleted(score: 101), "field 'payload.score' must be between 0 and 100, got 101"),
            ("evaluation.started", evaluationStarted().merging(["evaluationId": ""]) { $1 }, "field 'payload.evaluationId' must not be empty"),
        ]
        for (name, payload, message) in cases {
            let f = try Fixture()
            f.expectRejected(f.send(name, id: "e-1", payload: payload), "\(name): \(message)")
        }
    }

    @Test func envelopeProblems() throws {
        let name = "payment.ticket-balance-low"
        var f = try Fixture()
        f.expectRejected(f.sendRaw(name, id: "e-1", value: Array(#"{"eventType":"x","occurredAt":"2025-03-01T09:00:00Z","payload":{}}"#.utf8)),
                       "\(name): missing field 'eventId'")
        f = try Fixture()
        f.expectRejected(f.sendRaw(name, id: "e-1", value: Array(#"{"eventId":"e-1","eventType":"x","occurredAt":"2025-03-01T09:00:00Z"}"#.utf8)),
                       "\(name): missing field 'payload'")
        f = try Fixture()
        f.expectRejected(f.sendRaw(name, id: "e-1", value: Array(#"{"eventId":"e-1","eventType":"x","payload":{}}"#.utf8)),
                       "\(name): missing field 'occurredAt'")
        f = try Fixture()
        f.expectRejected(f.sendRaw(name, id: "e-1", value: Array("not json".utf8)), "\(name): value is not valid JSON")
        f = try Fixture()
        f.expectRejected(f.sendRaw(name, id: "e-1", value: nil), "\(name): the event has no value")
    }

    @Test func cloudEventsBinaryRecordsAreAccepted() throws {
        let f = try Fixture()
        let value = Array(try JSONSerialization.data(withJSONObject: balanceLow(plan: "pro")))
        let headers = [Header("ce_id", "ce-1"), Header("ce_type", "payment.ticket-balance-low"), Header("ce_time", time(30)),
                       Header("ce_source", "payment-service"), Header("ce_subject", user)]
        #expect(f.sendRaw("payment.ticket-balance-low", id: "ce-1", value: value, headers: headers) == .ok)
        #expect((f.doc("account/u-1")?["sessionFlags"] as? [String: Any])?["ticketBalanceLowAt"] as? String == TestTime(30).written)
        #expect(f.produced.first?.eventId == followUpID("ce-1", 0))

        let g = try Fixture()
        let bad = headers.map { $0.name == "ce_time" ? Header("ce_time", "soon") : $0 }
        g.expectRejected(g.sendRaw("payment.ticket-balance-low", id: "ce-1", value: value, headers: bad),
                       "payment.ticket-balance-low: field 'ce_time' must be an RFC 3339 timestamp, got 'soon'")
    }
}

@Suite struct PluginTests {
    @Test func registersAsATransactionalPluginWithTheReadmeGroups() throws {
        let host = TestHost()
        try host.load(devtripEventdPluginV1())
        host.expectDescriptor(name: "auth", version: AuthPlugin.version)
        #expect(host.claims(separator: " ") == [
            "payment.subscription-renewal-failed auth-service-payment-group",
            "payment.subscription-changed auth-service-payment-group",
            "payment.ticket-balance-low auth-service-payment-group",
            "mission.paused auth-service-mission-group",
            "mission.resumed auth-service-mission-group",
            "resource.provisioning.failed auth-service-mission-group",
            "resource.cleanup.completed auth-service-mission-group",
            "evaluation.started auth-service-evaluation-group",
            "evaluation.failed auth-service-evaluation-group",
            "evaluation.retry.requested auth-service-evaluation-group",
            "evaluation.retry.completed auth-service-evaluation-group",
        ])
    }

    @Test func badSettingsRefuseTheLoad() {
        let cases = [
            (#"{"suspend_after":3}"#, "unknown setting 'suspend_after'"),
            (#"{"suspend_after_failures":"3"}"#, "setting 'suspend_after_failures' must be an integer"),
            (#"{"suspend_after_failures":0}"#, "setting 'suspend_after_failures' must be at least 1, got 0"),
            (#"{"long_pause_seconds":1.5}"#, "setting 'long_pause_seconds' must be an integer"),
            (#"{"notification_topic":""}"#, "setting 'notification_topic' must not be empty"),
            (#"{"permissions_pro":"all"}"#, "setting 'permissions_pro' must be an array of strings"),
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

    @Test func unknownEventsAreRejected() throws {
        let f = try Fixture()
        #expect(f.host.handle(Event(topic: "auth-events", value: Array("{}".utf8), name: "user.login", id: "e-1", consumerGroup: "x"))
                == .reject("auth does not handle event 'user.login'"))
    }

    @Test func aFailedProduceIsARetry() throws {
        let f = try Fixture()
        f.host.failProduce = -3
        #expect(f.send("payment.ticket-balance-low", id: "e-1", payload: balanceLow()) ==
                .retry("payment.ticket-balance-low: host produce failed (code -3)"))
    }

    @Test func aCorruptStoredDocumentIsARejectNamingTheKey() throws {
        let f = try Fixture()
        f.host.state[Array("account/u-1".utf8)] = Array("{oops".utf8)
        guard case .reject(let reason) = f.send("payment.ticket-balance-low", id: "e-1", payload: balanceLow()) else {
            Issue.record("expected a reject")
            return
        }
        #expect(reason.hasPrefix("payment.ticket-balance-low: stored document 'account/u-1' does not decode as Account"))
    }

    @Test func theSameEventHandledAgainProducesTheSameIds() throws {
        // After a rollback the daemon runs the handler again on the same state: same follow-up ids.
        let a = try Fixture(), b = try Fixture()
        a.send("payment.ticket-balance-low", id: "e-7", payload: balanceLow())
        b.send("payment.ticket-balance-low", id: "e-7", payload: balanceLow())
        #expect(a.host.produced.map(\.timeless) == b.host.produced.map(\.timeless))
        #expect(a.produced.map(\.eventId) == [followUpID("e-7", 0), followUpID("e-7", 1)])
    }
}
