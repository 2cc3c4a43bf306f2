// librdkafka's error codes by name, with librdkafka's own names and texts for them.
import CRDKafka

extension KafkaError {
    /// An `rd_kafka_resp_err_t`: negative codes are the client's own (`_`-prefixed
    /// names), positive ones the broker's. The daemon's codes have names here;
    /// any other code keeps its raw value, and `name` and `text` still come
    /// from librdkafka.
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public init(integerLiteral value: Int32) { rawValue = value }
        init(_ err: rd_kafka_resp_err_t) { rawValue = err.rawValue }

        var err: rd_kafka_resp_err_t { rd_kafka_resp_err_t(rawValue: rawValue) }

        /// librdkafka's name (`rd_kafka_err2name`), e.g. `_ALL_BROKERS_DOWN`, `NOT_LEADER_FOR_PARTITION`.
        public var name: String { String(cString: rd_kafka_err2name(err)) }
        /// librdkafka's text (`rd_kafka_err2str`), e.g. `Local: All broker connections are down`.
        public var text: String { String(cString: rd_kafka_err2str(err)) }
        public var description: String { name }

        public static let noError = Code(RD_KAFKA_RESP_ERR_NO_ERROR)
        /// A broker error librdkafka does not know.
        public static let unknown = Code(RD_KAFKA_RESP_ERR_UNKNOWN)

        // The client's own.
        public static let allBrokersDown = Code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        public static let authentication = Code(RD_KAFKA_RESP_ERR__AUTHENTICATION)
        public static let ssl = Code(RD_KAFKA_RESP_ERR__SSL)
        public static let transport = Code(RD_KAFKA_RESP_ERR__TRANSPORT)
        public static let resolve = Code(RD_KAFKA_RESP_ERR__RESOLVE)
        public static let timedOut = Code(RD_KAFKA_RESP_ERR__TIMED_OUT)
        public static let messageTimedOut = Code(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        public static let queueFull = Code(RD_KAFKA_RESP_ERR__QUEUE_FULL)
        public static let partitionEOF = Code(RD_KAFKA_RESP_ERR__PARTITION_EOF)
        public static let state = Code(RD_KAFKA_RESP_ERR__STATE)
        public static let noOffset = Code(RD_KAFKA_RESP_ERR__NO_OFFSET)
        public static let invalidArgument = Code(RD_KAFKA_RESP_ERR__INVALID_ARG)
        public static let fatal = Code(RD_KAFKA_RESP_ERR__FATAL)

        // The broker's.
        public static let unknownTopicOrPartition = Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        public static let leaderNotAvailable = Code(RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE)
        public static let notLeaderForPartition = Code(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
        public static let requestTimedOut = Code(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
        public static let notEnoughReplicas = Code(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS)
        public static let notEnoughReplicasAfterAppend = Code(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND)
        public static let topicAlreadyExists = Code(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        public static let topicAuthorizationFailed = Code(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)

        /// Whether the condition behind a bare code passes (a broker comes
        /// back, a leader is elected, a queue drains). librdkafka flags only its
        /// `rd_kafka_error_t` objects as retriable; a bare code (delivery
        /// reports, the error callback) carries no flag and its own table
        /// (`rd_kafka_err_action`) is internal. These are the codes its producer
        /// retries by itself, plus the local timeouts and full queue that end
        /// or refuse those retries.
        public var isTransient: Bool {
            switch self {
            case .queueFull, .timedOut, .transport, .allBrokersDown, .messageTimedOut,
                 .notLeaderForPartition, .leaderNotAvailable, .requestTimedOut,
                 .notEnoughReplicas, .notEnoughReplicasAfterAppend, .unknownTopicOrPartition:
                return true
            default:
                return false
            }
        }
    }
}
