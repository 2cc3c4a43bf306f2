// The host table's `log_enabled` answers with the daemon's log level, so that a
// plugin skips building the fields of lines that would be dropped.
import CEventdPlugin
@testable import EventdPluginHost
import EventdStore
import Foundation
import Logging
import Testing

@Suite struct HostLogTests {
    @Test func logEnabledFollowsTheLoggersLevel() throws {
        var logger = Logger(label: "test")
        logger.logLevel = .info
        let store = try SQLiteStore(path: NSTemporaryDirectory() + "eventd-hostlog-\(UUID().uuidString.prefix(8))/state.sqlite")
        let context = HostContext(pluginName: "p", state: store, logger: logger, sink: nil)
        let table = HostContext.table.pointee
        #expect(table.struct_size >= DTE_HOST_API_V1_SIZE + UInt32(MemoryLayout<UnsafeRawPointer>.size))
        let enabled = try #require(table.log_enabled)
        let ctx = Unmanaged.passUnretained(context).toOpaque()
        #expect(enabled(ctx, DTE_LOG_DEBUG) == 0)
        #expect(enabled(ctx, DTE_LOG_INFO) == 1 && enabled(ctx, DTE_LOG_WARNING) == 1 && enabled(ctx, DTE_LOG_ERROR) == 1)
        var verbose = logger
        verbose.logLevel = .debug
        let debugging = HostContext(pluginName: "p", state: store, logger: verbose, sink: nil)
        #expect(enabled(Unmanaged.passUnretained(debugging).toOpaque(), DTE_LOG_DEBUG) == 1)
        withExtendedLifetime((context, debugging)) {}
    }
}
