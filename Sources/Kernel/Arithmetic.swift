import Foundation

/// The operators on plain values (numbers, strings, lists); engine values take part through
/// `FoveaObject.binary`/`negated`. Ints stay ints where Python keeps them (overflow falls back to float);
/// `/` always gives a float.
enum Arithmetic {
    /// Strings (in bytes) and lists built by `*` and `+` may not grow beyond these (a typo must not eat the memory).
    static let maxLength = 10_000_000
    static let maxListLength = 1_000_000

    static func binary(_ op: String, _ a: Value, _ b: Value) throws -> Value {
        if case .object(let o) = a, let r = try o.binary(op, b, reversed: false) { return r }
        if case .object(let o) = b, let r = try o.binary(op, a, reversed: true) { return r }
        switch op {
        case "==": return .bool(try equal(a, b))
        case "!=": return .bool(try !equal(a, b))
        case "<", "<=", ">", ">=": return .bool(try compare(op, a, b))
        default: break
        }
        switch (numeric(a), numeric(b)) {
        case let (x?, y?): return try numbers(op, x, y)
        default: break
        }
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)):
            try checkLength(x.utf8.count + y.utf8.count)
            return .string(x + y)
        case ("+", .list(let x), .list(let y)):
            try checkLength(x.count + y.count, limit: maxListLength)
            return .list(x + y)
        case ("*", .string(let s), _), ("*", _, .string(let s)):
            guard let n = repeatCount(op, a, b) else { break }
            try checkLength(n.multipliedReportingOverflow(by: max(s.utf8.count, 1)))
            return .string(String(repeating: s, count: max(n, 0)))
        case ("*", .list(let l), _), ("*", _, .list(let l)):
            guard let n = repeatCount(op, a, b) else { break }
            try checkLength(n.multipliedReportingOverflow(by: max(l.count, 1)), limit: maxListLength)
            var out: [Value] = []
            for _ in 0..<max(n, 0) { out += l }
            return .list(out)
        default: break
        }
        throw FoveaError(.type, "unsupported operand types for \(op): \(a.typeName) and \(b.typeName)")
    }

    static func negate(_ v: Value) throws -> Value {
        switch v {
        case .int(let i):
            let (r, overflow) = 0.subtractingReportingOverflow(i)
            return overflow ? .double(-Double(i)) : .int(r)
        case .double(let d): return .double(-d)
        case .bool(let b): return .int(b ? -1 : 0)
        case .object(let o):
            if let r = try o.negated() { return r }
        default: break
        }
        throw FoveaError(.type, "bad operand type for unary -: \(v.typeName)")
    }

    static func plus(_ v: Value) throws -> Value {
        switch v {
        case .int, .double: return v
        case .bool(let b): return .int(b ? 1 : 0)
        default: throw FoveaError(.type, "bad operand type for unary +: \(v.typeName)")
        }
    }

    private enum Number { case int(Int), double(Double) }

    private static func numeric(_ v: Value) -> Number? {
        switch v {
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .bool(let b): return .int(b ? 1 : 0)
        default: return nil
        }
    }

    private static func repeatCount(_ op: String, _ a: Value, _ b: Value) -> Int? {
        switch (a, b) {
        case (.int(let n), .string), (.int(let n), .list), (.string, .int(let n)), (.list, .int(let n)): return n
        default: return nil
        }
    }

    private static func checkLength(_ n: Int, limit: Int = maxLength) throws {
        if n > limit { throw FoveaError(.value, "result too large (\(n) elements; the limit is \(limit))") }
    }

    private static func checkLength(_ r: (partialValue: Int, overflow: Bool), limit: Int = maxLength) throws {
        if r.overflow { throw FoveaError(.value, "result too large") }
        try checkLength(r.partialValue, limit: limit)
    }

    private static func numbers(_ op: String, _ x: Number, _ y: Number) throws -> Value {
        if case .int(let a) = x, case .int(let b) = y {
            switch op {
            case "+": let r = a.addingReportingOverflow(b); return r.overflow ? .double(Double(a) + Double(b)) : .int(r.partialValue)
            case "-": let r = a.subtractingReportingOverflow(b); return r.overflow ? .double(Double(a) - Double(b)) : .int(r.partialValue)
            case "*": let r = a.multipliedReportingOverflow(by: b); return r.overflow ? .double(Double(a) * Double(b)) : .int(r.partialValue)
            case "/":
                if b == 0 { throw FoveaError(.value, "division by zero") }
                return .double(Double(a) / Double(b))
            case "//":
                if b == 0 { throw FoveaError(.value, "integer division by zero") }
                if a == Int.min && b == -1 { return .double(-Double(Int.min)) }
                let q = a / b
                return .int((a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q)
            case "%":
                if b == 0 { throw FoveaError(.value, "modulo by zero") }
                if b == -1 { return .int(0) }
                let r = a % b
                return .int(r != 0 && (r < 0) != (b < 0) ? r + b : r)
            case "**":
                if b >= 0, let p = intPower(a, b) { return .int(p) }
                if a == 0 && b < 0 { throw FoveaError(.value, "0 cannot be raised to a negative power") }
                return .double(Foundation.pow(Double(a), Double(b)))
            default: break
            }
        }
        let a = double(x), b = double(y)
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/":
            if b == 0 { throw FoveaError(.value, "division by zero") }
            return .double(a / b)
        case "//":
            if b == 0 { throw FoveaError(.value, "division by zero") }
            return .double((a / b).rounded(.down))
        case "%":
            if b == 0 { throw FoveaError(.value, "modulo by zero") }
            let r = a.truncatingRemainder(dividingBy: b)
            return .double(r != 0 && (r < 0) != (b < 0) ? r + b : r)
        case "**":
            if a == 0 && b < 0 { throw FoveaError(.value, "0.0 cannot be raised to a negative power") }
            if a < 0 && b.rounded() != b && b.isFinite {
                throw FoveaError(.value, "a negative number cannot be raised to a fractional power")
            }
            return .double(Foundation.pow(a, b))
        default:
            throw FoveaError(.type, "unsupported operator \(op)")
        }
    }

    private static func double(_ n: Number) -> Double {
        switch n {
        case .int(let i): return Double(i)
        case .double(let d): return d
        }
    }

    /// a**b by squaring, nil on overflow.
    private static func intPower(_ a: Int, _ b: Int) -> Int? {
        var result = 1, base = a, e = b
        while e > 0 {
            if e & 1 == 1 {
                let r = result.multipliedReportingOverflow(by: base)
                if r.overflow { return nil }
                result = r.partialValue
            }
            e >>= 1
            if e > 0 {
                let s = base.multipliedReportingOverflow(by: base)
                if s.overflow { return nil }
                base = s.partialValue
            }
        }
        return result
    }

    /// Structural equality of plain values; numbers compare by value (1 == 1.0); objects are never equal.
    /// Walks the two values with an explicit stack, so lists nested any depth compare correctly without
    /// recursion, and stops with an error after `maxLength` element pairs: `a = [a, a]` repeated builds values
    /// whose comparison would otherwise run for longer than the universe.
    static func equal(_ a: Value, _ b: Value) throws -> Bool {
        var pending = [(a, b)]
        var visited = 0
        while let (x, y) = pending.popLast() {
            visited += 1
            if visited > maxLength {
                throw FoveaError(.value, "comparison too large (more than \(maxLength) elements to compare)")
            }
            switch (x, y) {
            case (.none, .none): continue
            case let (.string(p), .string(q)): if p != q { return false }
            case let (.list(p), .list(q)):
                guard p.count == q.count else { return false }
                pending.append(contentsOf: zip(p, q).reversed())
            case let (.dict(p), .dict(q)):
                guard p.count == q.count else { return false }
                for (k, v) in p.reversed() {
                    guard let w = q[k] else { return false }
                    pending.append((v, w))
                }
            case (.object, .object): return false
            default:
                guard let m = numeric(x), let n = numeric(y) else { return false }
                if case .int(let i) = m, case .int(let j) = n { if i != j { return false } } else if double(m) != double(n) {
                    return false
                }
            }
        }
        return true
    }

    private static func compare(_ op: String, _ a: Value, _ b: Value) throws -> Bool {
        func order<T: Comparable>(_ x: T, _ y: T) -> Bool {
            switch op {
            case "<": return x < y
            case "<=": return x <= y
            case ">": return x > y
            default: return x >= y
            }
        }
        if let x = numeric(a), let y = numeric(b) {
            if case .int(let i) = x, case .int(let j) = y { return order(i, j) }
            return order(double(x), double(y))
        }
        if case .string(let x) = a, case .string(let y) = b { return order(x, y) }
        throw FoveaError(.type, "'\(op)' is not supported between \(a.typeName) and \(b.typeName)")
    }
}
