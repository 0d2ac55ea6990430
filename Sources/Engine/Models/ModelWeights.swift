import Foundation

/// Saving and loading a built-in architecture's weights as safetensors. The file's metadata records the
/// architecture, its preprocessing (JSON) and free-form notes, so `Model.load(weights:)` can rebuild the
/// model without being told what it is.
extension Model {
    /// Writes the trainable parameters (names like `conv1.weight`) atomically.
    public func saveWeights(to path: String, notes: [String: String] = [:]) throws {
        var metadata = notes
        metadata["fovea.architecture"] = architecture ?? ""
        metadata["fovea.name"] = name
        if let json = try? JSONEncoder().encode(preprocessing) { metadata["fovea.preprocessing"] = String(decoding: json, as: UTF8.self) }
        try Safetensors.write(Safetensors.File(tensors: parameters, metadata: metadata), to: path)
    }

    /// Loads weights into the built-in `architecture` (default: the one named in the file's metadata),
    /// built for the file's recorded preprocessing. Throws `DataError` if the file does not fit.
    public static func load(weights path: String, architecture: String? = nil) throws -> Model {
        let file = try Safetensors.read(path)
        guard let arch = architecture ?? file.metadata["fovea.architecture"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw DataError(.invalidArgument, "\(path) does not say which architecture its weights are for; pass one of: \(architectureNames.joined(separator: ", "))")
        }
        var preprocessing: Preprocessing?
        if let json = file.metadata["fovea.preprocessing"] {
            preprocessing = try? JSONDecoder().decode(Preprocessing.self, from: Data(json.utf8))
        }
        let spec = preprocessing.map {
            InputSpec(channels: $0.channels, height: $0.inputHeight ?? 28, width: $0.inputWidth ?? 28, classNames: $0.classNames)
        } ?? inferSpec(file.tensors, architecture: arch)
        var model = try Model.architecture(arch, input: spec, seed: 0)
        if let preprocessing { model.preprocessing = preprocessing }
        let expected = Set(model.graph.initializers.keys.filter { model.graph.trainable.contains($0) || arch == "random-multiscale" })
        let missing = expected.subtracting(file.tensors.keys).sorted()
        guard missing.isEmpty else {
            throw DataError(.invalidArgument, "\(path) lacks \(missing.joined(separator: ", ")) for architecture \(arch)")
        }
        do {
            try model.setParameters(file.tensors.filter { expected.contains($0.key) })
        } catch let error as DataError {
            throw DataError(error.kind, "\(path): \(error.message)")
        }
        if let name = file.metadata["fovea.name"], !name.isEmpty { model.name = name }
        return model
    }

    /// A best guess of the input for weights without metadata: Fashion-MNIST geometry, classes from the
    /// last layer's bias.
    private static func inferSpec(_ tensors: [String: Tensor], architecture: String) -> InputSpec {
        let last = ["fc3.bias", "fc2.bias"].compactMap { tensors[$0] }.first
        let classes = last?.count ?? 10
        let channels = tensors["conv1.weight"]?.shape[1] ?? 1
        return InputSpec(channels: channels, height: 28, width: 28,
                         classNames: classes == 10 && channels == 1 ? FashionMNIST.classNames : (0..<classes).map(String.init))
    }
}
