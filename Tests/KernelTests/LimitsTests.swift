import Engine
import Foundation
import Protocol
import Testing
@testable import Kernel

/// Resource budgets through the language: `limits(...)`, and requests over a budget failing before any work with
/// a message that names the budget and how to raise it, while the session keeps its names.
@Suite struct LimitsTests {
    static let memoryHint = "raise it with limits(memory=…) or the FOVEA_MEMORY_LIMIT environment variable"

    @Test func limitsShowsTheBudgetsAsATable() throws {
        let (session, _) = makeSession()
        let (outcome, _) = session.run("limits()")
        #expect(outcome.error == nil)
        let text = try #require(outcome.plainResult)
        let memory = ResourceLimits.formatBytes(ResourceLimits.defaultMemoryBytes)
        #expect(text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).first } ==
                ["budget", "-----------", "memory", "pixels", "tsne_points"])
        #expect(text.contains("memory       \(memory)"))
        #expect(text.contains("pixels       67,108,864 pixels  67,108,864 pixels  FOVEA_PIXEL_LIMIT"))
        #expect(text.contains("tsne_points  70,000 points      70,000 points      FOVEA_TSNE_POINTS_LIMIT"))
        guard case .string(let html)? = outcome.result?.data["text/html"] else {
            Issue.record("no text/html")
            return
        }
        #expect(html.contains("<caption>Resource budgets (limits)</caption>"))
        #expect(ResourceLimits.defaultMemoryBytes <= 8 << 30)
        #expect(ResourceLimits.defaultMemoryBytes == min(Int(ProcessInfo.processInfo.physicalMemory / 2), 8 << 30))
    }

    @Test func settingBudgetsChangesOnlyThisSession() {
        let (session, _) = makeSession()
        #expect(session.run("limits(memory=\"64MB\", pixels=1000, tsne_points=50).memory").0.plainResult == "67108864")
        #expect(session.run("limits().pixels").0.plainResult == "1000")
        #expect(session.run("limits().tsne_points").0.plainResult == "50")
        #expect(session.run("limits(memory=2147483648).memory").0.plainResult == "2147483648")
        let (other, _) = makeSession()
        #expect(other.run("limits().pixels").0.plainResult == "67108864")
        #expect(ResourceLimits.shared.maxPixels == ImageLimits.defaultMaxPixels)
    }

    @Test(arguments: [
        ("limits(memory=\"lots\")", "ValueError", "limits(): memory must be a size of at least 1 MB such as \"2GB\", \"512MB\" or a number of bytes, not \"lots\""),
        ("limits(memory=\"10KB\")", "ValueError", "at least 1 MB"),
        ("limits(pixels=0)", "ValueError", "limits(): pixels must be at least 1, not 0"),
        ("limits(tsne_points=\"many\")", "TypeError", "limits(): tsne_points must be an int, not string (\"many\")"),
    ])
    func badSettings(_ code: String, _ ename: String, _ fragment: String) {
        let (session, _) = makeSession()
        let error = session.run(code).0.error
        #expect(error?.ename == ename, "\(code)")
        #expect(error?.evalue.contains(fragment) == true, "\(code): \(error?.evalue ?? "no error")")
    }

    @Test func hugeTensorIsRefusedBeforeAllocatingAndNamesAreKept() {
        let (session, _) = makeSession()
        #expect(session.run("row = tensor([[1] * 100000])\ncol = tensor([[1]] * 100000)").0.error == nil)
        let error = session.run("both = row + col").0.error
        #expect(error?.ename == "ValueError")
        let budget = ResourceLimits.formatBytes(ResourceLimits.defaultMemoryBytes)
        #expect(error?.evalue == "a tensor + result of shape [100000, 100000] needs 37.3 GB, more than the memory budget of \(budget); \(Self.memoryHint)")
        #expect(session.run("row.shape").0.plainResult == "[1, 100000]")
        #expect(session.run("both").0.error?.ename == "NameError")
    }

    @Test func pixelBudgetCoversResizingAndModelInputSizes() {
        let (session, _) = makeSession()
        #expect(session.run("cat = image(\"sample:chelsea\", size=64)\nlimits(pixels=10000)").0.error == nil)
        let resize = session.run("resize(cat, 100)").0.error
        #expect(resize?.ename == "ValueError")
        #expect(resize?.evalue == "resized image of 150×100 = 15,000 pixels is more than the pixel budget of 10,000 pixels; "
                + "raise it with limits(pixels=…) or the FOVEA_PIXEL_LIMIT environment variable")
        // The file itself (451×300) is over the budget: refused from its header, a FileError.
        let file = session.run("image(\"sample:chelsea\", size=100)").0.error
        #expect(file?.ename == "FileError")
        #expect(file?.evalue.hasPrefix("PNG image of 451×300 = 135,300 pixels is more than the pixel budget of 10,000 pixels") == true)
        let model = session.run("model(\"lenet\", size=[200, 200])").0.error
        #expect(model?.ename == "ValueError")
        #expect(model?.evalue.contains("model input image of 200×200 = 40,000 pixels is more than the pixel budget of 10,000 pixels") == true)
        #expect(session.run("cat.shape").0.plainResult == "[64, 96, 3]")
    }

    @Test func synthesisSizesAreCheckedAgainstThePixelBudget() {
        let (session, _) = makeSession()
        #expect(session.run("cat = image(\"sample:chelsea\", size=64)\nnet = model(\"random-multiscale\")\nlimits(pixels=10000)").0.error == nil)
        for cell in ["texture(net, cat, size=100, steps=1)", "deepdream(net, cat, net.layers[1], size=100, steps=1, octaves=1)"] {
            let error = session.run(cell).0.error
            #expect(error?.ename == "ValueError", "\(cell)")
            #expect(error?.evalue.hasPrefix("resized image of 150×100 = 15,000 pixels is more than the pixel budget of 10,000 pixels") == true, "\(cell): \(error?.evalue ?? "no error")")
        }
        #expect(session.run("cat.shape").0.plainResult == "[64, 96, 3]")
    }

    @Test func tsnePointBudget() {
        let (session, _) = makeSession()
        #expect(session.run("x = tensor([[1, 2, 3]] * 20)\nlimits(tsne_points=10)").0.error == nil)
        let error = session.run("tsne(x)").0.error
        #expect(error?.ename == "ValueError")
        #expect(error?.evalue == "t-SNE needs 20 points, more than the tsne_points budget of 10 points; "
                + "raise it with limits(tsne_points=…) or the FOVEA_TSNE_POINTS_LIMIT environment variable")
    }

    @Test func featuresCheckTheWholeMatrixAfterTheFirstBatch() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist") else { return }
        let (session, _) = makeSession()
        #expect(session.run("data = dataset(\"fashion-mnist\", limit=300)\nnet = model(\"lenet\")\nlimits(memory=\"1MB\")").0.error == nil)
        let error = session.run("f = features(net, data, layer=\"conv1\", batch=100)").0.error
        #expect(error?.ename == "ValueError")
        #expect(error?.evalue == "features of 300 images at conv1 (4704 values each) needs 5.4 MB, more than the memory budget of 1 MB; \(Self.memoryHint)")
        #expect(session.run("limits(memory=\"8MB\")\nf = features(net, data, layer=\"conv1\", batch=100)\nf.shape").0.plainResult == "[300, 4704]")
    }

    @Test func startUpConfigurationFromTheEnvironment() throws {
        // configure() writes the process-wide budgets: check parsing on a scratch copy of the environment only.
        #expect(throws: FoveaError(.value, "FOVEA_MEMORY_LIMIT=huge: expected a size of at least 1 MB such as 4GB or 512MB")) {
            try SessionLimits.configure(environment: ["FOVEA_MEMORY_LIMIT": "huge"])
        }
        #expect(throws: FoveaError(.value, "FOVEA_PIXEL_LIMIT=-3: expected a whole number of at least 1")) {
            try SessionLimits.configure(environment: [:], pixels: "-3")
        }
        #expect(ResourceLimits.parseBytes("2GB") == 2 << 30)
        #expect(ResourceLimits.parseBytes("512 MiB") == 512 << 20)
        #expect(ResourceLimits.parseBytes("1.5g") == 3 << 29)
        #expect(ResourceLimits.parseBytes("1048576") == 1 << 20)
        #expect(ResourceLimits.parseBytes("12 parsecs") == nil)
    }

    /// Corrupt files through the verbs that read them: each gives the ename the language promises.
    @Test func corruptFilesGiveFileAndModelErrors() throws {
        let (session, dir) = makeSession()
        var png = PNGCodec.signature + [0, 0, 0, 13] + Array("IHDR".utf8) + [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]
        png += [0, 0, 0, 0]  // wrong CRC
        try Data(png + [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]).write(to: dir.appendingPathComponent("bad.png"))
        var npy = NpyArray(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]).encoded()
        npy.removeLast(5)
        try Data(npy).write(to: dir.appendingPathComponent("bad.npy"))
        try Data([0x08, 0x07, 0x12, 0x03, 0x66, 0x6F]).write(to: dir.appendingPathComponent("bad.onnx"))
        try Data(Array("PK\u{5}\u{6}not really a zip archive".utf8)).write(to: dir.appendingPathComponent("bad.npz"))
        let cases = [
            ("image(\"bad.png\")", "FileError", "corrupt PNG data"),
            ("load(\"bad.png\")", "FileError", "corrupt PNG data"),
            ("load(\"bad.npy\")", "FileError", "bad.npy: header promises 6 values of <f4 for shape [2, 3], data holds 19 bytes"),
            ("dataset(\"bad.npy\")", "FileError", "bad.npy: header promises 6 values"),
            ("model(\"bad.onnx\")", "ModelError", "bad.onnx"),
            ("load(\"bad.onnx\")", "ModelError", "bad.onnx"),
            ("dataset(\"bad.npz\")", "FileError", "bad.npz is truncated"),
            ("load(\"bad.npz\")", "FileError", "bad.npz is truncated"),
        ]
        for (code, ename, fragment) in cases {
            let error = session.run(code).0.error
            #expect(error?.ename == ename, "\(code): \(error?.evalue ?? "no error")")
            #expect(error?.evalue.contains(fragment) == true, "\(code): \(error?.evalue ?? "no error")")
        }
    }
}
