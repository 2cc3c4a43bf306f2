// Durations as milliseconds with three decimals, for logs and reports.
import Foundation

public func milliseconds(_ d: Duration) -> Double {
    (Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15).rounded(toPlaces: 3)
}

extension Double {
    public func rounded(toPlaces places: Int) -> Double {
        let factor = pow(10, Double(places))
        return (self * factor).rounded() / factor
    }
}
