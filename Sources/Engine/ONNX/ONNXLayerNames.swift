/// Layer names for imported nodes, as users see them in `summary(net)`.
///
/// PyTorch's exporter names a node after the module path that produced it, one component per module
/// level, with the op type last: `/features/features.3/expand1x1/Conv`. A component of a container's
/// child repeats its parent's name (`features` → `features.3`), so the dotted module path is rebuilt by
/// letting such a component replace its parent: `features.3.expand1x1`. Nodes outside any module
/// (`/Concat`, `/Flatten`) and nodes from other exporters keep their node name (without a leading `/`).
/// When one module produces several nodes (an `F.pad` before a pooling in old opsets, a decomposed
/// layer), the last of them — the module's output — gets the plain name and the others `<name>_<op>`
/// (`pool2_pad`); any remaining clash gets `_1`, `_2`, … in import order.
struct ONNXLayerNames {
    private var used: Set<String> = []
    /// Base name → index of the last node that will carry it (see `plan`).
    private var lastNodeForBase: [String: Int] = [:]

    /// The base name of a node: its module path, else its node name without leading `/`, else `fallback`.
    static func base(forNode nodeName: String, fallback: String) -> String {
        var base = modulePath(fromNodeName: nodeName) ?? nodeName
        while base.hasPrefix("/") { base.removeFirst() }
        return base.isEmpty ? fallback : base
    }

    /// Records which node is the last to carry each base name; `nodes` are (index, node name, fallback)
    /// of the nodes that will become graph nodes.
    mutating func plan(_ nodes: [(index: Int, name: String, fallback: String)]) {
        for node in nodes { lastNodeForBase[Self.base(forNode: node.name, fallback: node.fallback)] = node.index }
    }

    /// The layer name for node `index` (see the type's documentation), reserved.
    mutating func name(forNode nodeName: String, index: Int, opType: String, fallback: String) -> String {
        let base = Self.base(forNode: nodeName, fallback: fallback)
        if let last = lastNodeForBase[base], last != index { return unique("\(base)_\(opType.lowercased())") }
        return unique(base)
    }

    /// The module path encoded in a node name, or nil when it has none.
    static func modulePath(fromNodeName name: String) -> String? {
        guard name.hasPrefix("/") else { return nil }
        var components = name.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard components.count >= 2 else { return nil }
        components.removeLast()  // the op: "Conv", "Relu_1", …
        var path: [String] = []
        for component in components {
            if let last = path.last, component.hasPrefix(last + ".") {
                path[path.count - 1] = component
            } else {
                path.append(component)
            }
        }
        return path.joined(separator: ".")
    }

    /// `base`, or `base_1`, `base_2`, … whichever is not taken yet; reserves it.
    mutating func unique(_ base: String) -> String {
        var candidate = base
        var k = 1
        while used.contains(candidate) {
            candidate = "\(base)_\(k)"
            k += 1
        }
        used.insert(candidate)
        return candidate
    }

    /// Marks names (graph inputs) as taken.
    mutating func reserve(_ name: String) { used.insert(name) }
}
