// A batch transaction whose commit was sent but may not be durable yet
// (`PluginStore.sendBatch`): the delivery engine handles the next partition's
// events meanwhile, and waits here before it stores any offset of the batch.
import Foundation

public final class PendingCommit: @unchecked Sendable {
    private let condition = NSCondition()
    private var outcome: Result<Int64, any Error>?
    /// Runs after a wait, on the waiting thread (the store lets its lock go when nothing else is open).
    private let afterWait: () -> Void

    /// A commit that was durable when it was made (SQLite's, or one with nothing to write).
    public static var durable: PendingCommit {
        let done = PendingCommit()
        done.outcome = .success(0)
        return done
    }

    init(afterWait: @escaping () -> Void = {}) {
        self.afterWait = afterWait
    }

    /// The outcome, once there is one (the schema version the commit set, or why it failed).
    var result: Result<Int64, any Error>? { condition.withLock { outcome } }

    func resolve(_ result: Result<Int64, any Error>) {
        condition.withLock {
            outcome = result
            condition.broadcast()
        }
    }

    /// Waits until the commit is durable.
    /// - Throws: why it did not commit (the batch's events are read again).
    public func wait() throws {
        let result = waitForOutcome()
        afterWait()
        _ = try result.get()
    }

    /// Waits for the outcome without acting on it.
    @discardableResult
    func waitForOutcome() -> Result<Int64, any Error> {
        condition.withLock {
            while outcome == nil { condition.wait() }
            return outcome!
        }
    }
}
