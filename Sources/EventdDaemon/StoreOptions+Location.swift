// `[store]` of the configuration as the place the plugin registry opens stores in.
import EventdConfig
import EventdStore

extension StoreOptions {
    func location(stateDir: String) -> StoreLocation {
        switch backend {
        case .sqlite: .sqlite(stateDir: stateDir)
        case .postgresql: .postgresql(url: url)
        }
    }
}
