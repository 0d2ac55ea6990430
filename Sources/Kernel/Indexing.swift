/// `x[i]` and `x[a:b:c]` on lists, strings and dicts (engine values index through `FoveaObject.subscriptValue`).
/// Negative indices count from the end; slices clamp like Python's.
enum Indexing {
    /// A slice as values: each part is an int or none.
    struct Slice {
        var start: Value, stop: Value, step: Value
    }

    static func index(_ base: Value, _ index: Value) throws -> Value {
        switch base {
        case .list(let items):
            return items[try position(index, count: items.count, of: "list")]
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = ""
            out.unicodeScalars.append(scalars[try position(index, count: scalars.count, of: "string")])
            return .string(out)
        case .dict(let d):
            guard case .string(let key) = index else {
                throw FoveaError(.type, "dict keys are strings, not \(index.typeName)")
            }
            guard let v = d[key] else {
                let keys = d.keys.prefix(30).map { Repr.quote($0) }.joined(separator: ", ")
                throw FoveaError(.name, "no key \(Repr.quote(key)) in the dict\(Suggestions.hint(for: key, in: d.keys)); keys are: \(keys)")
            }
            return v
        case .object(let o):
            if let v = try o.subscriptValue(index) { return v }
            throw FoveaError(.type, "\(o.typeName) values can't be indexed")
        default:
            throw FoveaError(.type, "\(base.typeName) values can't be indexed")
        }
    }

    static func slice(_ base: Value, _ slice: Slice) throws -> Value {
        switch base {
        case .list(let items):
            return .list(try positions(slice, count: items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = ""
            for i in try positions(slice, count: scalars.count) { out.unicodeScalars.append(scalars[i]) }
            return .string(out)
        case .object(let o):
            if let v = try o.subscriptValue(.object(SliceValue(start: slice.start, stop: slice.stop, step: slice.step))) {
                return v
            }
            throw FoveaError(.type, "\(o.typeName) values can't be sliced")
        default:
            throw FoveaError(.type, "\(base.typeName) values can't be sliced")
        }
    }

    /// The element position for index `i` in a collection of `count`, or an error.
    static func position(_ index: Value, count: Int, of what: String) throws -> Int {
        let i: Int
        switch index {
        case .int(let n): i = n
        case .bool(let b): i = b ? 1 : 0
        default: throw FoveaError(.type, "\(what) indices must be integers, not \(index.typeName)")
        }
        let p = i < 0 ? count + i : i
        guard p >= 0 && p < count else {
            throw FoveaError(.value, "index \(i) is out of range for a \(what) of length \(count)" + (count > 0 ? " (valid: \(-count)…\(count - 1))" : ""))
        }
        return p
    }

    /// The positions a Python slice selects.
    static func positions(_ s: Slice, count: Int) throws -> [Int] {
        func int(_ v: Value, _ part: String) throws -> Int? {
            switch v {
            case .none: return nil
            case .int(let i): return i
            default: throw FoveaError(.type, "slice \(part) must be an integer or none, not \(v.typeName)")
            }
        }
        let step = try int(s.step, "step") ?? 1
        if step == 0 { throw FoveaError(.value, "slice step cannot be zero") }
        func clamp(_ v: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
            guard let v else { return fallback }
            let p = v < 0 ? max(count + v, low) : v
            return min(max(p, low), high)
        }
        var out: [Int] = []
        if step > 0 {
            let start = clamp(try int(s.start, "start"), 0, low: 0, high: count)
            let stop = clamp(try int(s.stop, "stop"), count, low: 0, high: count)
            var i = start
            while i < stop {
                out.append(i)
                let next = i.addingReportingOverflow(step)
                if next.overflow { break }
                i = next.partialValue
            }
        } else {
            let start = clamp(try int(s.start, "start"), count - 1, low: -1, high: count - 1)
            let stop = clamp(try int(s.stop, "stop"), -1, low: -1, high: count - 1)
            var i = start
            while i > stop {
                out.append(i)
                let next = i.addingReportingOverflow(step)
                if next.overflow { break }
                i = next.partialValue
            }
        }
        return out
    }
}

/// A slice handed to an engine value's `subscriptValue` (`data[0:64]`): `start`, `stop`, `step` are ints or none.
public struct SliceValue: FoveaObject {
    public var start: Value
    public var stop: Value
    public var step: Value
    public var typeName: String { "slice" }
    public var plainText: String { "slice(\(Repr.repr(start)), \(Repr.repr(stop)), \(Repr.repr(step)))" }

    /// The positions this slice selects in a collection of `count` elements (Python's rules).
    public func positions(count: Int) throws -> [Int] {
        try Indexing.positions(Indexing.Slice(start: start, stop: stop, step: step), count: count)
    }
}
