/// Seeded shuffles for data order. Implemented here (Fisher–Yates over our own unbiased draw) rather than
/// with the standard library's `shuffle(using:)`, whose algorithm is unspecified and may change between
/// Swift versions: the same seed must give the same order forever, or cached models and notebooks drift.
extension SeededGenerator {
    /// A uniform integer in `0..<bound` by rejection sampling on the full 64-bit draw (no modulo bias).
    public mutating func index(below bound: Int) -> Int {
        precondition(bound > 0, "index(below:) needs a positive bound")
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        while true {
            let x = next()
            if x < limit { return Int(x % b) }
        }
    }

    /// A Fisher–Yates permutation of `0..<count`.
    public mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        if count < 2 { return order }
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, index(below: i + 1))
        }
        return order
    }
}
