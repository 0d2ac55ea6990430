import Foundation
import SwiftProtobuf

/// Writes an engine `Graph` as an ONNX model (opset 17), so models built or trained in the kernel open
/// in onnxruntime, Netron or PyTorch.
///
/// Every engine operator has ONNX semantics, so each node maps to one ONNX node. What differs is only
/// the form: opset 17 wants Squeeze/Unsqueeze axes, Clip bounds, Pad pads and Reshape's shape as inputs,
/// and integer inputs (shapes, axes, indices) as int64 tensors, while the engine keeps them as attributes
/// and float32. Node names are written as `/<layer>/<Op>`, which the importer reads back as `<layer>`.
enum ONNXExporter {
    static let opset = 17
    static let irVersion: Int64 = 8

    /// The serialized model.
    /// - Throws: `ModelError.unsupported` for an operator with no ONNX form, `ModelError.invalid` for a
    ///   graph that does not validate.
    static func export(_ graph: Graph, description: ModelDescription = ModelDescription(),
                       name: String = "fovea") throws -> Data {
        var writer = Writer(graph: graph)
        let proto = try writer.model(description: description, name: name)
        return try proto.serializedBytes()
    }

    private struct Writer {
        let graph: Graph
        var nodes: [Onnx_NodeProto] = []
        var extraInitializers: [Onnx_TensorProto] = []
        /// Values holding integers at run time (outputs of Shape and what is computed from them).
        var integerValues: Set<String> = []
        /// Initializers that some node needs as int64.
        var integerInitializers: Set<String> = []
        var usedNames: Set<String>
        /// Value shapes at batch 1, when shape inference succeeds (only needed for old-style Softmax).
        let shapes: [String: [Int]]?

        init(graph: Graph) {
            self.graph = graph
            shapes = try? graph.inferShapes()
            usedNames = Set(graph.initializers.keys).union(graph.inputs.map(\.name))
            for node in graph.nodes { usedNames.formUnion(node.outputs) }
        }

        mutating func model(description: ModelDescription, name: String) throws -> Onnx_ModelProto {
            do { try graph.validate() } catch { throw ModelError(.invalid, "cannot export: \(error)") }
            for index in try graph.topologicalOrder() { try export(graph.nodes[index]) }

            var g = Onnx_GraphProto()
            g.name = name
            g.node = nodes
            g.input = graph.inputs.map { input in
                valueInfo(input.name, dims: input.shape)
            }
            // Output shapes from shape inference at batch 1, with the batch symbolic when the input's is.
            // Inputs of any size (fully convolutional graphs) make the outputs' spatial axes symbolic too.
            let dynamicBatch = graph.inputs.first?.shape.first.map { $0 == nil } ?? false
            let dynamicSize = graph.inputs.first?.shape.dropFirst().contains { $0 == nil } ?? false
            g.output = graph.outputs.map { name in
                let dims: [Int?]? = shapes?[name].map { shape in
                    shape.enumerated().map { axis, extent in
                        (axis == 0 && dynamicBatch) || (axis >= 2 && dynamicSize) ? nil : extent
                    }
                }
                return valueInfo(name, dims: dims ?? [])
            }
            var initializers: [Onnx_TensorProto] = []
            let consumed = Set(graph.nodes.flatMap(\.inputs))
            for key in graph.initializers.keys.sorted() where consumed.contains(key) {
                guard let tensor = graph.initializers[key] else { continue }
                if integerInitializers.contains(key) {
                    initializers.append(ONNXTensorCoding.encodeInt64(tensor.scalars.map { Int($0) }, shape: tensor.shape,
                                                                     name: key))
                } else {
                    initializers.append(ONNXTensorCoding.encode(tensor, name: key))
                }
            }
            g.initializer = initializers + extraInitializers

            var m = Onnx_ModelProto()
            m.irVersion = irVersion
            m.producerName = "fovea"
            m.producerVersion = EngineInfo.version
            var opsetID = Onnx_OperatorSetIdProto()
            opsetID.domain = ""
            opsetID.version = Int64(opset)
            m.opsetImport = [opsetID]
            m.graph = g
            m.metadataProps = description.metadataProperties.sorted { $0.key < $1.key }.map { key, value in
                var entry = Onnx_StringStringEntryProto()
                entry.key = key
                entry.value = value
                return entry
            }
            return m
        }

        private func valueInfo(_ name: String, dims: [Int?]?) -> Onnx_ValueInfoProto {
            var tensorType = Onnx_TypeProto.Tensor()
            tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            if let dims {
                var shape = Onnx_TensorShapeProto()
                shape.dim = dims.enumerated().map { axis, extent in
                    var d = Onnx_TensorShapeProto.Dimension()
                    if let extent { d.dimValue = Int64(extent) } else { d.dimParam = axis == 0 ? "batch" : "d\(axis)" }
                    return d
                }
                tensorType.shape = shape
            }
            var type = Onnx_TypeProto()
            type.tensorType = tensorType
            var info = Onnx_ValueInfoProto()
            info.name = name
            info.type = type
            return info
        }

        private mutating func fresh(_ base: String) -> String {
            var candidate = base
            var k = 1
            while usedNames.contains(candidate) {
                candidate = "\(base)_\(k)"
                k += 1
            }
            usedNames.insert(candidate)
            return candidate
        }

        /// A new int64 initializer (axes, pads, shapes that the engine keeps as attributes).
        private mutating func int64Constant(_ values: [Int], for node: String, _ what: String) -> String {
            let name = fresh("\(node).\(what)")
            extraInitializers.append(ONNXTensorCoding.encodeInt64(values, name: name))
            return name
        }

        /// A new float initializer holding a scalar.
        private mutating func floatConstant(_ value: Float, for node: String, _ what: String) -> String {
            let name = fresh("\(node).\(what)")
            extraInitializers.append(ONNXTensorCoding.encode(Tensor(scalar: value), name: name))
            return name
        }

        /// Marks input `position` of a node as integer-typed: an initializer there is written as int64.
        private mutating func integerInput(_ inputs: [String], _ position: Int) {
            guard position < inputs.count else { return }
            let name = inputs[position]
            if graph.initializers[name] != nil { integerInitializers.insert(name) }
        }

        private mutating func export(_ node: Node) throws {
            var n = Onnx_NodeProto()
            n.name = "/\(node.name)/\(node.op.opType)"
            n.opType = node.op.opType
            n.input = node.inputs
            n.output = node.outputs
            let unsupported = ModelError(.unsupported, "operator '\(node.op.opType)' cannot be exported to ONNX",
                                         node: node.name, opType: node.op.opType)
            // Integer-ness flows from Shape through the shape-arithmetic ops.
            let anyIntegerInput = node.inputs.contains { integerValues.contains($0) }
            var producesIntegers = false

            switch node.op {
            case let op as Conv:
                n.attribute = [ints("strides", op.strides), ints("dilations", op.dilations), int("group", op.group)]
                n.attribute += padding(op.pads, op.autoPad)
                if let k = op.kernelShape { n.attribute.append(ints("kernel_shape", k)) }
            case let op as MaxPool:
                n.attribute = [ints("kernel_shape", op.kernelShape), ints("strides", op.strides ?? [1, 1]),
                               ints("dilations", op.dilations ?? [1, 1]), int("ceil_mode", op.ceilMode ? 1 : 0)]
                n.attribute += padding(op.pads, op.autoPad)
            case let op as AveragePool:
                n.attribute = [ints("kernel_shape", op.kernelShape), ints("strides", op.strides ?? [1, 1]),
                               int("ceil_mode", op.ceilMode ? 1 : 0), int("count_include_pad", op.countIncludePad ? 1 : 0)]
                n.attribute += padding(op.pads, op.autoPad)
            case is GlobalAveragePool, is Relu, is Sigmoid, is Tanh, is Identity, is MatMul:
                break
            case let op as LeakyRelu:
                n.attribute = [float("alpha", op.alpha)]
            case let op as Clip where node.inputs.count == 1:
                n.input = [node.inputs[0],
                           op.min.isFinite ? floatConstant(op.min, for: node.name, "min") : "",
                           op.max.isFinite ? floatConstant(op.max, for: node.name, "max") : ""]
                while n.input.last == "" { n.input.removeLast() }
            case is Clip:
                break  // bounds already given as inputs
            case let op as Gemm:
                n.attribute = [float("alpha", op.alpha), float("beta", op.beta), int("transA", op.transA ? 1 : 0),
                               int("transB", op.transB ? 1 : 0)]
            case let op as BatchNormalization:
                n.attribute = [float("epsilon", op.epsilon)]
            case let op as InstanceNormalization:
                n.attribute = [float("epsilon", op.epsilon)]
            case let op as Resize:
                // No roi; float scales; PyTorch's nn.Upsample(mode="nearest") attributes.
                let scales = fresh("\(node.name).scales")
                extraInitializers.append(ONNXTensorCoding.encode(Tensor(shape: [op.scales.count], data: op.scales.map(Float.init)),
                                                                 name: scales))
                n.input = [node.inputs[0], "", scales]
                n.attribute = [string("mode", "nearest"), string("coordinate_transformation_mode", "asymmetric"),
                               string("nearest_mode", "floor")]
            case is Dropout:
                n.input = [node.inputs[0]]
            case let op as LRN:
                n.attribute = [int("size", op.size), float("alpha", op.alpha), float("beta", op.beta), float("bias", op.bias)]
            case let op as Concat:
                n.attribute = [int("axis", op.axis)]
                producesIntegers = anyIntegerInput
                if producesIntegers { for i in node.inputs.indices { integerInput(node.inputs, i) } }
            case is Add, is Sub, is Mul, is Div:
                producesIntegers = anyIntegerInput
                if producesIntegers { integerInput(node.inputs, 0); integerInput(node.inputs, 1) }
            case let op as Flatten:
                n.attribute = [int("axis", op.axis)]
            case let op as Reshape:
                if node.inputs.count < 2 || node.inputs[1].isEmpty {
                    guard let shape = op.shape else { throw unsupported }
                    n.input = [node.inputs[0], int64Constant(shape, for: node.name, "shape")]
                } else {
                    integerInput(node.inputs, 1)
                }
                if op.allowZero { n.attribute = [int("allowzero", 1)] }
                producesIntegers = integerValues.contains(node.inputs[0])
            case let op as Transpose:
                if let perm = op.perm { n.attribute = [ints("perm", perm)] }
                producesIntegers = anyIntegerInput
            case let op as Gather:
                n.attribute = [int("axis", op.axis)]
                integerInput(node.inputs, 1)
                producesIntegers = integerValues.contains(node.inputs[0])
            case let op as Unsqueeze:
                if node.inputs.count < 2, let axes = op.axes {
                    n.input = [node.inputs[0], int64Constant(axes, for: node.name, "axes")]
                } else { integerInput(node.inputs, 1) }
                producesIntegers = integerValues.contains(node.inputs[0])
            case let op as Squeeze:
                if node.inputs.count < 2, let axes = op.axes {
                    n.input = [node.inputs[0], int64Constant(axes, for: node.name, "axes")]
                } else { integerInput(node.inputs, 1) }
                producesIntegers = integerValues.contains(node.inputs[0])
            case let op as Softmax where !op.legacyFlatten:
                n.attribute = [int("axis", op.axis)]
            case let op as LogSoftmax where !op.legacyFlatten:
                n.attribute = [int("axis", op.axis)]
            case let op as Softmax:
                if let axis = lastAxis(node, op.axis) { n.attribute = [int("axis", axis)] } else {
                    legacySoftmax(node, axis: op.axis)
                    return
                }
            case let op as LogSoftmax:
                if let axis = lastAxis(node, op.axis) { n.attribute = [int("axis", axis)] } else {
                    legacySoftmax(node, axis: op.axis)
                    return
                }
            case let op as Pad:
                if let pads = op.pads, node.inputs.count == 1 {
                    n.input = [node.inputs[0], int64Constant(pads, for: node.name, "pads")]
                    if op.value != 0 { n.input.append(floatConstant(op.value, for: node.name, "value")) }
                } else {
                    integerInput(node.inputs, 1)
                    integerInput(node.inputs, 3)
                }
                if op.mode != .constant { n.attribute = [string("mode", op.mode.rawValue)] }
            case let op as Shape:
                if op.start != 0 { n.attribute.append(int("start", op.start)) }
                if let end = op.end { n.attribute.append(int("end", end)) }
                producesIntegers = true
            case let op as Constant:
                n.input = []
                var attribute = Onnx_AttributeProto()
                attribute.name = "value"
                attribute.type = .tensor
                attribute.t = ONNXTensorCoding.encode(op.value, name: "")
                n.attribute = [attribute]
            case let op as ONNXCast:
                let to: Onnx_TensorProto.DataType = op.target == .float ? .float : op.target == .integer ? .int64 : .bool
                n.attribute = [int("to", to.rawValue)]
                producesIntegers = op.target == .integer
            case let op as ONNXConstantOfShape:
                integerInput(node.inputs, 0)
                var attribute = Onnx_AttributeProto()
                attribute.name = "value"
                attribute.type = .tensor
                attribute.t = ONNXTensorCoding.encode(Tensor(shape: [1], data: [op.value]), name: "")
                n.attribute = [attribute]
            case let op as ONNXSlice:
                n.input = [node.inputs[0], int64Constant(op.starts, for: node.name, "starts"),
                           int64Constant(op.ends, for: node.name, "ends")]
                if let axes = op.axes { n.input.append(int64Constant(axes, for: node.name, "axes")) }
                if let steps = op.steps {
                    if op.axes == nil { n.input.append(int64Constant(Array(0..<steps.count), for: node.name, "axes")) }
                    n.input.append(int64Constant(steps, for: node.name, "steps"))
                }
                producesIntegers = integerValues.contains(node.inputs[0])
            default:
                throw unsupported
            }
            if producesIntegers { integerValues.formUnion(node.outputs.filter { !$0.isEmpty }) }
            nodes.append(n)
        }

        /// For an opset < 13 (Log)Softmax whose `axis` is its input's last axis (the usual case, where both
        /// semantics agree): that axis as −1. Nil when the rank is unknown or the axis is not the last.
        private func lastAxis(_ node: Node, _ axis: Int) -> Int? {
            guard let rank = shapes?[node.inputs[0]]?.count else { return nil }
            return axis == rank - 1 || axis == -1 ? -1 : nil
        }

        /// Opset < 13 (Log)Softmax, which normalises over all axes from `axis` on, written for opset 17 as
        /// Flatten(axis) → (Log)Softmax(axis 1) → Reshape back to the input's shape.
        private mutating func legacySoftmax(_ node: Node, axis: Int) {
            let x = node.inputs[0]
            let shape = fresh("\(node.name).shape"), flat = fresh("\(node.name).flat"), rows = fresh("\(node.name).rows")
            func make(_ suffix: String, _ op: String, _ inputs: [String], _ outputs: [String],
                      _ attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
                var n = Onnx_NodeProto()
                n.name = "/\(node.name)/\(suffix)"
                n.opType = op
                n.input = inputs
                n.output = outputs
                n.attribute = attributes
                return n
            }
            nodes.append(make("Shape", "Shape", [x], [shape]))
            nodes.append(make("Flatten", "Flatten", [x], [flat], [int("axis", axis)]))
            nodes.append(make("Rows", node.op.opType, [flat], [rows], [int("axis", 1)]))
            nodes.append(make(node.op.opType, "Reshape", [rows, shape], node.outputs))
        }

        /// Explicit `pads`, or `auto_pad` when the engine op computes its padding from the input size.
        private func padding(_ pads: [Int], _ autoPad: AutoPad) -> [Onnx_AttributeProto] {
            autoPad == .notSet ? [ints("pads", pads)] : [string("auto_pad", autoPad.rawValue)]
        }

        private func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
            var a = Onnx_AttributeProto()
            a.name = name
            a.type = .int
            a.i = Int64(value)
            return a
        }

        private func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
            var a = Onnx_AttributeProto()
            a.name = name
            a.type = .ints
            a.ints = values.map { Int64($0) }
            return a
        }

        private func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
            var a = Onnx_AttributeProto()
            a.name = name
            a.type = .float
            a.f = value
            return a
        }

        private func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
            var a = Onnx_AttributeProto()
            a.name = name
            a.type = .string
            a.s = Data(value.utf8)
            return a
        }
    }
}

extension ONNXModel {
    /// The model as the bytes of an `.onnx` file (opset 17, preprocessing in metadata properties).
    public func serialized() throws -> Data {
        try ONNXExporter.export(graph, description: description)
    }

    /// Writes the model to an `.onnx` file.
    /// - Throws: `ModelError` for a graph that cannot be exported or a file that cannot be written.
    public func write(to url: URL) throws {
        let data: Data
        do { data = try serialized() } catch let error as ModelError { throw error.inFile(url.path) }
        do {
            try AtomicFile.write(data, to: url.path)
        } catch let error as AtomicFile.WriteError {
            throw ModelError(.unreadable, "cannot write the file (\(error.reason))", file: url.path)
        }
    }
}
