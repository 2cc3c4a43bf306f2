import EventdStore
import Testing

/// The ordering rule of parked events of one key, apart from any store.
@Suite struct ParkStateTests {
    func state(of partition: Int32, _ offset: Int64, rows: [(Int32, Int64)]) -> ParkState {
        var state = ParkState()
        for (p, o) in rows { state.add(partition: p, offset: o, for: partition, offset) }
        return state
    }

    @Test func onOnePartitionTheSmallerOffsetGoesFirst() {
        let rows: [(Int32, Int64)] = [(0, 10), (0, 20)]
        #expect(state(of: 0, 10, rows: rows) == ParkState(isParked: true, hasEarlier: false, rows: 2))
        #expect(state(of: 0, 20, rows: rows) == ParkState(isParked: true, hasEarlier: true, rows: 2))
        #expect(state(of: 0, 15, rows: rows) == ParkState(isParked: false, hasEarlier: true, rows: 2))
        #expect(state(of: 0, 5, rows: rows) == ParkState(isParked: false, hasEarlier: false, rows: 2))
    }

    @Test func acrossPartitionsTheSmallerPartitionGoesFirstWhateverTheOffsets() {
        // A key parked on two partitions (it moved): neither may wait for the other, or both wait forever.
        let rows: [(Int32, Int64)] = [(1, 5), (3, 2)]
        let low = state(of: 1, 5, rows: rows), high = state(of: 3, 2, rows: rows)
        #expect(low.isParked && !low.hasEarlier)
        #expect(high.isParked && high.hasEarlier)
        #expect(!(low.hasEarlier && high.hasEarlier))
    }

    @Test func noRowsMeansNothingParked() {
        #expect(state(of: 0, 1, rows: []) == ParkState())
    }
}
