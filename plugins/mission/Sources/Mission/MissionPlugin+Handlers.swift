// One handler per consumed event.
import EventdServiceKit
import Foundation

extension MissionPlugin {
    /// Initialises the user's progress, grants `default_missions`, records the
    /// user's data directory, assigns `guide_mission` and sends
    /// `mission.guide-assigned`. A second registration of the same user
    /// changes nothing.
    func userRegistered(_ source: Incoming<UserRegistered>) throws(HandlingFailure) {
        let payload = source.payload
        let now = Timestamp.string(source.at)
        try updateProgress(source) { progress throws(HandlingFailure) in
            guard !progress.registered else {
                host.log(.warning, "user registered again; progress unchanged", ["user_id": payload.userId, "event_id": source.eventId])
                return
            }
            let directoryKey = Self.directoryKey(payload.userId)
            let directory = try documents.load(DataDirectory.self, directoryKey)
                ?? DataDirectory(userId: payload.userId, path: "\(settings.dataRoot)/\(payload.userId)/", createdAt: now)
            let guide = settings.guideMission
            if !guide.isEmpty {
                try followUps.notify("mission.guide-assigned", [
                    "missionId": guide,
                    "displayName": payload.displayName,
                    "access": (progress.access + settings.defaultMissions + [guide]).uniqued().joined(separator: ","),
                    "directory": directory.path,
                ], index: 0, after: source)
            }
            try documents.save(directory, directoryKey)
            if !guide.isEmpty {
                let status = try updateRecord(payload.userId, guide, newStatus: MissionRecord.assigned) { record in
                    record.assignedAt = record.assignedAt ?? now
                }
                progress.guideMission = guide
                if progress.missions[guide] == nil { progress.missions[guide] = status }
            }
            progress.registered = true
            progress.registeredAt = now
            progress.plan = payload.plan
            progress.directory = directory.path
            for mission in settings.defaultMissions + (guide.isEmpty ? [] : [guide]) { progress.grant(mission) }
            host.log(.info, "mission progress initialised", ["user_id": payload.userId, "guide": guide,
                                                             "access": progress.access.joined(separator: ",")])
        }
    }

    /// Stores the result in the mission record, updates passed missions and
    /// the achievement level, recommends (and grants) the next mission — on a
    /// failure the same one again — and sends it all in `mission.result`.
    func evaluationCompleted(_ source: Incoming<EvaluationCompleted>) throws(HandlingFailure) {
        let payload = source.payload
        let now = Timestamp.string(source.at)
        try updateProgress(source) { progress throws(HandlingFailure) in
            try updateRecord(payload.userId, payload.missionId, newStatus: MissionRecord.assigned) { record throws(HandlingFailure) in
                if !record.evaluations.contains(where: { $0.eventId == source.eventId }) {
                    record.evaluations.append(EvaluationResult(eventId: source.eventId, evaluationId: payload.evaluationId,
                                                               score: payload.score, passed: payload.passed,
                                                               feedback: payload.feedback, evaluatedAt: now))
                }
                record.status = payload.passed ? "passed" : "failed"
                record.passed = record.passed || payload.passed
                record.bestScore = max(record.bestScore ?? payload.score, payload.score)

                let previousLevel = progress.level
                if payload.passed && !progress.passed.contains(payload.missionId) { progress.passed.append(payload.missionId) }
                progress.missions[payload.missionId] = record.status
                progress.level = settings.level(passedCount: progress.passed.count)
                let next = settings.recommendation(after: payload.missionId, passed: payload.passed,
                                                   passedMissions: Set(progress.passed))
                progress.recommendation = next.map { Recommendation(missionId: $0.missionId, reason: $0.reason,
                                                                    after: payload.missionId, at: now) }
                if let next { progress.grant(next.missionId) }

                try followUps.notify("mission.result", [
                    "missionId": payload.missionId,
                    "evaluationId": payload.evaluationId,
                    "score": String(payload.score),
                    "passed": String(payload.passed),
                    "feedback": payload.feedback,
                    "attempt": String(record.evaluations.count),
                    "bestScore": String(record.bestScore ?? payload.score),
                    "recommendedMission": next?.missionId ?? "",
                    "recommendation": next?.reason ?? "all-passed",
                    "passedCount": String(progress.passed.count),
                    "level": String(progress.level),
                    "levelUp": String(progress.level > previousLevel),
                ], index: 0, after: source)
            }
            host.log(.info, "evaluation recorded", ["user_id": payload.userId, "mission_id": payload.missionId,
                                                    "passed": String(payload.passed), "level": String(progress.level),
                                                    "recommended": progress.recommendation?.missionId ?? ""])
        }
    }

    /// Activates the mission's environment, enables its websocket, makes the
    /// mission startable and sends `mission.environment-ready`.
    func resourceCreated(_ source: Incoming<ResourceCreated>) throws(HandlingFailure) {
        let payload = source.payload
        let now = Timestamp.string(source.at)
        try updateProgress(source) { progress throws(HandlingFailure) in
            try updateRecord(payload.userId, payload.missionId, newStatus: MissionRecord.startable) { record throws(HandlingFailure) in
                if let old = record.environment, old.resourceId != payload.resourceId, old.active {
                    host.log(.info, "mission environment replaced", ["user_id": payload.userId, "mission_id": payload.missionId,
                                                                     "old_resource_id": old.resourceId,
                                                                     "resource_id": payload.resourceId])
                }
                if !progress.access.contains(payload.missionId) {
                    host.log(.warning, "environment created for a mission the user was not granted",
                             ["user_id": payload.userId, "mission_id": payload.missionId])
                }
                let path = "\(settings.websocketPath)/\(payload.resourceId)"
                record.environment = Environment(resourceId: payload.resourceId, active: true, activatedAt: now)
                record.websocket = Websocket(enabled: true, path: path)
                record.status = MissionRecord.startable
                progress.missions[payload.missionId] = MissionRecord.startable
                try followUps.notify("mission.environment-ready", [
                    "missionId": payload.missionId,
                    "resourceId": payload.resourceId,
                    "websocketPath": path,
                ], index: 0, after: source)
            }
        }
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
