// `dte_host_api.log_enabled` (appended after v1): a plugin builds a log line's
// fields only when the host keeps the line, and logs everything through a host
// older than the question.
import CEventdPlugin
import EventdPluginSDK
import EventdPluginTesting
import Testing

@Suite struct LogEnabledTests {
    final class Evaluations: @unchecked Sendable {
        var count = 0
        func fields() -> [String: String] {
            count += 1
            return ["n": String(count)]
        }
    }

    @Test func fieldsAreBuiltOnlyForLinesTheHostKeeps() {
        let test = TestHost()
        test.keptLogLevel = Int(DTE_LOG_INFO.rawValue)
        let host = test.pluginHost()
        let evaluations = Evaluations()
        #expect(!host.isLogged(.debug) && host.isLogged(.info) && host.isLogged(.error))
        host.log(.debug, "dropped", evaluations.fields())
        #expect(evaluations.count == 0 && test.logs.isEmpty)
        host.log(.warning, "kept", evaluations.fields())
        #expect(evaluations.count == 1 && test.logs.map(\.message) == ["kept"] && test.logs[0].fields == ["n": "1"])
    }

    @Test func aHostWithoutTheQuestionGetsEveryLine() {
        let test = TestHost()
        test.keptLogLevel = Int(DTE_LOG_ERROR.rawValue)
        test.apiStructSize = DTE_HOST_API_V1_SIZE
        let host = test.pluginHost()
        #expect(host.isLogged(.debug))
        host.log(.debug, "sent", ["k": "v"])
        #expect(test.logs.map(\.message) == ["sent"])
    }
}
