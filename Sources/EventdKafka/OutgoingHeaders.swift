// Headers of records to produce: owned Swift values, or anything that can lend
// its names and values in place.

/// Headers `KafkaProducer.produce` reads in place: each name as a NUL-terminated
/// string, each value as borrowed bytes (nil: a null header). librdkafka copies
/// them into the record, so nothing is allocated per header on this side.
public protocol KafkaHeaderSource {
    /// How many headers `forEachHeader` visits (a capacity hint).
    var headerCount: Int { get }
    /// Calls `body` for every header in order; the pointers are valid only inside the call.
    func forEachHeader(_ body: (UnsafePointer<CChar>, UnsafeRawBufferPointer?) -> Void)
}

/// An outgoing header.
public struct OutgoingHeader: Sendable, Equatable {
    public var name: String
    public var value: [UInt8]?
    public init(_ name: String, _ value: [UInt8]?) { (self.name, self.value) = (name, value) }
    public init(_ name: String, _ value: String) { self.init(name, Array(value.utf8)) }
}

extension Array: KafkaHeaderSource where Element == OutgoingHeader {
    public var headerCount: Int { count }

    public func forEachHeader(_ body: (UnsafePointer<CChar>, UnsafeRawBufferPointer?) -> Void) {
        for header in self {
            header.name.withCString { name in
                guard let value = header.value else { return body(name, nil) }
                value.withUnsafeBytes { body(name, $0) }
            }
        }
    }
}

/// A consumed record's headers can be produced again as they are.
extension KafkaRecord: KafkaHeaderSource {}
