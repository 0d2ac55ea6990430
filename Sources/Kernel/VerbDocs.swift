/// `docs/verbs.md`, generated from the registry so the reference can't drift from the code
/// (a test compares the file with this output; `FOVEA_UPDATE_DOCS=1` rewrites it).
extension VerbRegistry {
    public func markdown() -> String {
        var out = """
        # Fovea verbs

        Generated from the verb registry (`Sources/Kernel`); do not edit by hand. Run the KernelTests with
        `FOVEA_UPDATE_DOCS=1` to regenerate. In a notebook, `help(verb)` or `?verb` shows the same text.

        """
        var categories: [String] = []
        for name in order { if let c = verbs[name]?.category, !categories.contains(c) { categories.append(c) } }
        for category in categories {
            out += "\n## \(category)\n"
            for name in order {
                guard let verb = verbs[name], verb.category == category else { continue }
                out += "\n### `\(verb.name)`\n\n```\n\(verb.signature)\n```\n\n\(verb.summary)\n"
                if !verb.doc.isEmpty { out += "\n\(verb.doc)\n" }
                if !verb.parameters.isEmpty {
                    out += "\n| parameter | type | default | description |\n| --- | --- | --- | --- |\n"
                    for p in verb.parameters {
                        let d = p.variadic ? "any number" : p.defaultValue.map { "`\(Repr.repr($0))`" } ?? "required"
                        out += "| `\(p.name)` | \(cell(p.constraintText)) | \(d) | \(cell(p.doc)) |\n"
                    }
                }
                out += "\nExample:\n\n```python\n\(verb.example)\n```\n"
            }
        }
        return out
    }

    /// The README's verb table (between `<!-- verbs:begin -->` and `<!-- verbs:end -->`): one line per verb, its
    /// summary, linked to its entry in docs/verbs.md. Generated like docs/verbs.md so the README can't list a verb
    /// that is gone or miss a new one (RegistryTests compares the README with this output).
    public func readmeTable() -> String {
        var out = "| verb | what it does |\n| --- | --- |\n"
        for name in order {
            guard let verb = verbs[name] else { continue }
            out += "| [`\(verb.name)`](docs/verbs.md#\(verb.name)) | \(cell(verb.summary)) |\n"
        }
        return out
    }

    private func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
