/// A random-weight, single-layer, multi-scale convolutional network for texture synthesis and style
/// transfer without pretrained weights (Ustyuzhaninov, Brendel, Gatys & Bethge, "What does it take to
/// generate natural textures?", ICLR 2017): parallel conv banks with kernel sizes 3, 5, 7, 11, 15 and 23,
/// each followed by a ReLU, all reading the (ImageNet-normalised) RGB input with "same" padding, so every
/// feature map keeps the input's size. Gram matrices of the ReLU maps capture texture at several scales.
///
/// Layer names: `conv3`, `relu3`, `conv5`, `relu5`, … `conv23`, `relu23` (the number is the kernel size).
/// `styleLayers` lists every `reluK`; `contentLayer` is `relu3`. Any input size works.
extension Model {
    /// Kernel sizes of the banks, smallest first.
    public static let multiscaleKernelSizes = [3, 5, 7, 11, 15, 23]
    /// Filters per bank: the paper used 128 on a GPU; 32 keeps a 256×256 synthesis practical on 2 CPU cores.
    public static let multiscaleFiltersPerBank = 32

    static func randomMultiscale(seed: UInt64) throws -> Model {
        var b = try LayerBuilder(input: "input", shape: [nil, 3, nil, nil], seed: seed)
        var outputs: [String] = []
        for k in multiscaleKernelSizes {
            try b.conv("conv\(k)", from: "input", 3, multiscaleFiltersPerBank, kernel: k, padding: k / 2)
            outputs.append(try b.relu("relu\(k)"))
        }
        var graph = try b.finished(outputs: outputs)
        // Random features are fixed: nothing here is meant to be trained.
        graph.trainable = []
        return Model(name: "random-multiscale", graph: graph, preprocessing: .imageNet(height: nil, width: nil),
                     output: outputs.last, architecture: "random-multiscale", styleLayers: outputs,
                     contentLayer: "relu3")
    }
}
