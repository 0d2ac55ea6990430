/// What one ONNX node becomes in the engine graph.
enum ONNXTranslation {
    /// A graph node: an engine operator applied to these ONNX value names (`""` = absent input).
    case node(any Operator, inputs: [String])
    /// Values known at import time (a `Constant` node), one per ONNX output.
    case constant([Tensor])
}

/// The operators Fovea imports, and how each ONNX node (attributes, opset-dependent forms) maps to an
/// engine operator.
///
/// Inputs that older opsets gave as attributes and newer ones as inputs (Clip's bounds, Squeeze and
/// Unsqueeze axes, Pad's pads, Dropout's ratio) are normalised to the attribute form here, so graph nodes
/// hold only the tensors that flow; those inputs must therefore be known at import time (initializers,
/// Constant nodes, or foldable shape arithmetic), which is what exporters write.
enum ONNXOperatorTable {
    typealias Translate = (ONNXNodeReader, ONNXImporter) throws -> ONNXTranslation

    /// Every supported op type, for error messages.
    static var supportedOperators: [String] { table.keys.sorted() }

    /// Looks up and runs the translation for `reader.node`.
    static func translate(_ reader: ONNXNodeReader, importer: ONNXImporter) throws -> ONNXTranslation {
        guard let translate = table[reader.node.opType] else {
            throw reader.error(.unsupported, "operator '\(reader.node.opType)' is not supported (supported: "
                + supportedOperators.joined(separator: ", ") + ")")
        }
        return try translate(reader, importer)
    }

    /// Whether input `position` of an `op` node is a learnable parameter (weights and biases), so that an
    /// imported model can be fine-tuned.
    static func isParameter(op: String, input position: Int) -> Bool {
        switch op {
        case "Conv", "Gemm", "BatchNormalization", "InstanceNormalization": return position == 1 || position == 2
        case "MatMul": return position == 1
        default: return false
        }
    }

    static let table: [String: Translate] = [
        "Conv": conv,
        "Relu": { r, _ in try r.expectOnly([]); return .node(Relu(), inputs: try r.inputsExactly(1)) },
        "LeakyRelu": { r, _ in
            try r.expectOnly(["alpha"])
            return .node(LeakyRelu(alpha: try r.float("alpha", default: 0.01)), inputs: try r.inputsExactly(1))
        },
        "Clip": clip,
        "Sigmoid": { r, _ in try r.expectOnly([]); return .node(Sigmoid(), inputs: try r.inputsExactly(1)) },
        "Tanh": { r, _ in try r.expectOnly([]); return .node(Tanh(), inputs: try r.inputsExactly(1)) },
        "MaxPool": maxPool,
        "AveragePool": averagePool,
        "GlobalAveragePool": { r, _ in
            try r.expectOnly([])
            return .node(GlobalAveragePool(), inputs: try r.inputsExactly(1))
        },
        "Gemm": gemm,
        "MatMul": { r, _ in try r.expectOnly([]); return .node(MatMul(), inputs: try r.inputsExactly(2)) },
        "BatchNormalization": batchNormalization,
        "InstanceNormalization": { r, _ in
            try r.expectOnly(["epsilon"])
            return .node(InstanceNormalization(epsilon: try r.float("epsilon", default: 1e-5)), inputs: try r.inputsExactly(3))
        },
        "Resize": resize,
        "Dropout": dropout,
        "LRN": { r, _ in
            try r.expectOnly(["size", "alpha", "beta", "bias"])
            guard let size = try r.int("size"), size >= 1 else { throw r.error(.invalid, "LRN needs a positive 'size'") }
            let op = LRN(size: size, alpha: try r.float("alpha", default: 1e-4), beta: try r.float("beta", default: 0.75),
                         bias: try r.float("bias", default: 1))
            return .node(op, inputs: try r.inputsExactly(1))
        },
        "Concat": { r, _ in
            try r.expectOnly(["axis"])
            guard let axis = try r.int("axis") else { throw r.error(.invalid, "Concat needs an 'axis'") }
            guard !r.inputs.isEmpty, !r.inputs.contains("") else { throw r.error(.invalid, "Concat needs inputs") }
            return .node(Concat(axis: axis), inputs: r.inputs)
        },
        "Add": { r, _ in try binary(r, Add()) },
        "Sub": { r, _ in try binary(r, Sub()) },
        "Mul": { r, _ in try binary(r, Mul()) },
        "Div": { r, _ in try binary(r, Div()) },
        "Flatten": { r, _ in
            try r.expectOnly(["axis"])
            return .node(Flatten(axis: try r.int("axis", default: 1)), inputs: try r.inputsExactly(1))
        },
        "Reshape": { r, _ in
            try r.expectOnly(["allowzero"])
            return .node(Reshape(allowZero: try r.int("allowzero", default: 0) != 0), inputs: try r.inputsExactly(2))
        },
        "Transpose": { r, _ in
            try r.expectOnly(["perm"])
            return .node(Transpose(perm: try r.ints("perm")), inputs: try r.inputsExactly(1))
        },
        "Gather": { r, _ in
            try r.expectOnly(["axis"])
            return .node(Gather(axis: try r.int("axis", default: 0)), inputs: try r.inputsExactly(2))
        },
        "Unsqueeze": { r, importer in
            let axes = try axesAttributeOrInput(r, importer, inputFrom: 13, required: true)
            return .node(Unsqueeze(axes: axes), inputs: [r.inputs[0]])
        },
        "Squeeze": { r, importer in
            let axes = try axesAttributeOrInput(r, importer, inputFrom: 13, required: false)
            return .node(Squeeze(axes: axes), inputs: [r.inputs[0]])
        },
        "Constant": constant,
        "Identity": { r, _ in try r.expectOnly([]); return .node(Identity(), inputs: try r.inputsExactly(1)) },
        "Softmax": { r, _ in try softmax(r, log: false) },
        "LogSoftmax": { r, _ in try softmax(r, log: true) },
        "Pad": pad,
        "Shape": { r, _ in
            try r.expectOnly(["start", "end"])
            return .node(Shape(start: try r.int("start", default: 0), end: try r.int("end")), inputs: try r.inputsExactly(1))
        },
        "Cast": { r, _ in
            try r.expectOnly(["to", "saturate", "round_mode"])
            guard let to = try r.int("to") else { throw r.error(.invalid, "Cast needs 'to'") }
            return .node(try ONNXCast(to: to, reader: r), inputs: try r.inputsExactly(1))
        },
        "ConstantOfShape": { r, _ in
            try r.expectOnly(["value"])
            let value = try r.tensor("value")
            return .node(ONNXConstantOfShape(value: value?.scalars.first ?? 0), inputs: try r.inputsExactly(1))
        },
        "Slice": slice,
    ]

    // MARK: Convolution and pooling

    /// Explicit pads (ONNX order: all begins, then all ends) and the auto_pad mode.
    private static func padding(_ r: ONNXNodeReader, spatial: Int) throws -> (pads: [Int], autoPad: AutoPad) {
        let name = try r.string("auto_pad") ?? "NOTSET"
        guard let autoPad = AutoPad(rawValue: name.isEmpty ? "NOTSET" : name) else {
            throw r.error(.unsupported, "auto_pad '\(name)' is not supported (supported: NOTSET, SAME_UPPER, "
                + "SAME_LOWER, VALID)")
        }
        let pads = try r.ints("pads") ?? Array(repeating: 0, count: 2 * spatial)
        guard pads.count == 2 * spatial, pads.allSatisfy({ $0 >= 0 }) else {
            throw r.error(.invalid, "'pads' \(pads) should have \(2 * spatial) non-negative values")
        }
        return (pads, autoPad)
    }

    private static func spatialRank(_ r: ONNXNodeReader, kernel: [Int]?, weight: Tensor?) throws -> Int {
        if let kernel { return kernel.count }
        if let weight, weight.rank >= 3 { return weight.rank - 2 }
        throw r.error(.invalid, "cannot tell the kernel size: no 'kernel_shape' and the weight is not a constant")
    }

    private static func conv(_ r: ONNXNodeReader, _ importer: ONNXImporter) throws -> ONNXTranslation {
        try r.expectOnly(["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"])
        try r.expectInputs(2...3)
        let kernel = try r.ints("kernel_shape")
        let n = try spatialRank(r, kernel: kernel, weight: importer.constant(r.inputs[1]))
        guard n == 2 else { throw r.error(.unsupported, "only 2-D convolution is supported (this one is \(n)-D)") }
        let padding = try padding(r, spatial: n)
        let op = Conv(strides: try r.ints("strides") ?? [1, 1], pads: padding.pads,
                      dilations: try r.ints("dilations") ?? [1, 1], group: try r.int("group", default: 1),
                      autoPad: padding.autoPad, kernelShape: kernel)
        return .node(op, inputs: r.inputs)
    }

    private static func poolCommon(_ r: ONNXNodeReader) throws
        -> (kernel: [Int], strides: [Int]?, pads: [Int], autoPad: AutoPad, ceil: Bool) {
        guard let kernel = try r.ints("kernel_shape") else { throw r.error(.invalid, "needs 'kernel_shape'") }
        guard kernel.count == 2 else {
            throw r.error(.unsupported, "only 2-D pooling is supported (this one is \(kernel.count)-D)")
        }
        let ceil = try r.int("ceil_mode", default: 0) != 0
        let padding = try padding(r, spatial: 2)
        return (kernel, try r.ints("strides"), padding.pads, padding.autoPad, ceil)
    }

    private static func maxPool(_ r: ONNXNodeReader, _ importer: ONNXImporter) throws -> ONNXTranslation {
        try r.expectOnly(["kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad", "storage_order"])
        guard try r.int("storage_order", default: 0) == 0 else {
            throw r.error(.unsupported, "storage_order 1 (column-major indices) is not supported (supported: 0)")
        }
        guard r.node.output.count < 2 || r.node.output[1].isEmpty else {
            throw r.error(.unsupported, "the Indices output of MaxPool is not supported")
        }
        let p = try poolCommon(r)
        let op = MaxPool(kernelShape: p.kernel, strides: p.strides, pads: p.pads, dilations: try r.ints("dilations"),
                         ceilMode: p.ceil, autoPad: p.autoPad)
        return .node(op, inputs: try r.inputsExactly(1))
    }

    private static func averagePool(_ r: ONNXNodeReader, _ importer: ONNXImporter) throws -> ONNXTranslation {
        try r.expectOnly(["kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad", "count_include_pad"])
        if let d = try r.ints("dilations"), d.contains(where: { $0 != 1 }) {
            throw r.error(.unsupported, "dilated average pooling is not supported (dilations \(d))")
        }
        let p = try poolCommon(r)
        let op = AveragePool(kernelShape: p.kernel, strides: p.strides, pads: p.pads, ceilMode: p.ceil,
                             countIncludePad: try r.int("count_include_pad", default: 0) != 0, autoPad: p.autoPad)
        return .node(op, inputs: try r.inputsExactly(1))
    }

    // MARK: Dense layers and normalisation

    private static func gemm(_ r: ONNXNodeReader, _ importer: ONNXImporter) throws -> ONNXTranslation {
        try r.expectOnly(["alpha", "beta", "transA", "transB", "broadcast"])
        try r.expectInputs(2...3)
        let op = Gemm(alpha: try r.float("alpha", default: 1), beta: try r.float("beta", default: 1),
                      transA: try r.int("transA", default: 0) != 0, transB: try r.int("transB", default: 0) != 0)
        return .node(op, inputs: r.inputs)
    }

    private static func batchNormalization(_ r: ONNXNodeReader, _ importer: ONNXImporter) throws -> ONNXTranslation {
        try r.expectOnly(["epsilon", "momentum", "spatial", "training_mode"])
        if try r.int("training_mode", default: 0) != 0 {
            throw r.error(.unsupported, "training_mode 1 is not supported (export the model in eval mode)")
        }
        if try r.int("spatial", default: 1) != 1 {
            throw r.error(.unsupported, "spatial 0 (per-activation statistics) is not supported")
        }
        if r.node.output.dropFirst().contains(where: { !$0.isEmpty }) {
            throw r.error(.unsupported, "running-statistics outputs are not supported (export in eval mode)")
        }
        let op = BatchNormalization(epsilon: try r.float("epsilon", default: 1e-5))
        return .node(op, inputs: try r.inputsExactly(5))
    }

    /// Nearest-neighbour Resize by whole-number scale factors known at import time (what PyTorch writes for
    /// `nn.Upsample(scale_factor=k, mode="nearest")`).
    private static func resize(_ r: ONNXNodeReader, _ importer: ONNXImporter) throws -> ONNXTranslation {
        try r.expectOnly(["mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside",
                          "extrapolation_value", "antialias", "axes", "keep_aspect_ratio_policy"])
        let mode = try r.string("mode") ?? "nearest"
        guard mode == "nearest" else { throw r.error(.unsupported, "Resize mode '\(mode)' is not supported (only nearest)") }
        guard r.opset >= 11 else { throw r.error(.unsupported, "Resize before opset 11 is not supported") }
        try r.expectInputs(3...4)
        guard r.inputs.count == 3 || r.inputs[3].isEmpty, let scales = importer.constant(r.inputs[2]), !scales.scalars.isEmpty else {
            throw r.error(.unsupported, "Resize needs constant scales (sizes or run-time scales are not supported)")
        }
        let factors = scales.scalars.map { Int($0.rounded()) }
        guard zip(factors, scales.scalars).allSatisfy({ $0 >= 1 && Float($0) == $1 }) else {
            throw r.error(.unsupported, "Resize scales \(scales.scalars) are not whole numbers ≥ 1")
        }
        return .node(Resize(scales: factors), inputs: [r.inputs[0]])
    }

    private static func dropout(_ r: ONNXNodeReader, _ importer: ONNXImporter) throws -> ONNXTranslation {
        try r.expectOnly(["ratio", "seed", "is_test"])
        try r.expectInputs(1...3)
        if r.inputs.count == 3, let training = importer.constant(r.inputs[2]), training.scalars.first != 0 {
            throw r.error(.unsupported, "training_mode true is not supported (Dropout is the identity at inference)")
        }
        if r.node.output.count > 1, !r.node.output[1].isEmpty {
            throw r.error(.unsupported, "the mask output of Dropout is not supported")
        }
        var ratio = try r.float("ratio", default: 0.5)
        if r.inputs.count >= 2, let given = importer.constant(r.inputs[1])?.scalars.first { ratio = given }
        return .node(Dropout(ratio: ratio), inputs: [r.inputs[0]])
    }

    /// Softmax and LogSoftmax: before opset 13 the input was flattened to 2-D at `axis` (default 1) and
    /// each row normalised; from 13 on, one axis (default −1). The engine op implements both.
    private static func softmax(_ r: ONNXNodeReader, log: Bool) throws -> ONNXTranslation {
        try r.expectOnly(["axis"])
        let inputs = try r.inputsExactly(1)
        let legacy = r.opset < 13
        let axis = try r.int("axis", default: legacy ? 1 : -1)
        let op: any Operator = log ? LogSoftmax(axis: axis, legacyFlatten: legacy) : Softmax(axis: axis, legacyFlatten: legacy)
        return .node(op, inputs: inputs)
    }

    // MARK: Element-wise

    private static func binary(_ r: ONNXNodeReader, _ op: any Operator) throws -> ONNXTranslation {
        // `broadcast`/`axis` are opset < 7 attributes, never valid in opsets 9–21.
        try r.expectOnly([])
        return .node(op, inputs: try r.inputsExactly(2))
    }

    private static func clip(_ r: ONNXNodeReader, _ importer: ONNXImporter) throws -> ONNXTranslation {
        if r.opset < 11 {
            try r.expectOnly(["min", "max"])
            let op = Clip(min: try r.float("min", default: -.infinity), max: try r.float("max", default: .infinity))
            return .node(op, inputs: try r.inputsExactly(1))
        }
        try r.expectOnly([])
        try r.expectInputs(1...3)
        func bound(_ position: Int, _ fallback: Float) throws -> Float {
            guard position < r.inputs.count, !r.inputs[position].isEmpty else { return fallback }
            guard let t = importer.constant(r.inputs[position]), t.count == 1 else {
                throw r.error(.unsupported, "Clip bounds must be constant scalars")
            }
            return t.scalars[0]
        }
        return .node(Clip(min: try bound(1, -.infinity), max: try bound(2, .infinity)), inputs: [r.inputs[0]])
    }

    // MARK: Shapes

    /// Squeeze/Unsqueeze axes: an attribute before `inputFrom`, an (import-time constant) input from then on.
    private static func axesAttributeOrInput(_ r: ONNXNodeReader, _ importer: ONNXImporter, inputFrom: Int,
                                             required: Bool) throws -> [Int]? {
        let axes: [Int]?
        if r.opset < inputFrom {
            try r.expectOnly(["axes"])
            try r.expectInputs(1...1)
            axes = try r.ints("axes")
        } else {
            try r.expectOnly([])
            try r.expectInputs(1...2)
            if r.inputs.count == 2 {
                guard let t = importer.constant(r.inputs[1]) else {
                    throw r.error(.unsupported, "axes computed at run time are not supported")
                }
                axes = try integers(t)
            } else {
                axes = nil
            }
        }
        if required && axes == nil { throw r.error(.invalid, "needs 'axes'") }
        return axes
    }

    private static func pad(_ r: ONNXNodeReader, _ importer: ONNXImporter) throws -> ONNXTranslation {
        let pads: [Int]
        var value: Float = 0
        let mode: String
        if r.opset < 11 {
            try r.expectOnly(["mode", "pads", "value"])
            try r.expectInputs(1...1)
            guard let p = try r.ints("pads") else { throw r.error(.invalid, "Pad needs 'pads'") }
            pads = p
            value = try r.float("value", default: 0)
            mode = try r.string("mode") ?? "constant"
        } else {
            try r.expectOnly(["mode"])
            try r.expectInputs(2...4)
            guard let p = importer.constant(r.inputs[1]) else {
                throw r.error(.unsupported, "pads computed at run time are not supported")
            }
            pads = try integers(p)
            if r.inputs.count >= 3, !r.inputs[2].isEmpty {
                guard let v = importer.constant(r.inputs[2]) else {
                    throw r.error(.unsupported, "a constant_value computed at run time is not supported")
                }
                value = v.scalars.first ?? 0
            }
            if r.inputs.count == 4, !r.inputs[3].isEmpty {
                throw r.error(.unsupported, "the axes input of Pad is not supported (pad all axes)")
            }
            mode = try r.string("mode") ?? "constant"
        }
        guard let padMode = PadMode(rawValue: mode) else {
            throw r.error(.unsupported, "mode '\(mode)' is not supported (supported: constant, reflect, edge)")
        }
        return .node(Pad(mode: padMode, pads: pads, value: value), inputs: [r.inputs[0]])
    }

    private static func slice(_ r: ONNXNodeReader, _ importer: ONNXImporter) throws -> ONNXTranslation {
        if r.opset < 10 {
            try r.expectOnly(["starts", "ends", "axes"])
            guard let starts = try r.ints("starts"), let ends = try r.ints("ends") else {
                throw r.error(.invalid, "Slice needs 'starts' and 'ends'")
            }
            return .node(ONNXSlice(starts: starts, ends: ends, axes: try r.ints("axes"), steps: nil),
                         inputs: try r.inputsExactly(1))
        }
        try r.expectOnly([])
        try r.expectInputs(3...5)
        func list(_ position: Int) throws -> [Int]? {
            guard position < r.inputs.count, !r.inputs[position].isEmpty else { return nil }
            guard let t = importer.constant(r.inputs[position]) else {
                throw r.error(.unsupported, "Slice bounds computed at run time are not supported")
            }
            return t.scalars.map { ONNXSlice.clampedInt($0) }
        }
        guard let starts = try list(1), let ends = try list(2) else { throw r.error(.invalid, "Slice needs starts and ends") }
        return .node(ONNXSlice(starts: starts, ends: ends, axes: try list(3), steps: try list(4)), inputs: [r.inputs[0]])
    }

    private static func constant(_ r: ONNXNodeReader, _ importer: ONNXImporter) throws -> ONNXTranslation {
        try r.expectOnly(["value", "value_float", "value_floats", "value_int", "value_ints", "sparse_value",
                          "value_string", "value_strings"])
        if let t = try r.tensor("value") { return .constant([t]) }
        if let f = try r.float("value_float") { return .constant([Tensor(scalar: f)]) }
        if let fs = try r.floats("value_floats") { return .constant([Tensor(shape: [fs.count], data: fs)]) }
        if let i = try r.int("value_int") { return .constant([Tensor(scalar: Float(i))]) }
        if let is_ = try r.ints("value_ints") { return .constant([Tensor(shape: [is_.count], data: is_.map { Float($0) })]) }
        throw r.error(.unsupported, "only numeric constants are supported (value, value_float(s), value_int(s))")
    }
}

extension ONNXNodeReader {
    /// The inputs, checking there are exactly `n` present.
    func inputsExactly(_ n: Int) throws -> [String] {
        try expectInputs(n...n)
        return inputs
    }
}
