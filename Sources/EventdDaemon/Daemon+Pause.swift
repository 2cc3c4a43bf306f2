// Pausing and resuming: plugin-disable, plugin-enable, consumer-pause, consumer-resume.
import EventdControl
import EventdDelivery

extension Daemon {
    /// The group's pause state, read on its polling thread.
    func pauseSnapshot(_ group: GroupConsumer) -> ([String], [String]) { group.pauseState }

    func disabledPluginNames() -> Set<String> {
        Set(groups.flatMap { pauseSnapshot($0).1 })
    }

    func setPlugin(named name: String, enabled: Bool) throws(ControlError) -> PluginStateReport {
        try holdingControlLock { () throws(ControlError) -> PluginStateReport in
            guard let plugin = registry?.plugins.first(where: { $0.name == name }) else {
                throw ControlError(.refused, "no plugin named '\(name)' is loaded (see plugin-list)")
            }
            let groupNames = Set(plugin.claims.map(\.group))
            let affected = groups.filter { groupNames.contains($0.group) }
            for group in affected { group.perform { $0.setPluginEnabled(name, enabled) } }
            logger.notice(enabled ? "plugin enabled" : "plugin disabled; its consumer groups are paused",
                          metadata: ["plugin": "\(name)", "groups": "\(affected.map(\.group).joined(separator: ","))"])
            return PluginStateReport(name: name, state: enabled ? "enabled" : "disabled", groups: affected.map(\.group))
        }
    }

    func setConsumer(group name: String, topic: String?, paused: Bool) throws(ControlError) -> ConsumerReport {
        guard let group = groups.first(where: { $0.group == name }) else {
            throw ControlError(.refused, "no consumer group '\(name)'; groups: \(groups.map(\.group).joined(separator: ", "))")
        }
        if let topic, !group.topics.contains(topic) {
            throw ControlError(.refused, "group '\(name)' does not read topic '\(topic)'; it reads \(group.topics.joined(separator: ", "))")
        }
        group.perform { $0.setPaused(paused, topic: topic) }
        return ConsumerReport(group: name, pausedTopics: pauseSnapshot(group).0)
    }
}
