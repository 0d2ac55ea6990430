import Foundation
import Testing
@testable import Kernel

/// Verbs that run a whole dataset through a model refuse a dataset whose images have other channels than the
/// model takes, with a ShapeError naming the argument, instead of handing the graph a batch it would read past.
/// (Seen with Fashion-MNIST, 1 channel, fed to an RGB SqueezeNet: the kernel died with a corrupted heap.)
@Suite struct DatasetChannelTests {
    @Test(arguments: [
        "features(rgb, data, layer=\"relu3\")",
        "neighbors(rgb, data, 0, layer=\"relu3\")",
        "neighbors(rgb, data, data[1], k=2, layer=\"relu3\")",
        "patches(rgb, data, \"relu3\", 0)",
        "train(rgb, data, epochs=1)",
    ])
    func grayDatasetIntoAnRGBModelIsAShapeError(_ cell: String) throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else { return }
        let (session, _) = makeSession()
        #expect(session.run("data = dataset(\"fashion-mnist\", limit=8, seed=0)\nrgb = model(\"random-multiscale\")").0.error == nil)
        let error = session.run(cell).0.error
        #expect(error?.ename == "ShapeError", "\(cell): \(error.map { "\($0.ename): \($0.evalue)" } ?? "no error")")
        #expect(error?.evalue.contains("the dataset has 1-channel images; model random-multiscale takes 3") == true,
                "\(cell): \(error?.evalue ?? "no error")")
        // The session is unharmed: the same data still goes through a model that takes it.
        #expect(session.run("features(model(\"lenet\"), data, layer=\"conv1\").shape").0.error == nil)
    }
}
