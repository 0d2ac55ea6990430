import Foundation
import Protocol

/// The verbs every session has: output, help, timing and randomness. Other verb groups follow this pattern.
public enum CoreVerbs {
    public static let category = "Basics"

    public static var all: [Verb] { [print, warn, show, clear, help, sleep, seed, len, type, requires] }

    static let print = Verb(
        "print", category: category, summary: "Write values to standard output (a `stream` message).",
        parameters: [
            Parameter("values", .any, variadic: true, doc: "the values to write; strings are written without quotes"),
            Parameter("sep", .string, default: .string(" "), doc: "written between values"),
        ],
        doc: "Each value is written as `str` would in Python, separated by `sep` and followed by a newline.",
        example: "print(\"hello\", 42)"
    ) { args, context in
        context.print(try line(args))
        return .none
    }

    static let warn = Verb(
        "warn", category: category, summary: "Write values to standard error (shown highlighted by most front ends).",
        parameters: [
            Parameter("values", .any, variadic: true, doc: "the values to write"),
            Parameter("sep", .string, default: .string(" "), doc: "written between values"),
        ],
        example: "warn(\"careful:\", 3, \"images skipped\")"
    ) { args, context in
        context.warn(try line(args))
        return .none
    }

    private static func line(_ args: Arguments) throws -> String {
        args.rest.map { Repr.str($0) }.joined(separator: try args.string("sep")) + "\n"
    }

    static let show = Verb(
        "show", category: category, summary: "Display a value at once (`display_data`), with all its rich forms.",
        parameters: [Parameter("value", .any, doc: "what to display")],
        doc: "Unlike a cell's result, `show` can be used anywhere in a cell and several times.",
        example: "show(image(\"sample:chelsea\"))"
    ) { args, context in
        try context.display(args["value"])
        return .none
    }

    static let clear = Verb(
        "clear", category: category, summary: "Clear the cell's output (`clear_output`).",
        parameters: [Parameter("wait", .bool, default: .bool(false),
                               doc: "wait until new output arrives before clearing (avoids flicker in loops)")],
        example: "clear()"
    ) { args, context in
        context.output.clearOutput(wait: try args.bool("wait"))
        return .none
    }

    static let help = Verb(
        "help", category: category, summary: "Show a verb's documentation (or a value's summary) in the pager.",
        parameters: [Parameter("topic", .any, default: Value.none,
                               doc: "a verb (`help(saliency)`), its name as a string, or any value; none lists all verbs")],
        doc: "`?saliency` and `saliency?` do the same.",
        example: "help(print)"
    ) { args, context in
        context.page(try helpText(args["topic"], context: context, span: args.spans["topic"]))
        return .none
    }

    static func helpText(_ topic: Value, context: VerbContext, span: SourceSpan?) throws -> String {
        switch topic {
        case .none:
            return overview(context.registry)
        case .string(let name):
            if let verb = context.registry[name] { return verb.helpText }
            if let value = context.names[name] { return Interpreter.summary(of: value, name: name) }
            let hint = Suggestions.hint(for: name, in: context.registry.names)
            throw FoveaError(.name, "no verb named \"\(name)\"\(hint)", at: span)
        default:
            if let v = topic.object(as: VerbValue.self) { return v.verb.helpText }
            return Interpreter.summary(of: topic, name: "value")
        }
    }

    /// All verbs by category, one line each.
    static func overview(_ registry: VerbRegistry) -> String {
        var lines = ["Fovea verbs (help(verb) or ?verb for details):"]
        var categories: [String] = []
        for name in registry.names {
            if let c = registry[name]?.category, !categories.contains(c) { categories.append(c) }
        }
        for c in categories {
            lines += ["", c + ":"]
            for name in registry.names {
                guard let v = registry[name], v.category == c else { continue }
                lines.append("  \(v.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(v.summary)")
            }
        }
        return lines.joined(separator: "\n")
    }

    static let sleep = Verb(
        "sleep", category: category, summary: "Wait for a number of seconds; an interrupt stops it at once.",
        parameters: [Parameter("seconds", .number, min: 0, max: 86_400, doc: "how long to wait")],
        doc: "Handy for testing interrupts and long-running cells.",
        example: "sleep(0.5)"
    ) { args, context in
        try context.interruption.sleep(seconds: try args.double("seconds"))
        return .none
    }

    static let seed = Verb(
        "seed", category: category, summary: "Seed the session's random numbers so results repeat exactly.",
        parameters: [Parameter("n", .integer, min: 0, doc: "the seed")],
        doc: "Every verb that makes a random choice draws from the session's generator unless it is given its own `seed`.",
        example: "seed(0)"
    ) { args, context in
        context.reseed(UInt64(try args.int("n")))
        return .none
    }

    static let len = Verb(
        "len", category: category, summary: "The number of elements of a list, string, dict or collection value.",
        parameters: [Parameter("value", .any, doc: "a list, string, dict, dataset, …")],
        returns: "int",
        example: "len([1, 2, 3])"
    ) { args, context in
        switch args["value"] {
        case .list(let l): return .int(l.count)
        case .string(let s): return .int(s.unicodeScalars.count)
        case .dict(let d): return .int(d.count)
        case .object(let o):
            if let n = o.count { return .int(n) }
            throw args.error("value", "\(o.typeName) has no length", kind: .type)
        case let other:
            throw args.error("value", "\(other.typeName) has no length", kind: .type)
        }
    }

    static let type = Verb(
        "type", category: category, summary: "The name of a value's type, as a string.",
        parameters: [Parameter("value", .any, doc: "any value")],
        returns: "string",
        example: "type(1.5)"
    ) { args, _ in
        .string(args["value"].typeName)
    }

    static let requires = Verb(
        "requires", category: category, summary: "Skip the rest of the cell, without an error, unless a file exists.",
        parameters: [
            Parameter("path", .path, doc: "the file the rest of the cell needs (relative to the kernel's working directory)"),
            Parameter("hint", .string, default: Value.none, doc: "how to get the file, printed when it is missing"),
        ],
        doc: """
        When the file exists, `requires` returns none and the cell goes on. Otherwise it prints one line \
        (`skipped: <path> not found — <hint>`) and stops the cell there with status ok: no error output, so \
        a notebook with optional cells (an ImageNet model you export yourself) still runs headless.
        """,
        example: "requires(\"imagenet/squeezenet1_1.onnx\", hint=\"see the README\")\nmodel(\"imagenet/squeezenet1_1.onnx\")"
    ) { args, context in
        let path = try args.string("path")
        var isDirectory: ObjCBool = false
        let url = context.resolve(path: path)
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            return .none
        }
        var line = "skipped: \(path) not found"
        if case .string(let hint) = args["hint"], !hint.isEmpty { line += " — \(hint)" }
        context.print(line + "\n")
        throw CellStop()
    }
}
