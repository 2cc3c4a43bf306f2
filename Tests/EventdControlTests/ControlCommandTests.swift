// The command table: its rows, the usage lines derived from them, and the argument checks.
import EventdControl
import Testing

@Suite struct ControlCommandTests {
    func check(_ cmd: String, _ args: [String: String] = [:]) -> Result<ControlCall, ControlError> {
        Result { () throws(ControlError) in try ControlCommands.call(for: ControlRequest(cmd, args)) }
    }

    func message(_ cmd: String, _ args: [String: String] = [:]) -> String? {
        guard case .failure(let error) = check(cmd, args) else { return nil }
        #expect(error.code == .badRequest)
        return error.message
    }

    @Test func everyVerbHasOneRowInTheTable() {
        #expect(ControlCommands.all.map(\.verb) == ControlVerb.allCases)
        for verb in ControlVerb.allCases {
            #expect(ControlCommands[verb].name == verb.rawValue)
            #expect(ControlCommands.named(verb.rawValue)?.verb == verb)
        }
        #expect(ControlCommands.named("self-destruct") == nil)
    }

    @Test func usageLinesAreDerivedFromTheParameters() {
        let usages = Dictionary(uniqueKeysWithValues: ControlCommands.all.map { ($0.name, $0.usage) })
        #expect(usages == [
            "status": "status", "plugin-list": "plugin-list", "plugin-reload": "plugin-reload NAME", "reload": "reload",
            "plugin-disable": "plugin-disable NAME", "plugin-enable": "plugin-enable NAME",
            "consumer-pause": "consumer-pause GROUP [TOPIC]", "consumer-resume": "consumer-resume GROUP [TOPIC]",
            "dlq-list": "dlq-list TOPIC", "dlq-replay": "dlq-replay TOPIC (--event-id ID | --all)", "stats": "stats",
        ])
        #expect(ControlCommands.all.filter(\.readOnly).map(\.verb) == [.status, .pluginList, .dlqList, .stats])
    }

    @Test func anUnknownCommandIsABadRequestThatListsTheCommands() throws {
        let text = try #require(message("self-destruct"))
        #expect(text.hasPrefix("unknown command 'self-destruct'; commands: status, plugin-list, plugin-reload"))
    }

    @Test func anArgumentTheCommandDoesNotTakeIsRefusedWithItsUsage() {
        #expect(message("status", ["force": "yes"]) == "status takes no argument 'force' (usage: status)")
        #expect(message("dlq-list", ["topic": "a.dlq", "all": "true"]) == "dlq-list takes no argument 'all' (usage: dlq-list TOPIC)")
    }

    @Test func aMissingOrEmptyRequiredArgumentAnswersWithTheUsage() {
        #expect(message("plugin-reload") == "usage: plugin-reload NAME")
        #expect(message("plugin-disable", ["name": ""]) == "usage: plugin-disable NAME")
        #expect(message("consumer-pause", ["topic": "t"]) == "usage: consumer-pause GROUP [TOPIC]")
        #expect(message("dlq-replay", ["all": "true"]) == "usage: dlq-replay TOPIC (--event-id ID | --all)")
    }

    @Test func dlqReplayNeedsExactlyOneOfItsSelections() throws {
        let needs = "dlq-replay needs exactly one of --event-id ID and --all"
        #expect(message("dlq-replay", ["topic": "a.dlq"]) == needs)
        #expect(message("dlq-replay", ["topic": "a.dlq", "all": "true", "event-id": "e1"]) == needs)
        #expect(message("dlq-replay", ["topic": "a.dlq", "all": "false"]) == needs, "an unset flag is absent")
        let byID = try check("dlq-replay", ["topic": "a.dlq", "event-id": "e1", "all": "false"]).get()
        #expect(byID[.eventID] == "e1" && !byID.isSet(.all))
        let all = try check("dlq-replay", ["topic": "a.dlq", "all": "true"]).get()
        #expect(all.isSet(.all) && all[.eventID] == nil && all.required(.topic) == "a.dlq")
    }

    @Test func aCheckedCallCarriesItsVerbAndArguments() throws {
        let pause = try check("consumer-pause", ["group": "g"]).get()
        #expect(pause.verb == .consumerPause && pause.required(.group) == "g" && pause[.topic] == nil)
        let one = try check("consumer-resume", ["group": "g", "topic": "t"]).get()
        #expect(one[.topic] == "t")
        #expect(try check("status").get().arguments.isEmpty)
    }

    @Test func aRequestBuiltFromArgumentsLeavesOutTheAbsentOnes() {
        let request = ControlRequest(.dlqReplay, [.topic: "a.dlq", .eventID: nil, .all: ControlArgument.flagValue])
        #expect(request == ControlRequest("dlq-replay", ["topic": "a.dlq", "all": "true"]))
        #expect(request.v == controlProtocolVersion)
    }
}
