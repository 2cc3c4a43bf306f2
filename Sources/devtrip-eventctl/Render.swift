// Human output: aligned tables and short sentences, one rendering per report.
import EventdControl
import Foundation

/// A report as the CLI prints it without `--json`.
protocol HumanReadable: Decodable {
    var text: String { get }
}

enum Render {
    /// The answer to `verb` in words; the JSON itself when it is not the report `verb` answers with.
    static func text(answering verb: ControlVerb, _ result: JSONValue) -> String {
        let report: any HumanReadable.Type = switch verb {
        case .status: StatusReport.self
        case .pluginList: PluginListReport.self
        case .pluginReload: PluginReloadReport.self
        case .reload: ReloadReport.self
        case .pluginDisable, .pluginEnable: PluginStateReport.self
        case .consumerPause, .consumerResume: ConsumerReport.self
        case .dlqList: DeadLetterListReport.self
        case .dlqReplay: ReplayReport.self
        case .stats: StatsReport.self
        }
        do {
            return try result.decode(report).text
        } catch {
            return json(result) + "\n"
        }
    }

    /// Pretty-printed JSON with sorted keys.
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func text(_ n: Double) -> String { n == n.rounded() ? String(Int64(n)) : String(n) }
    static func text(_ s: String?) -> String { s ?? "-" }
    static func text(_ list: [String]) -> String { list.joined(separator: ",") }

    /// "ok", or the degraded state: "DEGRADED since <time> (<n> s): <reason>".
    static func kafka(_ degraded: StatusReport.Degradation?) -> String {
        guard let degraded else { return "ok" }
        return "DEGRADED since \(degraded.since) (\(degraded.seconds) s): \(degraded.reason)"
    }
}

extension StatusReport: HumanReadable {
    var text: String {
        var out = """
            version:   \(version)
            pid:       \(pid)
            uptime:    \(uptimeSeconds) s
            brokers:   \(brokers)
            plugins:   \(plugins) loaded, \(refusedPlugins) refused
            reloads:   \(reloads)
            kafka:     \(Render.kafka(degraded))

            """
        let rows = groups.map { g -> [String] in
            let paused = g.pausedTopics.isEmpty && g.disabledPlugins.isEmpty
                ? "-" : Render.text(g.pausedTopics) + (g.disabledPlugins.isEmpty ? "" : " (disabled: \(Render.text(g.disabledPlugins)))")
            return [g.name, paused, "\(g.counters.consumed)", "\(g.counters.handled)", "\(g.counters.skipped)", "\(g.counters.deadLettered)",
                    Render.text(g.topics)]
        }
        out += Render.table(["GROUP", "PAUSED", "CONSUMED", "HANDLED", "SKIPPED", "DEAD", "TOPICS"], rows)
        return out
    }
}

extension PluginListReport: HumanReadable {
    var text: String {
        let rows = plugins.map { p in [p.name, p.version, p.state, p.claims.map { "\($0.event)@\($0.group)" }.joined(separator: ","), p.path] }
        var out = Render.table(["NAME", "VERSION", "STATE", "CLAIMS", "PATH"], rows)
        if !refused.isEmpty {
            out += "\nrefused:\n" + Render.table(["PATH", "REASON"], refused.map { [$0.path, $0.reason] })
        }
        return out
    }
}

extension PluginReloadReport: HumanReadable {
    var text: String {
        "\(name): \(oldVersion) -> \(newVersion) live (stall \(Render.text(stallMs)) ms, reload \(Render.text(reloadMs)) ms)\n"
    }
}

extension ReloadReport: HumanReadable {
    var text: String {
        var out = ""
        for item in reloaded { out += "reloaded \(item.name): \(item.oldVersion) -> \(item.newVersion)\n" }
        for item in loaded { out += "loaded \(item.name) \(item.version)\n" }
        for name in unloaded { out += "unloaded \(name)\n" }
        for item in refused { out += "refused \(item.path): \(item.reason)\n" }
        out += "unchanged: \(unchanged)\n"
        if !restartRequired.isEmpty { out += "restart required for: \(Render.text(restartRequired))\n" }
        return out
    }
}

extension PluginStateReport: HumanReadable {
    var text: String { "\(name) \(state) (consumer groups: \(Render.text(groups)))\n" }
}

extension ConsumerReport: HumanReadable {
    var text: String { "\(group): " + (pausedTopics.isEmpty ? "running\n" : "paused (\(Render.text(pausedTopics)))\n") }
}

extension DeadLetterListReport: HumanReadable {
    var text: String {
        let rows = records.map { d in
            ["\(d.partition)", "\(d.offset)", Render.text(d.eventId), Render.text(d.outcome), Render.text(d.plugin), Render.text(d.consumerGroup),
             "\(Render.text(d.originalTopic))/\(Render.text(d.originalPartition))/\(Render.text(d.originalOffset))",
             String(Render.text(d.error).prefix(80))]
        }
        return Render.table(["P", "OFFSET", "EVENT-ID", "OUTCOME", "PLUGIN", "GROUP", "FROM", "ERROR"], rows)
    }
}

extension ReplayReport: HumanReadable {
    var text: String {
        var out = "replayed \(replayed.count), failed \(failed.count), skipped \(skipped.count)\n"
        for item in skipped { out += "skipped \(item.eventId) (offset \(item.offset)): \(item.reason)\n" }
        for item in failed { out += "failed \(item.eventId) (offset \(item.offset)): \(item.reason)\n" }
        return out
    }
}

extension StatsReport: HumanReadable {
    var text: String {
        var rows: [[String]] = []
        for g in groups {
            let c = g.counters
            rows.append([g.name, "*", "\(c.consumed)", "\(c.handled)", "\(c.skipped)", "\(c.duplicates)", "\(c.retried)", "\(c.deadLettered)", "-", "-"])
            for p in g.plugins {
                rows.append(["", p.plugin, "", "\(p.handled)", "", "\(p.duplicates)", "\(p.retries)", "\(p.failed)", "\(p.latencyAvgUs)", "\(p.latencyMaxUs)"])
            }
        }
        // DUPLICATES: events whose id the group's ledger already held (a transactional plugin's redelivery), skipped.
        return Render.table(["GROUP", "PLUGIN", "CONSUMED", "HANDLED", "SKIPPED", "DUPLICATES", "RETRIES", "DEAD", "AVG-US", "MAX-US"], rows)
            + "reloads: \(reloads), longest reload stall: \(longestReloadStallMs) ms\n"
    }
}
