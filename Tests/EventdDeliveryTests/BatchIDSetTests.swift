@testable import EventdDelivery
import Testing

@Suite struct BatchIDSetTests {
    func insert(_ set: inout BatchIDSet, _ id: String) -> Bool {
        Array(id.utf8).withUnsafeBytes { set.insert($0) }
    }

    @Test func anIDIsNewOnceAndARepeatIsRefused() {
        var set = BatchIDSet(capacity: 4)
        #expect(insert(&set, "evt-1"))
        #expect(insert(&set, "evt-2"))
        #expect(!insert(&set, "evt-1"))
        #expect(!insert(&set, "evt-2"))
        // A prefix or an extension of a stored id is another id.
        #expect(insert(&set, "evt-"))
        #expect(insert(&set, "evt-10"))
    }

    @Test func growingPastItsCapacityKeepsEveryID() {
        var set = BatchIDSet(capacity: 2)
        let ids = (0..<5_000).map { "id-\($0)" }
        for id in ids { #expect(insert(&set, id)) }
        for id in ids { #expect(!insert(&set, id)) }
    }

    @Test func idsWhoseHashesCollideAreToldApartByTheirBytes() {
        // Same length, same 64-bit hash is improbable; force probing instead: many ids in a small table.
        var set = BatchIDSet(capacity: 1)
        #expect(insert(&set, "a"))
        #expect(insert(&set, "b"))
        #expect(insert(&set, "c"))
        #expect(!insert(&set, "b"))
    }
}
