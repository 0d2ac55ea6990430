import Foundation

/// The shape of a fast-style-transfer network (Johnson, Alahi & Fei-Fei 2016, with Ulyanov et al.'s instance
/// normalisation and nearest-neighbour upsampling as in PyTorch's `fast_neural_style` example):
///
///     9×9 conv (w₀) → 3×3 conv stride 2 (w₁) → 3×3 conv stride 2 (w₂)          each + InstanceNorm + ReLU
///     `residualBlocks` × [3×3 conv → IN → ReLU → 3×3 conv → IN, + input]
///     ×2 nearest upsample → 3×3 conv (w₁) → ×2 upsample → 3×3 conv (w₀)      each + IN + ReLU
///     9×9 conv (3), added to the input image
///
/// Every convolution reads a reflection-padded input, so the output has the input's size when H and W are
/// multiples of 4 (`Stylizer.stylize` pads other sizes). Johnson's widths are 32/64/128 with 5 residual blocks,
/// trained for 40 000 steps of batch 4 on COCO; the defaults here (16/32/64, 3 blocks) keep training to a
/// notebook cell on two CPU cores. Unlike Johnson's network the output is the input plus a learnt residual
/// (the last convolution starts at a tenth of PyTorch's initial scale): the network starts near the identity,
/// as CS231n's optimisation starts from the content image, so a few hundred steps already give a stylised
/// picture instead of a blur.
public struct StylizerArchitecture: Sendable, Equatable {
    /// Channels after the first, second and third convolution.
    public var widths: [Int]
    public var residualBlocks: Int

    public init(widths: [Int] = [16, 32, 64], residualBlocks: Int = 3) {
        precondition(widths.count == 3 && widths.allSatisfy { $0 >= 1 } && residualBlocks >= 0,
                     "a stylizer needs three positive widths and residualBlocks ≥ 0")
        self.widths = widths
        self.residualBlocks = residualBlocks
    }

    /// Input and output are pixels `[N, 3, H, W]` in [0, 1] (outputs may overshoot; pictures clamp them).
    public static let input = "pixels"
    public static let output = "stylized"

    /// The untrained network with seeded PyTorch-default initialisation (convolutions U(±1/√fan_in),
    /// instance-norm scale 1 and bias 0).
    public func graph(seed: UInt64) throws -> Graph {
        var b = try LayerBuilder(input: Self.input, shape: [nil, 3, nil, nil], seed: seed)
        let (w0, w1, w2) = (widths[0], widths[1], widths[2])
        try b.normalizedConv("conv1", 3, w0, kernel: 9)
        try b.normalizedConv("conv2", w0, w1, kernel: 3, stride: 2)
        try b.normalizedConv("conv3", w1, w2, kernel: 3, stride: 2)
        for k in stride(from: 1, through: residualBlocks, by: 1) {
            let entry = b.current
            try b.normalizedConv("res\(k).conv1", w2, w2, kernel: 3)
            try b.normalizedConv("res\(k).conv2", w2, w2, kernel: 3, relu: false)
            try b.graph.addNode("res\(k)", Add(), inputs: [entry, b.current])
            b.current = "res\(k)"
        }
        try b.graph.addNode("up1", Resize(scales: [1, 1, 2, 2]), inputs: [b.current])
        b.current = "up1"
        try b.normalizedConv("up1.conv", w2, w1, kernel: 3)
        try b.graph.addNode("up2", Resize(scales: [1, 1, 2, 2]), inputs: [b.current])
        b.current = "up2"
        try b.normalizedConv("up2.conv", w1, w0, kernel: 3)
        try b.reflectionPad("out.pad", 4)
        try b.conv("out.conv", w0, 3, kernel: 9)
        // Start near the identity: a small last layer, no bias.
        b.graph.initializers["out.conv.weight"] = b.graph.initializers["out.conv.weight"]! * 0.1
        b.graph.initializers["out.conv.bias"] = Tensor.zeros([3])
        try b.graph.addNode(Self.output, Add(), inputs: [Self.input, "out.conv"])
        b.current = Self.output
        return try b.finished()
    }
}

extension LayerBuilder {
    /// `name.pad` (reflection) → `name` (conv, no padding) → `name.in` (InstanceNorm) → `name.relu`.
    mutating func normalizedConv(_ name: String, _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1,
                                 relu: Bool = true) throws {
        try reflectionPad("\(name).pad", kernel / 2)
        try conv(name, inChannels, outChannels, kernel: kernel, stride: stride)
        graph.addInitializer("\(name).in.weight", Tensor.ones([outChannels]), trainable: true)
        graph.addInitializer("\(name).in.bias", Tensor.zeros([outChannels]), trainable: true)
        try graph.addNode("\(name).in", InstanceNormalization(), inputs: [current, "\(name).in.weight", "\(name).in.bias"])
        current = "\(name).in"
        if relu { try self.relu("\(name).relu") }
    }

    /// Reflection padding of the last two axes by `amount` (PyTorch's `ReflectionPad2d`).
    mutating func reflectionPad(_ name: String, _ amount: Int) throws {
        try graph.addNode(name, Pad(mode: .reflect, pads: [0, 0, amount, amount, 0, 0, amount, amount]), inputs: [current])
        current = name
    }
}
