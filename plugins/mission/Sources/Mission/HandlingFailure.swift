// Why a handler stopped: the two non-ok outcomes, thrown so a handler reads top to bottom.
import EventdPluginSDK

/// A handler's failure, mapped one to one onto `Outcome`.
enum HandlingFailure: Error, Equatable {
    /// Permanent: malformed input or a corrupt state document. The event is dead-lettered.
    case reject(String)
    /// Transient: a host call failed. The event is delivered again.
    case retry(String)

    var outcome: Outcome {
        switch self {
        case .reject(let reason): .reject(reason)
        case .retry(let reason): .retry(reason)
        }
    }
}
