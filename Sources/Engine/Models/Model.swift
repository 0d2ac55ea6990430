/// A network the notebook can use: a `Graph` of named layers with one image input and one output, plus the
/// preprocessing that turns [0, 1] pictures into what the graph expects.
///
/// Built-in architectures (`Model.architecture`), the cached `fashion-cnn` (`Model.pretrained`), trained
/// models (`Trainer`) and ONNX imports are all `Model`s. `architecture` records which built-in recipe made the
/// graph (nil for imports) so weights saved as safetensors can be loaded back into it.
public struct Model: Sendable {
    public var name: String
    public var graph: Graph
    public var preprocessing: Preprocessing
    /// The graph input fed with normalised images.
    public var input: String
    /// The graph output (logits for classifiers).
    public var output: String
    /// The built-in architecture name, if any ("fashion-cnn", "lenet", "mlp", "random-multiscale").
    public var architecture: String?
    /// Layers a texture/style verb should use by default (Gram matrices), first to last.
    public var styleLayers: [String]
    /// The layer a content loss should use by default.
    public var contentLayer: String?

    public init(name: String, graph: Graph, preprocessing: Preprocessing, input: String = "input",
                output: String? = nil, architecture: String? = nil, styleLayers: [String] = [],
                contentLayer: String? = nil) {
        self.name = name
        self.graph = graph
        self.preprocessing = preprocessing
        self.input = input
        self.output = output ?? graph.outputs.first ?? ""
        self.architecture = architecture
        self.styleLayers = styleLayers
        self.contentLayer = contentLayer
    }

    /// Node names in graph order: what `layer=` arguments accept.
    public var layerNames: [String] { graph.nodes.map(\.name) }

    /// The trainable parameters by name (e.g. `conv1.weight`).
    public var parameters: [String: Tensor] {
        graph.initializers.filter { graph.trainable.contains($0.key) }
    }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters.values.reduce(0) { $0 + $1.count } }

    /// Replaces parameter values by name (shapes must match); unknown names are a `DataError`.
    public mutating func setParameters(_ values: [String: Tensor]) throws {
        for (name, tensor) in values.sorted(by: { $0.key < $1.key }) {
            guard let current = graph.initializers[name] else {
                throw DataError(.invalidArgument, "model \(self.name) has no parameter named '\(name)'")
            }
            guard current.shape == tensor.shape else {
                throw DataError(.invalidArgument, "parameter '\(name)' of \(self.name) has shape \(current.shape), the file has \(tensor.shape)")
            }
            graph.initializers[name] = tensor
        }
    }

    /// Logits for a batch of [0, 1] images [N, C, H, W] (normalised with the model's preprocessing).
    public func logits(_ images: Tensor, interruption: Interruption? = nil) throws -> Tensor {
        let result = try graph.run([input: preprocessing.normalize(images)], fetch: [output], interruption: interruption)
        guard let logits = result[output] else { throw GraphError("model \(name) computed no output") }
        return logits
    }
}
