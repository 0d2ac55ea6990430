/// Imported ONNX networks become `Model`s like the built-in ones, so every verb treats them alike.
extension Model {
    /// Wraps an imported graph. Preprocessing comes from the file's metadata when present; otherwise the
    /// input is fed as is (mean 0, std 1) until the user supplies `mean`/`std` (`model(path, mean=…)`).
    /// Input size: the metadata's, else the graph input's fixed extents, else any size.
    public init(onnx: ONNXModel, name: String) {
        let declared = onnx.graph.inputs.first?.shape ?? []
        let channels = declared.count == 4 ? (declared[1] ?? 3) : 3
        let size = onnx.description.inputSize
        let height = size?[0] ?? (declared.count == 4 ? declared[2] : nil)
        let width = size?[1] ?? (declared.count == 4 ? declared[3] : nil)
        let preprocessing = Preprocessing(channels: channels, inputHeight: height, inputWidth: width,
                                          mean: onnx.description.mean ?? [0], std: onnx.description.std ?? [1],
                                          classNames: onnx.description.classes ?? [])
        self.init(name: name, graph: onnx.graph, preprocessing: preprocessing, input: onnx.inputName,
                  output: onnx.graph.outputs.first)
    }
}
