// The daemon's side of the control socket: each command of the table to the
// method that answers it, with the report that method returns.
import EventdControl

extension Daemon: ControlHandler {
    public func handle(_ call: ControlCall, peer: PeerCredentials) -> ControlResponse {
        do throws(ControlError) {
            switch call.verb {
            case .status: return .report(status())
            case .pluginList: return .report(pluginList())
            case .stats: return .report(stats())
            case .pluginReload: return .report(try reloadPlugin(named: call.required(.plugin)))
            case .reload: return .report(try reloadAll())
            case .pluginDisable, .pluginEnable:
                return .report(try setPlugin(named: call.required(.plugin), enabled: call.verb == .pluginEnable))
            case .consumerPause, .consumerResume:
                return .report(try setConsumer(group: call.required(.group), topic: call[.topic], paused: call.verb == .consumerPause))
            case .dlqList: return .report(try dlqList(topic: call.required(.topic)))
            case .dlqReplay: return .report(try dlqReplay(topic: call.required(.topic), eventID: call[.eventID]))
            }
        } catch {
            return .failure(error)
        }
    }

    /// Runs `body` holding the control lock: one reload or plugin state change at a time.
    func holdingControlLock<R>(_ body: () throws(ControlError) -> R) throws(ControlError) -> R {
        controlLock.lock()
        defer { controlLock.unlock() }
        return try body()
    }
}
