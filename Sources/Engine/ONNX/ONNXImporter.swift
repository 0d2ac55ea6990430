import Foundation

/// Turns a decoded ONNX `ModelProto` into an engine `Graph`, one node at a time.
///
/// - Initializers and `Constant` nodes become known constants. A node whose inputs are all constants is
///   evaluated on the spot (constant folding: the Shape/Gather/Concat/Cast chains PyTorch emits for
///   `F.pad` or `view`), so only real layers remain; the folded constants that layers consume become
///   graph initializers.
/// - Every other node becomes a graph node named after its module path (`ONNXLayerNames`); its first
///   output value takes the node's name, so layer names double as tap names.
/// - The per-operator translation (attributes, opset differences, what is supported) is in
///   `ONNXOperatorTable`.
struct ONNXImporter {
    let model: Onnx_ModelProto
    /// Version of the default operator set the model imports.
    private(set) var opset = 0
    /// Values whose contents are known at import time, by ONNX value name.
    private(set) var constants: [String: Tensor] = [:]
    /// ONNX value name → graph value name, for values computed at run time.
    private var runtimeNames: [String: String] = [:]
    /// ONNX constant value name → graph initializer name, for constants that runtime nodes read.
    private var initializerNames: [String: String] = [:]
    private var names = ONNXLayerNames()
    private(set) var graph: Graph

    /// Operator-set versions this importer implements.
    static let supportedOpsets = 9...21

    init(model: Onnx_ModelProto) throws {
        self.model = model
        graph = try Graph()
    }

    mutating func run() throws -> ONNXModel {
        opset = try Self.defaultOpset(of: model)
        let g = model.graph
        for tensor in g.initializer {
            constants[tensor.name] = try ONNXTensorCoding.decode(tensor)
        }
        for sparse in g.sparseInitializer {
            throw ModelError(.unsupported, "sparse initializer '\(sparse.values.name)' is not supported")
        }
        try declareInputs(g)
        planNames(g)
        for (index, node) in g.node.enumerated() {
            try importNode(node, index: index)
        }
        try declareOutputs(g)
        try graph.validate()
        var description = try ModelDescription(parsing: Dictionary(
            model.metadataProps.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }))
        description.opset = opset
        let producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        description.producer = producer.isEmpty ? nil : producer
        return ONNXModel(graph: graph, description: description)
    }

    /// The version of the "" / "ai.onnx" domain, checked against `supportedOpsets`.
    static func defaultOpset(of model: Onnx_ModelProto) throws -> Int {
        // IR version < 3 files had no opset_import and mean opset 1.
        let entry = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        let version = entry.map { Int($0.version) } ?? 1
        guard supportedOpsets.contains(version) else {
            throw ModelError(.unsupported, "opset \(version) is not supported (supported: opsets "
                + "\(supportedOpsets.lowerBound)–\(supportedOpsets.upperBound); convert the model with "
                + "onnx.version_converter or re-export it with opset_version=17)")
        }
        return version
    }

    // MARK: Inputs and outputs

    private mutating func declareInputs(_ g: Onnx_GraphProto) throws {
        for initializer in g.initializer { names.reserve(initializer.name) }
        var inputs: [Graph.Input] = []
        for value in g.input where constants[value.name] == nil {
            // Old IR versions list initializers among the inputs too; those are constants, not feeds.
            let shape = try Self.shape(of: value)
            inputs.append(Graph.Input(name: value.name, shape: shape))
            names.reserve(value.name)
            runtimeNames[value.name] = value.name
        }
        guard !inputs.isEmpty else { throw ModelError(.invalid, "the graph has no inputs") }
        graph.inputs = inputs
    }

    /// Declared shape of a graph input; symbolic or missing extents (the batch) are `nil`.
    private static func shape(of value: Onnx_ValueInfoProto) throws -> [Int?] {
        guard value.hasType, case .tensorType(let tensorType)? = value.type.value else {
            throw ModelError(.unsupported, "graph input '\(value.name)' is not a tensor (sequences and maps "
                + "are not supported)")
        }
        let elem = Onnx_TensorProto.DataType(rawValue: Int(tensorType.elemType))
        guard elem == .float || elem == .double || elem == .float16 else {
            throw ModelError(.unsupported, "graph input '\(value.name)' has element type "
                + "\(elem.map { "\($0)" } ?? "\(tensorType.elemType)") (supported: float)")
        }
        guard tensorType.hasShape else { return [nil, nil, nil, nil] }
        return tensorType.shape.dim.map { dim in
            if case .dimValue(let v)? = dim.value, v > 0 { return Int(v) }
            return nil
        }
    }

    private mutating func declareOutputs(_ g: Onnx_GraphProto) throws {
        var outputs: [String] = []
        for value in g.output {
            if let name = runtimeNames[value.name] {
                outputs.append(name)
            } else if constants[value.name] != nil {
                throw ModelError(.unsupported, "graph output '\(value.name)' is a constant that does not depend "
                    + "on the input")
            } else {
                throw ModelError(.invalid, "graph output '\(value.name)' is not produced by any node")
            }
        }
        guard !outputs.isEmpty else { throw ModelError(.invalid, "the graph has no outputs") }
        graph.outputs = outputs
    }

    // MARK: Nodes

    /// Predicts which nodes will survive constant folding (those reading a run-time value) so that
    /// `ONNXLayerNames` can give a module's last node its plain name.
    private mutating func planNames(_ g: Onnx_GraphProto) {
        var known = Set(constants.keys)
        var survivors: [(index: Int, name: String, fallback: String)] = []
        for (index, node) in g.node.enumerated() {
            if node.opType == "Constant" || node.input.allSatisfy({ $0.isEmpty || known.contains($0) }) {
                known.formUnion(node.output)
            } else {
                survivors.append((index, node.name, node.output.first ?? node.opType))
            }
        }
        names.plan(survivors)
    }

    private mutating func importNode(_ node: Onnx_NodeProto, index: Int) throws {
        let reader = ONNXNodeReader(node, opset: opset)
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw reader.error(.unsupported, "operators of domain '\(node.domain)' are not supported "
                + "(supported: the default ONNX domain)")
        }
        for input in node.input where !input.isEmpty && constants[input] == nil && runtimeNames[input] == nil {
            throw reader.error(.invalid, "input '\(input)' is not defined before this node")
        }
        let translation = try ONNXOperatorTable.translate(reader, importer: self)
        switch translation {
        case .constant(let values):
            for (name, value) in zip(node.output, values) where !name.isEmpty { constants[name] = value }
        case .node(let op, let inputs):
            if inputs.allSatisfy({ $0.isEmpty || constants[$0] != nil }) {
                // A fold that fails leaves the node to run time (and its errors to validation), except a fold
                // over the memory budget: run time would allocate the same.
                var folded: [Tensor]?
                do { folded = try fold(op, inputs) } catch let error as ResourceLimitError { throw error } catch {}
                if let folded {
                    for (name, value) in zip(node.output, folded) where !name.isEmpty { constants[name] = value }
                    return
                }
            }
            try addNode(reader, index: index, op: op, inputs: inputs)
        }
    }

    /// Evaluates an operator whose inputs are all known.
    /// Output shapes are computed and checked against the memory budget first: a ConstantOfShape or Expand in a
    /// corrupt file may ask for exabytes.
    private func fold(_ op: any Operator, _ inputs: [String]) throws -> [Tensor] {
        let values = inputs.map { $0.isEmpty ? nil : constants[$0] }
        for shape in try op.outputShapes(values.map { $0?.shape }, values: values) {
            try ResourceLimits.checkTensor(shape: shape, what: "folding a constant of shape \(shape)")
        }
        return try op.forward(values)
    }

    private mutating func addNode(_ reader: ONNXNodeReader, index: Int, op: any Operator, inputs: [String]) throws {
        let node = reader.node
        let layer = names.name(forNode: node.name, index: index, opType: node.opType,
                               fallback: node.output.first ?? node.opType)
        var graphInputs: [String] = []
        for (position, input) in inputs.enumerated() {
            if input.isEmpty {
                graphInputs.append("")
            } else if let name = runtimeNames[input] {
                graphInputs.append(name)
            } else if let value = constants[input] {
                graphInputs.append(initializerName(for: input, value: value,
                                                   trainable: ONNXOperatorTable.isParameter(op: node.opType, input: position)))
            } else {
                throw reader.error(.invalid, "input '\(input)' is not defined before this node")
            }
        }
        var outputs: [String] = []
        for (k, output) in node.output.enumerated() {
            if output.isEmpty { outputs.append(""); continue }
            let name = k == 0 ? layer : names.unique("\(layer):\(k)")
            outputs.append(name)
            runtimeNames[output] = name
        }
        do {
            try graph.addNode(layer, op, inputs: graphInputs, outputs: outputs)
        } catch let error as GraphError {
            throw reader.error(.invalid, error.message)
        }
    }

    /// The graph initializer holding a constant: the ONNX name when free (`features.0.weight`), else unique.
    private mutating func initializerName(for value: String, value tensor: Tensor, trainable: Bool) -> String {
        if let name = initializerNames[value] {
            if trainable { graph.trainable.insert(name) }
            return name
        }
        let name: String
        if graph.initializers[value] == nil, runtimeNames[value] == nil, !graph.hasValue(value) {
            name = value
            names.reserve(value)
        } else {
            name = names.unique(value)
        }
        graph.addInitializer(name, tensor, trainable: trainable)
        initializerNames[value] = name
        return name
    }

    // MARK: Queries for operator translations

    /// The contents of an input known at import time (initializer, Constant, folded), or nil.
    func constant(_ name: String) -> Tensor? { name.isEmpty ? nil : constants[name] }
}
