import Engine
import Foundation
import Testing
@testable import Kernel

/// A dataset whose images are not what the model takes. `features` and `neighbors` fit each image to the model as
/// a single image is fitted (gray ↔ RGB, resized and cropped to a fixed input size), so Fashion-MNIST goes through
/// an ImageNet model. `patches` (its crops are cut from the dataset's own images) and `train` (training an RGB
/// model on gray copies is a mistake, not a convenience) refuse with a ShapeError naming the argument instead of
/// handing the graph a batch it would read past. (Seen with Fashion-MNIST, 1 channel, fed to an RGB SqueezeNet:
/// the kernel died with a corrupted heap.)
@Suite struct DatasetChannelTests {
    static var haveData: Bool { FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") }

    @Test(arguments: [
        "patches(rgb, data, \"relu3\", 0)",
        "train(rgb, data, epochs=1)",
    ])
    func grayDatasetIntoAnRGBModelIsAShapeError(_ cell: String) throws {
        guard Self.haveData else { return }
        let (session, _) = makeSession()
        #expect(session.run("data = dataset(\"fashion-mnist\", limit=8, seed=0)\nrgb = model(\"random-multiscale\")").0.error == nil)
        let error = session.run(cell).0.error
        #expect(error?.ename == "ShapeError", "\(cell): \(error.map { "\($0.ename): \($0.evalue)" } ?? "no error")")
        #expect(error?.evalue.contains("the dataset has 1-channel images; model random-multiscale takes 3") == true,
                "\(cell): \(error?.evalue ?? "no error")")
        // The session is unharmed: the same data still goes through a model that takes it.
        #expect(session.run("features(model(\"lenet\"), data, layer=\"conv1\").shape").0.error == nil)
    }

    /// Each row of `features` is the activation of that image fitted and run alone, byte for byte.
    @Test func grayDatasetFeaturesOfAnRGBModelAreThoseOfItsFittedImages() throws {
        guard Self.haveData else { return }
        let (session, _) = makeSession()
        #expect(session.run("data = dataset(\"fashion-mnist\", limit=8, seed=0)\nrgb = model(\"random-multiscale\")\n"
                            + "f = features(rgb, data, layer=\"relu3\")\nn = neighbors(rgb, data, 0, k=3, layer=\"relu3\")\n"
                            + "q = neighbors(rgb, data, data[1], k=2, layer=\"relu3\")").0.error == nil)
        let net = try #require(session.interpreter.names["rgb"]?.object(as: ModelValue.self)).model
        let data = try #require(session.interpreter.names["data"]?.object(as: DatasetValue.self)).dataset
        let f = try #require(session.interpreter.names["f"]?.object(as: TensorValue.self)).tensor
        #expect(f.shape[0] == 8)
        for i in [0, 5] {
            let picture = ModelInput.fitted(data.image(i), to: net.preprocessing)
            #expect(picture.channels == 3)
            let x = net.preprocessing.normalize(
                Tensor(shape: [1, 3, picture.height, picture.width], data: picture.chwData()))
            let alone = try #require(try net.graph.run([net.input: x], fetch: ["relu3"])["relu3"])
            #expect(Array(f.scalars[(i * f.shape[1])..<((i + 1) * f.shape[1])]) == alone.scalars)
        }
    }

    /// A model with a fixed input size gets every image resized to it, in batches small enough to stay under
    /// ~16 MB of input.
    @Test func fixedSizeModelsGetResizedImagesInBoundedBatches() throws {
        let data = Dataset(name: "gray", pixels: (0..<(5 * 28 * 28)).map { Float($0 % 251) / 250 }, channels: 1,
                           height: 28, width: 28, labels: [0, 1, 2, 3, 4], classNames: [])
        let p = Preprocessing(channels: 3, inputHeight: 224, inputWidth: 224, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25],
                              classNames: [])
        let net = Model(name: "fixed", graph: try Graph(), preprocessing: p, input: "x", output: "x")
        let x = ModelInput.batch(data, 1..<4, for: net)
        #expect(x.shape == [3, 3, 224, 224])
        let picture = ModelInput.fitted(data.image(2), to: p)
        let expected = p.normalize(Tensor(shape: [1, 3, 224, 224], data: picture.chwData()))
        #expect(Array(x.scalars[(3 * 224 * 224)..<(2 * 3 * 224 * 224)]) == expected.scalars)
        #expect(ModelInput.batchSize(256, data, for: net) == 4_000_000 / (3 * 224 * 224))
        // Data that already fits keeps the requested batch and its own pixels.
        let same = Model(name: "gray", graph: net.graph,
                         preprocessing: Preprocessing(channels: 1, inputHeight: nil, inputWidth: nil, mean: [0], std: [1], classNames: []),
                         input: "x", output: "x")
        #expect(ModelInput.batchSize(256, data, for: same) == 256)
        #expect(ModelInput.batch(data, 0..<5, for: same).scalars == data.pixels)
    }
}
