import Engine
import Foundation
import Protocol

/// Runs cells: holds the names bound so far, the verbs, the session's random state and the interrupt flag.
/// Knows nothing of Jupyter beyond the `OutputSink` it writes side effects to.
public final class Interpreter {
    /// Names bound by assignments (and `_`). Names bound before an error keep their values.
    public var names: [String: Value] = [:]
    public let registry: VerbRegistry
    public let interruption: Interruption
    public var workingDirectory: URL
    let random = SessionRandom()
    /// This session's resource budgets (`limits(...)` changes them), in force while a cell runs.
    public let budgets: ResourceBudgets

    /// What one cell produced.
    public struct CellResult {
        /// The cell's result: the last expression statement's value, unless suppressed by `;` or none.
        public var value: Value?
        /// Pager texts from `help`/`?`.
        public var pages: [String] = []
        public var error: FoveaError?
        /// An interrupted (or failed) verb left a partial result, now bound to `_`.
        public var keptPartial = false
    }

    public init(registry: VerbRegistry, interruption: Interruption = Interruption(),
                workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                budgets: ResourceBudgets = ResourceLimits.shared.copy()) {
        self.registry = registry
        self.budgets = budgets
        self.interruption = interruption
        self.workingDirectory = workingDirectory
    }

    /// Parses and runs `source`. Never throws: errors (with spans) come back in the result.
    public func run(_ source: String, output: OutputSink) -> CellResult {
        ResourceLimits.$current.withValue(budgets) { runStatements(source, output: output) }
    }

    private func runStatements(_ source: String, output: OutputSink) -> CellResult {
        var result = CellResult()
        let program: Program
        do {
            program = try Parser.parse(source)
        } catch {
            result.error = FoveaError.from(error)
            return result
        }
        for (i, statement) in program.statements.enumerated() {
            do {
                try interruption.check()
                let value = try execute(statement, output: output, pages: &result.pages)
                if i == program.statements.count - 1, case .expression(_, let suppressed, _) = statement,
                   !suppressed, let value, !value.isNone {
                    result.value = value
                    names["_"] = value
                }
            } catch is CellStop {
                // `requires` ended the cell early on purpose: no error, no result.
                return result
            } catch let error as PartialResultError {
                result.error = error.error.located(at: statement.span)
                if let partial = error.partial {
                    names["_"] = partial
                    result.keptPartial = true
                }
                return result
            } catch {
                result.error = FoveaError.from(error).located(at: statement.span)
                return result
            }
        }
        return result
    }

    /// Evaluates one expression given as text (user_expressions); no result bookkeeping.
    public func evaluate(_ source: String, output: OutputSink) throws -> Value {
        let expr = try Parser.parseExpression(source)
        var pages: [String] = []
        return try ResourceLimits.$current.withValue(budgets) { try evaluate(expr, output: output, pages: &pages) }
    }

    /// Runs a statement; returns the value of an expression statement.
    private func execute(_ statement: Statement, output: OutputSink, pages: inout [String]) throws -> Value? {
        switch statement {
        case .assign(let name, _, let expr, _):
            names[name] = try evaluate(expr, output: output, pages: &pages)
            return nil
        case .expression(let expr, _, _):
            return try evaluate(expr, output: output, pages: &pages)
        case .help(let topic, let span):
            pages.append(try helpText(for: topic, span: span))
            return nil
        }
    }

    /// The pager text for `?topic`: a verb's documentation or a value's summary.
    func helpText(for topic: String, span: SourceSpan?) throws -> String {
        if let verb = registry[topic] { return verb.helpText }
        if let value = names[topic] { return Interpreter.summary(of: value, name: topic) }
        throw FoveaError(.name, "no verb or name \"\(topic)\"\(Suggestions.hint(for: topic, in: registry.names + names.keys.sorted()))",
                         at: span)
    }

    /// "net: Model\n<its text>\nattributes: …" — what `inspect` and `?name` show for a value.
    public static func summary(of value: Value, name: String) -> String {
        var lines = ["\(name): \(value.typeName)", Repr.repr(value)]
        if case .object(let o) = value, !o.attributeNames.isEmpty {
            lines.append("attributes: " + o.attributeNames.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - Expressions

    func evaluate(_ expr: Expr, output: OutputSink, pages: inout [String]) throws -> Value {
        switch expr {
        case .int(let i, _): return .int(i)
        case .double(let d, _): return .double(d)
        case .string(let s, _): return .string(s)
        case .bool(let b, _): return .bool(b)
        case .none: return .none
        case .name(let name, let span):
            if let v = names[name] { return v }
            if let verb = registry[name] { return .object(VerbValue(verb: verb)) }
            throw nameError(name, span)
        case .list(let items, _):
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try evaluate(item, output: output, pages: &pages)) }
            return .list(out)
        case .dict(let pairs, _):
            var out = OrderedDict()
            for (k, v) in pairs {
                let key = try evaluate(k, output: output, pages: &pages)
                guard case .string(let s) = key else {
                    throw FoveaError(.type, "dict keys must be strings, not \(key.typeName)", at: k.span)
                }
                out[s] = try evaluate(v, output: output, pages: &pages)
            }
            return .dict(out)
        case .unary(let op, let operand, let span):
            let v = try evaluate(operand, output: output, pages: &pages)
            do {
                return op == "-" ? try Arithmetic.negate(v) : try Arithmetic.plus(v)
            } catch {
                throw FoveaError.from(error).located(at: span)
            }
        case .binary(let op, let lhs, let rhs, let opSpan, _):
            let a = try evaluate(lhs, output: output, pages: &pages)
            let b = try evaluate(rhs, output: output, pages: &pages)
            do {
                return try Arithmetic.binary(op, a, b)
            } catch {
                throw FoveaError.from(error).located(at: opSpan)
            }
        case .index(let baseExpr, let indexExpr, _):
            let base = try evaluate(baseExpr, output: output, pages: &pages)
            if case .slice(let a, let b, let c, _) = indexExpr {
                let slice = Indexing.Slice(start: try a.map { try evaluate($0, output: output, pages: &pages) } ?? .none,
                                           stop: try b.map { try evaluate($0, output: output, pages: &pages) } ?? .none,
                                           step: try c.map { try evaluate($0, output: output, pages: &pages) } ?? .none)
                do {
                    return try Indexing.slice(base, slice)
                } catch {
                    throw FoveaError.from(error).located(at: indexExpr.span)
                }
            }
            let index = try evaluate(indexExpr, output: output, pages: &pages)
            do {
                return try Indexing.index(base, index)
            } catch {
                throw FoveaError.from(error).located(at: indexExpr.span)
            }
        case .slice(_, _, _, let span):
            throw FoveaError(.syntax, "a slice (a:b) is only allowed inside [ ]", at: span)
        case .attribute(let baseExpr, let name, let nameSpan, _):
            let base = try evaluate(baseExpr, output: output, pages: &pages)
            return try attribute(base, name, at: nameSpan)
        case .call(let callee, let arguments, let span):
            return try call(callee, arguments, span: span, output: output, pages: &pages)
        }
    }

    private func nameError(_ name: String, _ span: SourceSpan) -> FoveaError {
        let candidates = names.keys.sorted() + registry.names + Keywords.all
        return FoveaError(.name, "name \"\(name)\" is not defined\(Suggestions.hint(for: name, in: candidates))", at: span)
    }

    private func attribute(_ base: Value, _ name: String, at span: SourceSpan) throws -> Value {
        var known: [String] = []
        if case .object(let o) = base {
            do {
                if let v = try o.attribute(name) { return v }
            } catch {
                throw FoveaError.from(error).located(at: span)
            }
            known = o.attributeNames
        }
        let listing = known.isEmpty ? "" : "; attributes are: " + known.joined(separator: ", ")
        throw FoveaError(.name, "\(base.typeName) has no attribute \"\(name)\"\(Suggestions.hint(for: name, in: known))\(listing)",
                         at: span)
    }

    private func call(_ calleeExpr: Expr, _ arguments: [Argument], span: SourceSpan, output: OutputSink,
                      pages: inout [String]) throws -> Value {
        let verb: Verb
        if case .name(let name, let nameSpan) = calleeExpr, names[name] == nil {
            guard let v = registry[name] else {
                let hint = Suggestions.hint(for: name, in: registry.names + names.keys.sorted())
                throw FoveaError(.name, "no verb named \"\(name)\"\(hint)", at: nameSpan)
            }
            verb = v
        } else {
            let callee = try evaluate(calleeExpr, output: output, pages: &pages)
            guard let v = callee.object(as: VerbValue.self)?.verb else {
                throw FoveaError(.type, "\(callee.typeName) is not callable (only verbs can be called)", at: calleeExpr.span)
            }
            verb = v
        }
        var given: [GivenArgument] = []
        given.reserveCapacity(arguments.count)
        for a in arguments {
            given.append(GivenArgument(keyword: a.keyword, keywordSpan: a.keywordSpan,
                                       value: try evaluate(a.value, output: output, pages: &pages), span: a.value.span))
        }
        let checked = try verb.check(given, callSpan: span)
        try interruption.check()
        let context = VerbContext(output: output, interruption: interruption, registry: registry,
                                  workingDirectory: workingDirectory, names: names, callSpan: span, random: random)
        defer {
            context.finishProgress()
            pages += context.pages
        }
        do {
            return try verb.implementation(checked, context)
        } catch let stop as CellStop {
            throw stop
        } catch {
            let e = FoveaError.from(error).located(at: span)
            if e.kind == .interrupted || context.partial != nil {
                throw PartialResultError(error: e, partial: context.partial)
            }
            throw e
        }
    }

    /// Re-seeds the session's random numbers (the `seed` verb).
    func reseed(_ seed: UInt64) { random.reseed(seed) }
}

/// An error from a verb that kept a partial result (bound to `_` by `run`).
struct PartialResultError: Error {
    var error: FoveaError
    var partial: Value?
}

/// A verb used as a value (`help(saliency)`, `f = print; f("hi")`).
public struct VerbValue: FoveaObject {
    public let verb: Verb
    public var typeName: String { "verb" }
    public var plainText: String { "<verb \(verb.signature)>" }
    public var attributeNames: [String] { ["name", "doc", "signature"] }
    public func attribute(_ name: String) throws -> Value? {
        switch name {
        case "name": return .string(verb.name)
        case "doc": return .string(verb.helpText)
        case "signature": return .string(verb.signature)
        default: return nil
        }
    }
}
