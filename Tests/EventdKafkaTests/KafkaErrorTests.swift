// Error codes by librdkafka's names, and retriable/fatal as librdkafka classifies them.
@testable import EventdKafka
import EventdKafkaTesting
import Foundation
import Testing

@Suite struct KafkaErrorTests {
    @Test func codesCarryLibrdkafkasNamesAndTexts() {
        #expect(KafkaError.Code.allBrokersDown.name == "_ALL_BROKERS_DOWN")
        #expect(KafkaError.Code.allBrokersDown.text == "Local: All broker connections are down")
        #expect(KafkaError.Code.notLeaderForPartition.name == "NOT_LEADER_FOR_PARTITION")
        #expect(KafkaError.Code.unknownTopicOrPartition.rawValue == 3)
        #expect(KafkaError.Code(rawValue: -195) == .transport)
        #expect(KafkaError.Code.noError == 0)
        // A code without a constant here still has librdkafka's name.
        #expect(KafkaError.Code(rawValue: 29).name == "TOPIC_AUTHORIZATION_FAILED")
        #expect("\(KafkaError.Code.messageTimedOut)" == "_MSG_TIMED_OUT")
    }

    @Test func aBareCodeIsRetriableWhenItsConditionPasses() {
        let timedOut = KafkaError(KafkaError.Code.messageTimedOut.err, context: "delivery")
        #expect(timedOut.isRetriable && !timedOut.isFatal)
        #expect(timedOut.message == "delivery: Local: Message timed out")
        let refused = KafkaError(KafkaError.Code.topicAuthorizationFailed.err, context: "delivery")
        #expect(!refused.isRetriable && !refused.isFatal)
        #expect(KafkaError(invalid: "property 'x': unknown").code == .invalidArgument)
    }

    @Test func deliveryFailuresTellKafkaFromLocal() {
        let kafka = DeliveryFailure.kafka(KafkaError(KafkaError.Code.allBrokersDown.err, context: "delivery"))
        #expect(kafka.isRetriable)
        #expect(kafka.kafkaError?.code == .allBrokersDown)
        let local = DeliveryFailure.local(step: "park", reason: "disk I/O error")
        #expect(!local.isRetriable && local.kafkaError == nil)
        #expect(local.description == "park: disk I/O error")

        let tracker = DeliveryTracker()
        tracker.fail(local)
        tracker.fail(KafkaError(code: .queueFull, message: "later"))
        #expect(tracker.wait()?.description == "park: disk I/O error", "the first failure is kept")
    }

    @Test func aBrokerRefusalIsReportedWithItsCodeAndNotRetriable() throws {
        let cluster = try EmbeddedCluster.with(topic: "refused")
        let producer = try cluster.producer()
        cluster.injectErrors(apiKey: 0, error: .topicAuthorizationFailed, count: 1)   // 0: Produce
        let tracker = DeliveryTracker()
        try producer.produce(topic: "refused", key: nil, value: Array("v".utf8), headers: [], tracker: tracker)
        let failure = try #require(tracker.wait()?.kafkaError)
        #expect(failure.code == .topicAuthorizationFailed)
        #expect(!failure.isRetriable && !failure.isFatal)
    }

    @Test func aBrokerDownTimesOutDeliveriesAsRetriable() throws {
        let cluster = try EmbeddedCluster.with(topic: "down")
        let producer = try cluster.producer(ErrorSink(), ["message.timeout.ms": "500"])
        cluster.setBroker(1, up: false)
        let tracker = DeliveryTracker()
        try producer.produce(topic: "down", key: nil, value: Array("v".utf8), headers: [], tracker: tracker)
        let failure = try #require(tracker.wait()?.kafkaError)
        #expect(failure.code == .messageTimedOut)
        #expect(failure.isRetriable && !failure.isFatal)
        cluster.setBroker(1, up: true)
    }

    @Test func aFatalErrorIsAskedOfTheClientAndTheProducerGoesOnWithANewOne() throws {
        let cluster = try EmbeddedCluster.with(topic: "fatal")
        let sink = ErrorSink()
        let producer = try cluster.producer(sink)
        let delivered = DeliveryTracker()
        try producer.produce(topic: "fatal", key: nil, value: Array("before".utf8), headers: [], tracker: delivered)
        #expect(delivered.wait() == nil)
        // A record the broker has not acknowledged when the fatal error comes.
        cluster.setBroker(1, up: false)
        let stranded = DeliveryTracker()
        try producer.produce(topic: "fatal", key: nil, value: Array("stranded".utf8), headers: [], tracker: stranded)
        let outOfOrder = KafkaError.Code(rawValue: 45)   // OUT_OF_ORDER_SEQUENCE_NUMBER
        producer.raiseFatalError(outOfOrder, reason: "raised by the test")

        // The error callback hears `_FATAL`; the underlying code comes from rd_kafka_fatal_error.
        let deadline = ContinuousClock.now + .seconds(10)
        while (sink.errors.isEmpty || producer.replacements == 0) && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let reported = try #require(sink.errors.first { $0.isFatal })
        #expect(reported.code == outOfOrder)
        #expect(reported.message.contains("raised by the test"))
        #expect(producer.replacements == 1, "the client with the fatal error was replaced")
        #expect(sink.replaced == 1)
        // The stranded record is reported failed (its partition would be read again), not left waiting.
        let (finished, failure) = stranded.wait(timeout: 10)
        #expect(finished && failure != nil)

        // The new client delivers.
        cluster.setBroker(1, up: true)
        let after = DeliveryTracker()
        try producer.produce(topic: "fatal", key: nil, value: Array("after".utf8), headers: [], tracker: after)
        let (sent, refused) = after.wait(timeout: 30)
        #expect(sent && refused == nil)
        let values = try cluster.records("fatal").map { String(decoding: $0.valueBytes ?? [], as: UTF8.self) }
        #expect(values == ["before", "after"])
    }
}
