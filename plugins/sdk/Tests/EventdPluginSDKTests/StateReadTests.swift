// PluginHost.state reads a value through the host's state_get of every size:
// from the stack scratch buffer (one call) or, past it, from a buffer of the
// size the host reported.
import EventdPluginSDK
import EventdPluginTesting
import Testing

@Suite struct StateReadTests {
    @Test(arguments: [0, 1, 255, 6_000, 16 << 10, (16 << 10) + 1, 100_000])
    func valuesOfEverySizeReadBackWhole(_ size: Int) throws {
        let test = TestHost()
        let value = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        test.state[Array("k".utf8)] = value
        let host = test.pluginHost()
        #expect(try host.state("k") == value)
        #expect(try host.state("missing") == nil)
    }
}
