// librdkafka configuration properties, passed through as strings.
import CRDKafka

/// librdkafka properties (`bootstrap.servers`, `linger.ms`, ...). Names and
/// values pass through untouched; librdkafka validates them.
public struct KafkaProperties: Sendable, Equatable {
    public var values: [String: String]
    public init(_ values: [String: String] = [:]) { self.values = values }

    public subscript(_ name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// Properties of `self` overridden by `other`.
    public func merging(_ other: KafkaProperties) -> KafkaProperties {
        KafkaProperties(values.merging(other.values) { _, new in new })
    }

    /// Checks every property against librdkafka without creating a client.
    /// - Throws: `KafkaError` naming the first property librdkafka refuses.
    public func validate() throws(KafkaError) {
        let conf = try makeConf()
        rd_kafka_conf_destroy(conf)
    }

    func makeConf() throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, name, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(invalid: "property '\(name)': \(RDKafkaText.read(errstr))")
            }
        }
        return conf
    }
}
