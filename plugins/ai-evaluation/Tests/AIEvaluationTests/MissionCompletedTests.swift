// mission.completed: the happy path, each failure kind and the precise rejects.
import AIEvaluation
import EventdPluginTesting
import Foundation
import Testing

@Suite struct RegistrationTests {
    @Test func declaresNameGroupsAndTransactionalFlag() throws {
        let fixture = try Fixture()
        let d = fixture.host.descriptor
        #expect(String(cString: d.name) == "ai-evaluation")
        #expect(String(cString: d.version) == AIEvaluationPlugin.version)
        #expect(d.flags & DTE_PLUGIN_TRANSACTIONAL != 0)
        #expect(d.flags & DTE_PLUGIN_SHARED_CLAIMS == 0)
        let claims = (0..<d.subscription_count).map {
            (String(cString: d.subscriptions[$0].event_name), String(cString: d.subscriptions[$0].consumer_group))
        }
        #expect(claims.map(\.0) == ["mission.completed", "evaluation.retry.requested"])
        #expect(claims.allSatisfy { $0.1 == "ai-evaluation-group" })
    }
}

@Suite struct HappyPathTests {
    @Test func evaluatesAndPublishesStartedCompletedAndNotificationInOrder() throws {
        let f = try Fixture()
        try f.writeResult(tests: [("a", true), ("b", true), ("c", true), ("d", false), ("e", true)], lintWarnings: 2)
        let event = missionCompleted()
        #expect(f.host.handle(event) == .ok)

        let out = try f.produced
        #expect(out.map(\.eventType) == ["evaluation.started", "evaluation.completed", "notification.requested"])
        #expect(out.map(\.topic) == ["evaluation-events", "evaluation.completed", "notification-events"])
        #expect(out.map(\.eventId) == (0..<3).map { event.followUpID($0, plugin: "ai-evaluation") })
        let chain = EventLineage(eventId: "evt-1", correlationId: nil, traceparent: nil)
        for record in out {
            #expect(record.key == "u-1")
            #expect(record.subject == "u-1")
            #expect(record.source == "ai-evaluation-service")
            // It happened when it was produced (the test's event is from 2024), and names its cause and chain.
            #expect(isRecent(record.occurredAt), "\(record.occurredAt)")
            #expect(record.causationId == "evt-1" && record.correlationId == "evt-1")
            #expect(record.traceparent == chain.childTrace(followUpId: record.eventId).description)
        }
        let feedback = "4/5 tests passed. Failed: d. 2 lint warnings (-4). Score 76/100 (pass mark 70). Passed."
        #expect(out[0].payload == ["userId": "u-1", "missionId": "m-1", "evaluationId": .string(evalM1)])
        #expect(out[1].payload == ["userId": "u-1", "missionId": "m-1", "evaluationId": .string(evalM1),
                                   "score": 76, "passed": true, "feedback": .string(feedback)])
        #expect(out[2].payload == ["userId": "u-1", "channel": "email", "template": "evaluation.completed",
                                   "data": ["evaluationId": .string(evalM1), "missionId": "m-1", "score": "76",
                                            "passed": "true", "feedback": .string(feedback)]])

        let record = try #require(try f.state("evaluation/\(evalM1)"))
        #expect(record["status"] == "completed")
        #expect(record["attempts"] == 1)
        #expect(record["score"] == 76)
        #expect(record["passed"] == true)
        #expect(record["feedback"] == .string(feedback))
        #expect(record["resultKey"] == "u-1/m-1.json")
        #expect(record["durationSeconds"] == 600)
        #expect(record["evaluator"] == "test-ratio")
        #expect(record["startedAt"] == .string(producedTime))
        #expect(record["history"] == [["attempt": 1, "eventId": "evt-1", "at": .string(producedTime), "succeeded": true, "score": 76]])

        try f.expectStats(["started": 1, "completed": 1, "passed": 1, "notPassed": 0, "failedAttempts": 0,
                           "scoreTotal": 76, "averageScore": 76, "lastScore": 76, "lastEvaluationId": .string(evalM1)])
    }

    @Test func aScoreUnderThePassMarkIsACompletedEvaluationThatDidNotPass() throws {
        let f = try Fixture()
        try f.writeResult(tests: [("a", true), ("b", false), ("c", false)], lintWarnings: 0)
        #expect(f.host.handle(missionCompleted()) == .ok)
        let completed = try f.produced[1]
        #expect(completed.payload["score"] == 33)
        #expect(completed.payload["passed"] == false)
        #expect(completed.payload["feedback"] == "1/3 tests passed. Failed: b, c. No lint warnings. Score 33/100 (pass mark 70). Not passed.")
        #expect(try f.state("stats/u-1")?["notPassed"] == 1)
    }

    @Test func statisticsAccumulatePerUserAndGlobally() throws {
        let f = try Fixture()
        try f.writeResult("u-1/m-1.json", tests: [("a", true)])
        try f.writeResult("u-1/m-2.json", tests: [("a", true), ("b", false)])
        try f.writeResult("u-2/m-3.json", tests: [("a", false), ("b", false), ("c", true), ("d", true)], lintWarnings: 1)
        #expect(f.host.handle(missionCompleted(id: "e1", missionId: "m-1")) == .ok)
        #expect(f.host.handle(missionCompleted(id: "e2", missionId: "m-2", resultKey: "u-1/m-2.json")) == .ok)
        #expect(f.host.handle(missionCompleted(id: "e3", userId: "u-2", missionId: "m-3", resultKey: "u-2/m-3.json")) == .ok)
        let u1 = try #require(try f.state("stats/u-1"))
        #expect(u1["completed"] == 2)
        #expect(u1["scoreTotal"] == 150)
        #expect(u1["averageScore"] == 75)
        #expect(u1["passed"] == 1)
        let u2 = try #require(try f.state("stats/u-2"))
        #expect(u2["scoreTotal"] == 48)
        let global = try #require(try f.state("global/stats"))
        #expect(global["started"] == 3)
        #expect(global["completed"] == 3)
        #expect(global["scoreTotal"] == 198)
        #expect(global["averageScore"] == 66)
        #expect(global["lastEvaluationId"] == .string(evalID("e3", missionId: "m-3", userId: "u-2")))
    }

    @Test func acceptsTheMissionEventsTopicAndCloudEventsBinaryMode() throws {
        let f = try Fixture()
        try f.writeResult(tests: [("a", true)])
        let payload = #"{"userId":"u-1","missionId":"m-1","resultKey":"u-1/m-1.json","durationSeconds":5}"#
        let event = Event(topic: "mission-events", value: Array(payload.utf8),
                          headers: [Header("ce_id", "ce-1"), Header("ce_type", "mission.completed"),
                                    Header("ce_time", occurredAt), Header("ce_source", "mission-service"),
                                    Header("ce_subject", "u-1")],
                          name: "mission.completed", id: "ce-1", consumerGroup: "ai-evaluation-group")
        #expect(f.host.handle(event) == .ok)
        #expect(try f.produced.map(\.eventType) == ["evaluation.started", "evaluation.completed", "notification.requested"])
        #expect(try f.produced[1].payload["score"] == 100)
    }
}

@Suite struct IdempotencyTests {
    @Test func theSameEventAlwaysYieldsTheSameFollowUps() throws {
        let a = try Fixture(), b = try Fixture()
        for f in [a, b] { try f.writeResult(tests: [("a", true), ("b", false)], lintWarnings: 3) }
        #expect(a.host.handle(missionCompleted()) == .ok)
        #expect(b.host.handle(missionCompleted()) == .ok)
        #expect(a.host.produced.map(\.timeless) == b.host.produced.map(\.timeless))
        #expect(a.host.stateString("evaluation/\(evalM1)") == b.host.stateString("evaluation/\(evalM1)"))
    }

    @Test func differentEventsGetDifferentFollowUpIDs() throws {
        let f = try Fixture()
        try f.writeResult("u-1/m-1.json", tests: [("a", true)])
        try f.writeResult("u-1/m-2.json", tests: [("a", true)])
        #expect(f.host.handle(missionCompleted(id: "e1")) == .ok)
        #expect(f.host.handle(missionCompleted(id: "e2", missionId: "m-2", resultKey: "u-1/m-2.json")) == .ok)
        let ids = try f.produced.map(\.eventId)
        #expect(Set(ids).count == 6)
        #expect(ids.allSatisfy { $0.hasPrefix("fu-") && $0.count == 35 })
    }

    @Test func theSameCompletionHandledAgainIsIgnored() throws {
        let f = try Fixture()
        try f.writeResult(tests: [("a", true)])
        #expect(f.host.handle(missionCompleted(id: "e1")) == .ok)
        let before = f.host.state
        // The same event again (a redelivery the ledger did not catch): its own record exists.
        #expect(f.host.handle(missionCompleted(id: "e1")) == .ok)
        #expect(f.host.produced.count == 3)
        #expect(f.host.state == before)
        #expect(f.host.logs.contains { $0.message.contains("already evaluated") && $0.fields["evaluationId"] == evalID("e1") })
    }

    @Test func aUserCompletingTheSameMissionAgainIsEvaluatedAgain() throws {
        let f = try Fixture()
        try f.writeResult(tests: [("a", true), ("b", false)])
        #expect(f.host.handle(missionCompleted(id: "e1")) == .ok)
        // The redo: a new completion event of the same user and mission, with a better result.
        try f.writeResult(tests: [("a", true), ("b", true)])
        #expect(f.host.handle(missionCompleted(id: "e2")) == .ok)
        let out = try f.produced
        #expect(out.map(\.eventType) == ["evaluation.started", "evaluation.completed", "notification.requested",
                                         "evaluation.started", "evaluation.completed", "notification.requested"])
        #expect(out[1].payload["evaluationId"] == .string(evalID("e1")))
        #expect(out[4].payload["evaluationId"] == .string(evalID("e2")))
        #expect(evalID("e1") != evalID("e2"))
        #expect(out.compactMap { $0.payload["score"] } == [50, 100])
        #expect(try f.state("evaluation/\(evalID("e1"))")?["score"] == 50)
        #expect(try f.state("evaluation/\(evalID("e2"))")?["score"] == 100)
        try f.expectStats(["started": 2, "completed": 2, "scoreTotal": 150, "lastEvaluationId": .string(evalID("e2"))])
    }

    @Test func twoUsersCompletingTheSameMissionAreBothEvaluated() throws {
        let f = try Fixture()
        try f.writeResult("u-1/m-1.json", tests: [("a", true)])
        try f.writeResult("u-2/m-1.json", tests: [("a", false), ("b", true)])
        #expect(f.host.handle(missionCompleted(id: "e1")) == .ok)
        #expect(f.host.handle(missionCompleted(id: "e2", userId: "u-2", resultKey: "u-2/m-1.json")) == .ok)
        let completed = try f.produced.filter { $0.eventType == "evaluation.completed" }
        #expect(completed.map(\.subject) == ["u-1", "u-2"])
        #expect(completed.compactMap { $0.payload["evaluationId"] } == [.string(evalID("e1")), .string(evalID("e2", userId: "u-2"))])
        #expect(completed.compactMap { $0.payload["score"] } == [100, 50])
        #expect(try f.state("evaluation/\(evalID("e2", userId: "u-2"))")?["userId"] == "u-2")
        #expect(try f.state("stats/u-1")?["lastScore"] == 100)
        #expect(try f.state("stats/u-2")?["lastScore"] == 50)
        #expect(try f.state("stats/u-2")?["completed"] == 1)
        #expect(try f.state("global/stats")?["completed"] == 2)
    }

    @Test func theEvaluationIdIsDeterministicAndUniquePerCompletion() {
        #expect(evalID("e1") == evalID("e1"))
        #expect(evalID("e1").hasPrefix("eval-m-1-") && evalID("e1").count == "eval-m-1-".count + 16)
        #expect(Set([evalID("e1"), evalID("e2"), evalID("e1", userId: "u-2"), evalID("e1", missionId: "m-2")]).count == 4)
    }
}

@Suite struct ObjectFailureTests {
    /// The three events of a failed first attempt, checked exactly.
    func expectRetryableFailure(_ f: Fixture, reason: String, sourceID: String = "evt-1") throws {
        let out = try f.produced
        #expect(out.map(\.eventType) == ["evaluation.started", "evaluation.failed", "evaluation.retry.requested"])
        #expect(out.map(\.topic) == ["evaluation-events", "evaluation-events", "evaluation-events"])
        #expect(out[1].payload == ["userId": "u-1", "missionId": "m-1", "evaluationId": .string(evalM1),
                                   "reason": .string(reason), "retryable": true, "attempt": 1])
        #expect(out[2].payload == ["userId": "u-1", "missionId": "m-1", "evaluationId": .string(evalM1),
                                   "attempt": 2, "reason": .string(reason)])
        let record = try #require(try f.state("evaluation/\(evalM1)"))
        #expect(record["status"] == "retrying")
        #expect(record["attempts"] == 1)
        #expect(record["lastReason"] == .string(reason))
        #expect(record["score"] == nil)
        let stats = try #require(try f.state("stats/u-1"))
        #expect(stats["started"] == 1)
        #expect(stats["failedAttempts"] == 1)
        #expect(stats["retriesRequested"] == 1)
        #expect(stats["completed"] == 0)
        #expect(stats["finalFailures"] == 0)
    }

    @Test func aMissingObjectIsARetryableFailure() throws {
        let f = try Fixture()
        #expect(f.host.handle(missionCompleted()) == .ok)
        try expectRetryableFailure(f, reason: "object 'u-1/m-1.json' not found")
    }

    @Test func aMissingStoreRootIsARetryableFailure() throws {
        // Under /proc: a root that cannot be created, even by root.
        let f = try Fixture(settings: ["object_store_root": "/proc/ai-evaluation-test-root"])
        #expect(f.host.logs.contains { $0.message.contains("object store root") })
        #expect(f.host.handle(missionCompleted()) == .ok)
        try expectRetryableFailure(f, reason: "object 'u-1/m-1.json' not found")
    }

    @Test func aMissingStoreRootIsCreatedAtStart() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ai-eval-root-\(UUID().uuidString)/state/mission-results")
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent().deletingLastPathComponent()) }
        let f = try Fixture(settings: ["object_store_root": root.path])
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(f.host.logs.contains { $0.message == "object store root created" && $0.fields["object_store_root"] == root.path })
        try FileManager.default.createDirectory(at: root.appendingPathComponent("u-1"), withIntermediateDirectories: true)
        try Data(#"{"tests":[{"name":"a","passed":true}],"lintWarnings":0}"#.utf8).write(to: root.appendingPathComponent("u-1/m-1.json"))
        #expect(f.host.handle(missionCompleted()) == .ok)
        #expect(try f.produced.map(\.eventType) == ["evaluation.started", "evaluation.completed", "notification.requested"])
    }

    @Test func corruptJSONIsARetryableFailure() throws {
        let f = try Fixture()
        try f.write("u-1/m-1.json", #"{"tests": [ {"name": "a", "passed": tru"#)
        #expect(f.host.handle(missionCompleted()) == .ok)
        try expectRetryableFailure(f, reason: "object 'u-1/m-1.json' is corrupt: it is not valid JSON")
    }

    @Test(arguments: [
        (#"[1, 2]"#, "it is not a JSON object"),
        (#"{"lintWarnings": 0}"#, "missing field 'tests'"),
        (#"{"tests": "all", "lintWarnings": 0}"#, "field 'tests' must be an array"),
        (#"{"tests": [{"name": "a"}], "lintWarnings": 0}"#, "missing field 'tests[0].passed'"),
        (#"{"tests": [{"name": "a", "passed": "yes"}], "lintWarnings": 0}"#, "field 'tests[0].passed' must be a boolean"),
        (#"{"tests": [{"name": "a", "passed": true}]}"#, "missing field 'lintWarnings'"),
        (#"{"tests": [{"name": "a", "passed": true}], "lintWarnings": -1}"#, "field 'lintWarnings' must not be negative"),
        (#"{"tests": [{"name": "", "passed": true}], "lintWarnings": 0}"#, "field 'tests[0].name' must not be empty"),
        (#"{"tests": [], "lintWarnings": 0}"#, "it has no tests"),
    ])
    func aWronglyShapedObjectIsARetryableFailure(object: String, problem: String) throws {
        let f = try Fixture()
        try f.write("u-1/m-1.json", object)
        #expect(f.host.handle(missionCompleted()) == .ok)
        try expectRetryableFailure(f, reason: "object 'u-1/m-1.json' is corrupt: \(problem)")
    }

    @Test func aDirectoryInsteadOfAFileIsARetryableFailure() throws {
        let f = try Fixture()
        try FileManager.default.createDirectory(at: f.root.appendingPathComponent("u-1/m-1.json"), withIntermediateDirectories: true)
        #expect(f.host.handle(missionCompleted()) == .ok)
        try expectRetryableFailure(f, reason: "object 'u-1/m-1.json' cannot be read: not a regular file")
    }

    @Test func anObjectOverTheSizeLimitIsARetryableFailure() throws {
        let f = try Fixture(settings: ["max_object_bytes": 16])
        try f.writeResult(tests: [("a", true)])
        #expect(f.host.handle(missionCompleted()) == .ok)
        let size = try FileManager.default.attributesOfItem(atPath: f.root.appendingPathComponent("u-1/m-1.json").path)[.size] as! Int
        try expectRetryableFailure(f, reason: "object 'u-1/m-1.json' is \(size) bytes, more than the limit of 16")
    }

    @Test(arguments: [
        ("../secret.json", "it has a '..' path segment (path traversal)"),
        ("u-1/../../secret.json", "it has a '..' path segment (path traversal)"),
        ("/etc/passwd", "it is an absolute path"),
        ("./u-1/m-1.json", "it has a '.' path segment"),
        ("u-1//m-1.json", "it has an empty path segment"),
        ("u-1/", "it has an empty path segment"),
        ("u-1\\..\\x", "it contains a backslash"),
        ("u-1/m\n1.json", "it contains a control character"),
    ])
    func aKeyEscapingTheStoreIsRejected(key: String, problem: String) throws {
        let f = try Fixture()
        let outcome = f.host.handle(missionCompleted(resultKey: key))
        #expect(outcome == .reject("mission.completed: field 'payload.resultKey': object key '\(key)' is invalid: \(problem)"))
        #expect(f.host.produced.isEmpty)
        #expect(f.host.state.isEmpty)
    }

    @Test func aSymbolicLinkOutOfTheStoreIsRejected() throws {
        let f = try Fixture()
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("ai-eval-outside-\(UUID().uuidString).json")
        try Data(#"{"tests":[{"name":"a","passed":true}],"lintWarnings":0}"#.utf8).write(to: outside)
        defer { try? FileManager.default.removeItem(at: outside) }
        try FileManager.default.createDirectory(at: f.root.appendingPathComponent("u-1"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: f.root.appendingPathComponent("u-1/m-1.json").path,
                                                   withDestinationPath: outside.path)
        #expect(f.host.handle(missionCompleted()) == .reject("evaluation '\(evalM1)': object key 'u-1/m-1.json' is invalid: it resolves outside the store root"))
        #expect(f.host.produced.isEmpty)
        #expect(f.host.state.isEmpty)
    }

    @Test func aFailedProduceIsRetriedAndWritesNoState() throws {
        let f = try Fixture()
        try f.writeResult(tests: [("a", true)])
        f.host.failProduce = -3
        guard case .retry(let reason) = f.host.handle(missionCompleted()) else { Issue.record("expected retry"); return }
        #expect(reason.hasPrefix("producing evaluation.started to 'evaluation-events' failed"))
        #expect(f.host.state.isEmpty)
    }
}

@Suite struct MalformedEventTests {
    static var valid: [String: Any] { ["userId": "u-1", "missionId": "m-1", "resultKey": "u-1/m-1.json", "durationSeconds": 600] }

    static func with(_ change: (inout [String: Any]) -> Void) -> [String: Any] {
        var payload = valid
        change(&payload)
        return payload
    }

    static var payloadCases: [(String, [String: Any], String)] { [
        ("missing resultKey", with { $0["resultKey"] = nil }, "missing field 'payload.resultKey'"),
        ("missing userId", with { $0["userId"] = nil }, "missing field 'payload.userId'"),
        ("string duration", with { $0["durationSeconds"] = "600" }, "field 'payload.durationSeconds' must be an integer"),
        ("numeric missionId", with { $0["missionId"] = 7 }, "field 'payload.missionId' must be a string"),
        ("null resultKey", with { $0["resultKey"] = NSNull() }, "field 'payload.resultKey' must be a string, not null"),
        ("empty missionId", with { $0["missionId"] = "" }, "field 'payload.missionId' must not be empty"),
        ("empty userId", with { $0["userId"] = "" }, "field 'payload.userId' must not be empty"),
        ("empty resultKey", with { $0["resultKey"] = "" }, "field 'payload.resultKey' must not be empty"),
        ("negative duration", with { $0["durationSeconds"] = -1 }, "field 'payload.durationSeconds' must not be negative, got -1"),
    ] }

    @Test(arguments: 0..<9)
    func malformedPayloadsAreRejectedPrecisely(index: Int) throws {
        let (_, payload, message) = Self.payloadCases[index]
        let f = try Fixture()
        let event = envelopeEvent(name: "mission.completed", topic: "mission.completed", id: "evt-1", payload: payload)
        #expect(f.host.handle(event) == .reject("mission.completed: \(message)"))
        #expect(f.host.produced.isEmpty)
        #expect(f.host.state.isEmpty)
    }

    @Test(arguments: [
        (nil, "the event has no value"),
        ("not json", "value is not valid JSON"),
        (#"{"eventType":"mission.completed","occurredAt":"2024-05-01T10:00:00Z","payload":{}}"#, "missing field 'eventId'"),
        (#"{"eventId":"evt-bad","eventType":"mission.completed","occurredAt":"2024-05-01T10:00:00Z"}"#, "missing field 'payload'"),
        (#"{"eventId":"evt-bad","eventType":"mission.completed","occurredAt":"yesterday","payload":{}}"#,
         "field 'occurredAt' must be an RFC 3339 timestamp, got 'yesterday'"),
    ] as [(String?, String)])
    func malformedEnvelopesAreRejectedPrecisely(value: String?, message: String) throws {
        let f = try Fixture()
        #expect(f.host.handle(rawEvent(value)) == .reject("mission.completed: \(message)"))
        #expect(f.host.produced.isEmpty)
    }

    @Test func aSubjectOtherThanThePayloadUserIsRejected() throws {
        let f = try Fixture()
        let event = envelopeEvent(name: "mission.completed", topic: "mission.completed", id: "evt-1", payload: Self.valid, subject: "u-2")
        #expect(f.host.handle(event) == .reject("mission.completed: subject 'u-2' does not match payload.userId 'u-1'"))
    }

    @Test func anEventWithoutIdIsRejected() throws {
        let f = try Fixture()
        var event = missionCompleted()
        event.id = ""
        #expect(f.host.handle(event) == .reject("mission.completed: the event has no id"))
    }

    @Test func anEventItDoesNotHandleIsRejected() throws {
        let f = try Fixture()
        #expect(f.host.handle(rawEvent("{}", name: "mission.started")) == .reject("ai-evaluation does not handle 'mission.started'"))
    }
}
