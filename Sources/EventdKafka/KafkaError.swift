// Errors from librdkafka, classified for retry and dead-letter decisions.
import CRDKafka

/// A failure librdkafka reported: its code (with librdkafka's name for it),
/// what the daemon was doing, and whether trying again or recreating the
/// client is the answer.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    public let code: Code
    public let message: String
    /// Retrying the same operation may succeed.
    public let isRetriable: Bool
    /// The client handle is unusable; the process must recreate it.
    public let isFatal: Bool

    /// - Parameters:
    ///   - isRetriable: default false.
    ///   - isFatal: default false.
    public init(code: Code, message: String, isRetriable: Bool = false, isFatal: Bool = false) {
        self.code = code
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
    }

    /// A failure librdkafka reports as a bare code (delivery reports, the error
    /// callback, most calls). A bare code carries no retriable flag, so
    /// `Code.isTransient` answers that; fatal is asked of the client: for
    /// `_FATAL` the underlying code and reason come from `rd_kafka_fatal_error`.
    /// - Parameter client: the handle that reported it, to ask for the fatal cause.
    init(_ err: rd_kafka_resp_err_t, context: String, client: OpaquePointer? = nil) {
        if err == RD_KAFKA_RESP_ERR__FATAL, let client {
            var reason = [CChar](repeating: 0, count: 512)
            let cause = rd_kafka_fatal_error(client, &reason, reason.count)
            if cause != RD_KAFKA_RESP_ERR_NO_ERROR {
                let code = Code(cause)
                self.init(code: code, message: "\(context): \(code.text) (fatal: \(RDKafkaText.read(reason)))",
                          isRetriable: false, isFatal: true)
                return
            }
        }
        let code = Code(err)
        self.init(code: code, message: "\(context): \(code.text)", isRetriable: code.isTransient,
                  isFatal: err == RD_KAFKA_RESP_ERR__FATAL)
    }

    /// A failure librdkafka reports as an error object, which it flags itself
    /// as retriable or fatal; destroys `error`. librdkafka 2.0.2 leaves the
    /// retriable flag unset on the errors of `rd_kafka_produceva` (a full
    /// queue among them), so a transient code counts as retriable too.
    init(taking error: OpaquePointer, context: String) {
        defer { rd_kafka_error_destroy(error) }
        let code = Code(rd_kafka_error_code(error))
        self.init(code: code, message: "\(context): \(code.text)",
                  isRetriable: rd_kafka_error_is_retriable(error) != 0 || code.isTransient,
                  isFatal: rd_kafka_error_is_fatal(error) != 0)
    }

    /// A refusal on this side before librdkafka was asked anything (a
    /// property it refuses, a missing `group.id`): not retriable.
    init(invalid message: String) {
        self.init(code: .invalidArgument, message: message)
    }

    public var description: String { message }
}

/// Text librdkafka wrote into an `errstr` buffer.
enum RDKafkaText {
    static func read(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
