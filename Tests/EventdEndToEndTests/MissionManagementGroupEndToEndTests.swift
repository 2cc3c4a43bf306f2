// The catalog's "mission-management-group" (미션 관리 통합 그룹): the shipped
// mission.toml's switch maps the mission plugin's three per-handler groups
// onto that one integrated group; the daemon then runs every mission handler
// in one consumer group, and the flows work as before.
import Foundation
import Testing

@Suite(.serialized) struct MissionManagementGroupEndToEndTests {
    let run = String(UUID().uuidString.prefix(6)).lowercased()

    /// The shipped mission.toml with its integrated-group switch turned on (the commented lines uncommented).
    static func integrated() throws -> String {
        let shipped = try String(contentsOfFile: "\(Harness.repo)/etc/devtrip-eventd/plugins.d/mission.toml", encoding: .utf8)
        var text = shipped
        for declared in ["mission-service-user-group", "mission-service-evaluation-group", "mission-service-resource-group"] {
            let active = #""\#(declared)" = "\#(declared)""#
            let integrated = #"# "\#(declared)" = "mission-management-group""#
            guard text.contains(active), text.contains(integrated) else {
                throw HarnessError("mission.toml has no '\(active)' or no '\(integrated)' switch")
            }
            text = text.replacingOccurrences(of: active + "\n", with: "")
                .replacingOccurrences(of: integrated, with: String(integrated.dropFirst(2)))
        }
        return text
    }

    @Test func theMissionHandlersRunInTheOneIntegratedGroup() throws {
        let services = try ServiceDaemon("mission-integrated", plugins: ["mission"], pluginFiles: ["mission": try Self.integrated()])
        #expect(try services.groupNames() == ["mission-management-group"])
        let user = "mm-\(run)"
        try services.publish("user.registered", id: "\(run)-reg", user: user, at: at(0), on: ["auth-events"],
                             ["userId": user, "email": "\(user)@example.com", "displayName": "M", "plan": "basic"])
        try services.publish("evaluation.completed", id: "\(run)-eval", user: user, at: at(5), on: ["evaluation.completed"],
                             ["userId": user, "missionId": "intro-1", "evaluationId": "eval-intro-1-\(run)", "score": 90,
                              "passed": true, "feedback": "good"])
        try services.wait("the guide mission and the result") {
            try services.templates(user, from: "mission-service") == ["mission.guide-assigned", "mission.result"]
        }
        try services.quiesce()
        #expect(try services.counter("handled", group: "mission-management-group") == 2)
        let record = try #require(try services.document("mission", "mission/\(user)/intro-1"))
        #expect((record["evaluations"] as? [[String: Any]])?.count == 1)
        // Every mission handler is claimed in the integrated group.
        let plugin = try #require(try services.pluginList().first { $0["name"] as? String == "mission" })
        let claims = (plugin["claims"] as? [[String: Any]] ?? []).map { "\($0["event"] ?? "")@\($0["group"] ?? "")" }.sorted()
        #expect(claims == ["evaluation.completed@mission-management-group", "resource.created@mission-management-group",
                           "user.registered@mission-management-group"])
    }
}
