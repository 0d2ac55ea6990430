/// Where a piece of cell text sits: 1-based line and column (counted in Unicode code points, like Jupyter's
/// `cursor_pos`) plus the 0-based code-point offset, so diagnostics and completion agree on positions.
public struct SourcePosition: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public static let start = SourcePosition(line: 1, column: 1, offset: 0)

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool { a.offset < b.offset }

    public var description: String { "\(line):\(column)" }
}

/// A half-open range `[start, end)` of cell text; every token and AST node carries one.
public struct SourceSpan: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var start: SourcePosition
    public var end: SourcePosition

    public init(_ start: SourcePosition, _ end: SourcePosition) {
        self.start = start
        self.end = end
    }

    /// The smallest span covering both.
    public func through(_ other: SourceSpan) -> SourceSpan {
        SourceSpan(Swift.min(start, other.start), Swift.max(end, other.end))
    }

    public var description: String { "\(start)-\(end)" }
}
