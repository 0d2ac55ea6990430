import Engine

/// The kinds of error a cell can raise; the raw value is the Jupyter `ename`.
public enum ErrorKind: String, Sendable, CaseIterable {
    case syntax = "SyntaxError"
    case name = "NameError"
    case type = "TypeError"
    case argument = "ArgumentError"
    case value = "ValueError"
    case shape = "ShapeError"
    case file = "FileError"
    case model = "ModelError"
    case interrupted = "Interrupted"
}

/// An error raised while lexing, parsing, checking arguments or evaluating. `span` points at the offending
/// text; verbs usually throw without one and the evaluator attaches the span of the call (or argument).
public struct FoveaError: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: ErrorKind
    public var message: String
    public var span: SourceSpan?

    public init(_ kind: ErrorKind, _ message: String, at span: SourceSpan? = nil) {
        self.kind = kind
        self.message = message
        self.span = span
    }

    public var description: String { "\(kind.rawValue): \(message)" }

    /// The same error, pointing at `span` unless it already points somewhere.
    func located(at span: SourceSpan) -> FoveaError {
        var copy = self
        if copy.span == nil { copy.span = span }
        return copy
    }

    /// Turns any error thrown by a verb or the engine into a FoveaError. Engine error types can't import the
    /// Kernel, so their kind is taken from the type name when it is one of ours (`ShapeError`, `FileError`,
    /// `ModelError`, …); anything else is a ValueError carrying the error's description.
    public static func from(_ error: any Error) -> FoveaError {
        if let error = error as? FoveaError { return error }
        if let error = error as? PartialResultError { return error.error }
        if let interrupted = error as? Engine.Interrupted {
            return FoveaError(.interrupted, interrupted.message == "interrupted" ? "interrupted by the user" : interrupted.message)
        }
        // Engine errors whose type name is not an ename: data files are FileErrors (a bad argument to a reader
        // is a ValueError); a request over a budget is a ValueError whose message names the budget.
        if let error = error as? DataError {
            return FoveaError(error.kind == .invalidArgument ? .value : .file, error.message)
        }
        if let error = error as? ResourceLimitError { return FoveaError(.value, error.description) }
        let typeName = String(describing: type(of: error))
        let kind = ErrorKind.allCases.first { typeName == $0.rawValue || typeName.hasSuffix("." + $0.rawValue) }
            ?? ErrorKind.allCases.first { typeName.hasSuffix($0.rawValue) } ?? .value
        return FoveaError(kind, String(describing: error))
    }
}
