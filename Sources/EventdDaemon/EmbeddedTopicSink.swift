// Embedded mode: a topic a plugin produces to that was not created at start
// (not in the catalog, a plugin's topics or [embedded] extra_topics) is
// created before its first record with [embedded] partitions; left to the
// mock cluster, it would be auto-created with librdkafka's default of 4.
import CEventdPlugin
import EventdKafka
import EventdPluginHost
import Foundation
import Logging

final class EmbeddedTopicSink: FollowUpSink, @unchecked Sendable {
    let next: any FollowUpSink
    let cluster: EmbeddedCluster
    let partitions: Int32
    let logger: Logger
    private let lock = NSLock()
    /// Topics that exist (created at start, or here); guarded by `lock`.
    private var known: Set<String>

    init(next: any FollowUpSink, cluster: EmbeddedCluster, partitions: Int32, created: [String], logger: Logger) {
        (self.next, self.cluster, self.partitions, self.logger) = (next, cluster, partitions, logger)
        known = Set(created)
    }

    func produce(plugin: String, call: HandlerCall?, topic: UnsafePointer<CChar>, key: UnsafeRawBufferPointer?,
                 value: UnsafeRawBufferPointer?, headers: UnsafeBufferPointer<dte_header>) -> Int32 {
        let name = String(cString: topic)
        // Created under the lock: no other thread's record reaches the cluster first and auto-creates it.
        lock.withLock {
            guard known.insert(name).inserted else { return }
            do {
                try cluster.createTopic(name, partitions: partitions)
                logger.notice("embedded topic created for a plugin's output", metadata: [
                    "topic": "\(name)", "partitions": "\(partitions)", "plugin": "\(plugin)",
                ])
            } catch {
                logger.warning("embedded topic not created; the mock cluster creates it with its default partitions",
                               metadata: ["topic": "\(name)", "error": "\(error)"])
            }
        }
        return next.produce(plugin: plugin, call: call, topic: topic, key: key, value: value, headers: headers)
    }
}
