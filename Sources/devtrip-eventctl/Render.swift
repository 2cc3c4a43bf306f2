// Human output: aligned tables and short sentences.
import EventdControl

enum Render {
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

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s): s
        case .number(let n): n == n.rounded() ? String(Int64(n)) : String(n)
        case .bool(let b): b ? "yes" : "no"
        case .array(let a): a.map { text($0) }.joined(separator: ",")
        case .null, nil: "-"
        case .object: "…"
        }
    }

    static func status(_ r: JSONValue) -> String {
        var out = """
            version:   \(text(r["version"]))
            pid:       \(text(r["pid"]))
            uptime:    \(text(r["uptime_seconds"])) s
            brokers:   \(text(r["brokers"]))
            plugins:   \(text(r["plugins"])) loaded, \(text(r["refused_plugins"])) refused
            reloads:   \(text(r["reloads"]))
            kafka:     \(kafka(r["degraded"]))

            """
        let rows = (r["groups"]?.array ?? []).map { g -> [String] in
            let paused = (g["paused_topics"]?.array ?? []).isEmpty && (g["disabled_plugins"]?.array ?? []).isEmpty
                ? "-" : text(g["paused_topics"]) + ((g["disabled_plugins"]?.array ?? []).isEmpty ? "" : " (disabled: \(text(g["disabled_plugins"])))")
            return [text(g["name"]), paused, text(g["counters"]?["consumed"]), text(g["counters"]?["handled"]),
                    text(g["counters"]?["skipped"]), text(g["counters"]?["dead_lettered"]), text(g["topics"])]
        }
        out += table(["GROUP", "PAUSED", "CONSUMED", "HANDLED", "SKIPPED", "DEAD", "TOPICS"], rows)
        return out
    }

    /// "ok", or the degraded state: "DEGRADED since <time> (<n> s): <reason>".
    static func kafka(_ degraded: JSONValue?) -> String {
        guard let degraded, degraded.object != nil else { return "ok" }
        return "DEGRADED since \(text(degraded["since"])) (\(text(degraded["seconds"])) s): \(text(degraded["reason"]))"
    }

    static func pluginList(_ r: JSONValue) -> String {
        let rows = (r["plugins"]?.array ?? []).map { p -> [String] in
            let claims = (p["claims"]?.array ?? []).map { "\(text($0["event"]))@\(text($0["group"]))" }.joined(separator: ",")
            return [text(p["name"]), text(p["version"]), text(p["state"]), claims, text(p["path"])]
        }
        var out = table(["NAME", "VERSION", "STATE", "CLAIMS", "PATH"], rows)
        let refused = r["refused"]?.array ?? []
        if !refused.isEmpty {
            out += "\nrefused:\n" + table(["PATH", "REASON"], refused.map { [text($0["path"]), text($0["reason"])] })
        }
        return out
    }

    static func pluginReload(_ r: JSONValue) -> String {
        "\(text(r["name"])): \(text(r["old_version"])) -> \(text(r["new_version"])) live (stall \(text(r["stall_ms"])) ms, reload \(text(r["reload_ms"])) ms)\n"
    }

    static func reload(_ r: JSONValue) -> String {
        var out = ""
        for item in r["reloaded"]?.array ?? [] { out += "reloaded \(text(item["name"])): \(text(item["old_version"])) -> \(text(item["new_version"]))\n" }
        for item in r["loaded"]?.array ?? [] { out += "loaded \(text(item["name"])) \(text(item["version"]))\n" }
        for item in r["unloaded"]?.array ?? [] { out += "unloaded \(text(item))\n" }
        for item in r["refused"]?.array ?? [] { out += "refused \(text(item["path"])): \(text(item["reason"]))\n" }
        out += "unchanged: \(text(r["unchanged"]))\n"
        if let restart = r["restart_required"]?.array, !restart.isEmpty { out += "restart required for: \(text(.array(restart)))\n" }
        return out
    }

    static func pluginState(_ r: JSONValue) -> String {
        "\(text(r["name"])) \(text(r["state"])) (consumer groups: \(text(r["groups"])))\n"
    }

    static func consumer(_ r: JSONValue) -> String {
        let paused = r["paused_topics"]?.array ?? []
        return "\(text(r["group"])): " + (paused.isEmpty ? "running\n" : "paused (\(text(.array(paused))))\n")
    }

    static func dlqList(_ r: JSONValue) -> String {
        let rows = (r["records"]?.array ?? []).map { d -> [String] in
            [text(d["partition"]), text(d["offset"]), text(d["event_id"]), text(d["outcome"]), text(d["plugin"]),
             text(d["consumer_group"]), "\(text(d["original_topic"]))/\(text(d["original_partition"]))/\(text(d["original_offset"]))",
             String(text(d["error"]).prefix(80))]
        }
        return table(["P", "OFFSET", "EVENT-ID", "OUTCOME", "PLUGIN", "GROUP", "FROM", "ERROR"], rows)
    }

    static func dlqReplay(_ r: JSONValue) -> String {
        var out = "replayed \(r["replayed"]?.array?.count ?? 0), failed \(r["failed"]?.array?.count ?? 0), skipped \(r["skipped"]?.array?.count ?? 0)\n"
        for item in r["skipped"]?.array ?? [] { out += "skipped \(text(item["event_id"])) (offset \(text(item["offset"]))): \(text(item["reason"]))\n" }
        for item in r["failed"]?.array ?? [] { out += "failed \(text(item["event_id"])) (offset \(text(item["offset"]))): \(text(item["reason"]))\n" }
        return out
    }

    static func stats(_ r: JSONValue) -> String {
        var rows: [[String]] = []
        for g in r["groups"]?.array ?? [] {
            let c = g["counters"]
            rows.append([text(g["name"]), "*", text(c?["consumed"]), text(c?["handled"]), text(c?["skipped"]), text(c?["retried"]),
                         text(c?["dead_lettered"]), "-", "-"])
            for p in g["plugins"]?.array ?? [] {
                rows.append(["", text(p["plugin"]), "", text(p["handled"]), "", text(p["retries"]), text(p["failed"]),
                             text(p["latency_avg_us"]), text(p["latency_max_us"])])
            }
        }
        return table(["GROUP", "PLUGIN", "CONSUMED", "HANDLED", "SKIPPED", "RETRIES", "DEAD", "AVG-US", "MAX-US"], rows)
            + "reloads: \(text(r["reloads"])), longest reload stall: \(text(r["longest_reload_stall_ms"])) ms\n"
    }
}
