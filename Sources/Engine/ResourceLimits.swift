import Foundation

/// A budget a request went over: the name users set it by (`limits(memory=…)`), its environment variable,
/// and how its amounts read ("12.0 GB", "70,000 points").
public enum ResourceBudget: String, Sendable, CaseIterable {
    case memory
    case pixels
    case tsnePoints = "tsne_points"

    /// The kernel's environment variable that sets this budget at start-up.
    public var environmentVariable: String {
        switch self {
        case .memory: return "FOVEA_MEMORY_LIMIT"
        case .pixels: return "FOVEA_PIXEL_LIMIT"
        case .tsnePoints: return "FOVEA_TSNE_POINTS_LIMIT"
        }
    }

    /// An amount of this budget for messages.
    public func format(_ amount: Int) -> String {
        switch self {
        case .memory: return ResourceLimits.formatBytes(amount)
        case .pixels: return "\(ResourceLimits.grouped(amount)) pixels"
        case .tsnePoints: return "\(ResourceLimits.grouped(amount)) points"
        }
    }
}

/// A request refused before any work because it needs more than a budget allows (instead of the kernel being
/// killed by the out-of-memory killer half-way). The message names the request, the budget and how to raise it.
public struct ResourceLimitError: Error, Sendable, Equatable, CustomStringConvertible {
    public var budget: ResourceBudget
    /// What was asked for: "a tensor of shape [60000, 50176]", "decompressing t10k.gz".
    public var what: String
    /// The amount needed (bytes, pixels or points); `Int.max` when it does not even fit an integer.
    public var requested: Int
    public var limit: Int
    /// The full amount is unknown (decompression stopped once it passed the budget).
    public var requestedUnknown: Bool

    public init(_ budget: ResourceBudget, what: String, requested: Int, limit: Int, requestedUnknown: Bool = false) {
        self.budget = budget
        self.what = what
        self.requested = requested
        self.limit = limit
        self.requestedUnknown = requestedUnknown
    }

    public var description: String {
        let hint = "raise it with limits(\(budget.rawValue)=…) or the \(budget.environmentVariable) environment variable"
        if requestedUnknown { return "\(what) goes over the \(budget.rawValue) budget of \(budget.format(limit)); \(hint)" }
        let needs = requested == Int.max ? "more than can be addressed" : budget.format(requested)
        return "\(what) needs \(needs), more than the \(budget.rawValue) budget of \(budget.format(limit)); \(hint)"
    }
}

/// One set of budgets (a kernel session's). Thread-safe; `ResourceLimits.current` is the set in force.
public final class ResourceBudgets: @unchecked Sendable {
    private let lock = NSLock()
    private var _memoryBytes: Int
    private var _maxPixels: Int
    private var _tsnePoints: Int

    public init(memoryBytes: Int = ResourceLimits.defaultMemoryBytes, maxPixels: Int = ImageLimits.defaultMaxPixels,
                tsnePoints: Int = ResourceLimits.defaultTSNEPoints) {
        _memoryBytes = memoryBytes
        _maxPixels = maxPixels
        _tsnePoints = tsnePoints
    }

    /// A copy, for a new session that starts from the process's configuration.
    public func copy() -> ResourceBudgets {
        lock.withLock { ResourceBudgets(memoryBytes: _memoryBytes, maxPixels: _maxPixels, tsnePoints: _tsnePoints) }
    }

    /// The largest single allocation (bytes) a request may cause; at least 1 MiB.
    public var memoryBytes: Int {
        get { lock.withLock { _memoryBytes } }
        set { lock.withLock { _memoryBytes = max(1 << 20, newValue) } }
    }

    /// The most pixels one image may have; at least 1.
    public var maxPixels: Int {
        get { lock.withLock { _maxPixels } }
        set { lock.withLock { _maxPixels = max(1, newValue) } }
    }

    /// The most points `tsne` and `tsne_grid` accept; at least 4.
    public var tsnePoints: Int {
        get { lock.withLock { _tsnePoints } }
        set { lock.withLock { _tsnePoints = max(4, newValue) } }
    }
}

/// The resource budgets, checked before allocating where user input decides a size (tensor shapes, file
/// headers, decompression output, feature matrices, resized images, t-SNE point counts), so an oversized request
/// is a clear error instead of the out-of-memory killer taking the kernel down.
///
/// The budgets in force are `current`: the process-wide `shared` set (configured at start-up from environment
/// variables) unless a session binds its own with `$current.withValue` (the kernel's interpreter does, so the
/// `limits(...)` verb changes only its session, and tests do not disturb each other).
public enum ResourceLimits {
    /// Half the machine's memory, at most 8 GiB: one value may not take more (e.g. 8 GiB on a 24 GiB machine,
    /// enough for VGG-16's weights fifteen times over, or 40,000 × 50,000 features).
    public static let defaultMemoryBytes = min(Int(clamping: ProcessInfo.processInfo.physicalMemory / 2), 8 << 30)
    /// All of Fashion-MNIST (train + test): exact nearest neighbours are O(N²) time.
    public static let defaultTSNEPoints = 70_000

    /// The process's budgets (what a new session starts from).
    public static let shared = ResourceBudgets()

    /// The budgets in force for the current task.
    @TaskLocal public static var current: ResourceBudgets = shared

    /// For tests: a memory budget for the current task only.
    @TaskLocal public static var memoryOverride: Int?

    /// The largest single allocation (bytes) a request may cause.
    public static var memoryBytes: Int {
        get { memoryOverride ?? current.memoryBytes }
        set { current.memoryBytes = newValue }
    }

    /// The most points `tsne` and `tsne_grid` accept.
    public static var tsnePoints: Int {
        get { current.tsnePoints }
        set { current.tsnePoints = newValue }
    }

    /// Throws unless `bytes` fit the memory budget.
    public static func checkMemory(bytes: Int, what: @autoclosure () -> String) throws {
        let limit = memoryBytes
        guard bytes >= 0, bytes <= limit else {
            throw ResourceLimitError(.memory, what: what(), requested: max(bytes, 0), limit: limit)
        }
    }

    /// Throws unless `count` elements of `size` bytes fit the memory budget (overflow counts as too much).
    public static func checkMemory(count: Int, of size: Int = MemoryLayout<Float>.size,
                                   what: @autoclosure () -> String) throws {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        try checkMemory(bytes: overflow || count < 0 ? Int.max : bytes, what: what())
    }

    /// Throws unless a float32 tensor of `shape` fits the memory budget (negative extents are the caller's job).
    public static func checkTensor(shape: [Int], what: @autoclosure () -> String) throws {
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: Swift.max(extent, 0))
            if overflow {
                throw ResourceLimitError(.memory, what: what(), requested: Int.max, limit: memoryBytes)
            }
            count = product
        }
        try checkMemory(count: count, what: what())
    }

    /// Throws unless `points` fit the t-SNE budget.
    public static func checkTSNE(points: Int, what: @autoclosure () -> String) throws {
        let limit = tsnePoints
        guard points <= limit else { throw ResourceLimitError(.tsnePoints, what: what(), requested: points, limit: limit) }
    }

    // MARK: Amounts in text

    /// "512 MB", "12.0 GB": binary units with the usual short names, as `free -h` prints them.
    public static func formatBytes(_ bytes: Int) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) bytes" }
        return value == value.rounded() ? "\(Int(value)) \(units[unit])" : String(format: "%.1f %@", value, units[unit])
    }

    /// Parses "2GB", "512 MB", "1.5g", "1073741824" (binary units; a bare number is bytes); nil if malformed.
    public static func parseBytes(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        guard let number = Double(digits), number >= 0 else { return nil }
        var unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        if unit.hasSuffix("ib") { unit = String(unit.dropLast(2)) }
        if unit.hasSuffix("b") { unit = String(unit.dropLast()) }
        let scale: Double
        switch unit {
        case "", "byte", "bytes": scale = 1
        case "k": scale = 1024
        case "m": scale = 1024 * 1024
        case "g": scale = 1024 * 1024 * 1024
        case "t": scale = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = number * scale
        guard bytes.isFinite, bytes < 9.2e18 else { return nil }
        return Int(bytes)
    }

    /// 70000 → "70,000".
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}
