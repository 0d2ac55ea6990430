import Engine
import Foundation
import Protocol
import Testing
@testable import Kernel

@Suite struct ImagingVerbTests {
    @Test func sampleImageLoadsResizesAndDisplaysAsPNG() throws {
        let (session, _) = makeSession()
        let (outcome, _) = session.run("cat = image(\"sample:chelsea\", size=50)\ncat")
        #expect(outcome.error == nil)
        let expected = try SampleImages.load("chelsea").resized(shorterSide: 50)
        #expect(outcome.plainResult == expected.description)
        guard case .string(let b64)? = outcome.result?.data["image/png"], let data = Data(base64Encoded: b64) else {
            Issue.record("no image/png")
            return
        }
        let shown = try PNGCodec.decode([UInt8](data))
        // 50×75 is below the display minimum: enlarged by a whole factor (224 / 75 → 2) with nearest neighbour.
        let factor = 224 / max(expected.height, expected.width)
        #expect(factor == 2)
        #expect(shown.height == expected.height * factor && shown.width == expected.width * factor)
        #expect(outcome.result?.metadata["image/png"] == .object(["width": .int(shown.width), "height": .int(shown.height)]))
        #expect(session.run("cat.shape").0.plainResult == "[\(expected.height), \(expected.width), 3]")
        #expect(session.run("cat.name").0.plainResult == "\"chelsea\"")
    }

    @Test func saveThenLoadIsBitExact() throws {
        let (session, dir) = makeSession()
        let (outcome, _) = session.run("a = image(\"sample:coffee\", size=32)\nsave(a, \"out/a.png\")")
        #expect(outcome.error?.ename == "FileError")  // the folder doesn't exist
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("out"), withIntermediateDirectories: true)
        #expect(session.run("save(a, \"out/a.png\")").0.error == nil)
        let original = try SampleImages.load("coffee").resized(shorterSide: 32)
        let reloaded = try ImageFiles.load(path: dir.appendingPathComponent("out/a.png").path)
        #expect(reloaded.bytes() == original.bytes())
        #expect(session.run("b = image(\"out/a.png\")\nb.shape == a.shape").0.plainResult == "true")
    }

    @Test func gridMatchesTheEngineGrid() throws {
        let (session, _) = makeSession()
        let (outcome, _) = session.run("g = grid([image(\"sample:chelsea\", size=40), image(\"sample:coffee\", size=40)], cols=1, titles=[\"cat\", \"cup\"])\ng.shape")
        #expect(outcome.error == nil)
        let images = try ["chelsea", "coffee"].map { try SampleImages.load($0).resized(shorterSide: 40) }
        let grid = try ImageGrid(images: images, columns: 1, titles: ["cat", "cup"]).render()
        #expect(outcome.plainResult == "[\(grid.height), \(grid.width), \(grid.channels)]")
    }

    @Test func samplesListsNames() throws {
        let (session, _) = makeSession()
        let text = try #require(session.run("samples()").0.plainResult)
        #expect(text.contains("\"chelsea\""))
        #expect(text.contains("\"coffee\""))
    }

    @Test(arguments: [
        ("image(\"missing.png\")", "FileError", "no such file"),
        ("image(\"sample:chelsey\")", "FileError", "no sample image named \"chelsey\"; known samples:"),
        ("save(1, \"x.png\")", "ValueError", "save() can't write int as \".png\"; int values can't be saved"),
        ("save(image(\"sample:coffee\", size=8), \"x.jpg\")", "ValueError", "save() can't write Image as \".jpg\"; Image values are saved as .png"),
        ("grid([image(\"sample:coffee\", size=8)], titles=[\"a\", \"b\"])", "ValueError", "grid() got 2 titles for 1 images; give one per image"),
        ("grid([1, 2])", "TypeError", "grid(): images must be a list of Image, not list ([1, 2])"),
        ("resize(image(\"sample:coffee\", size=8), 4, filter=\"cubic\")", "ValueError", "resize(): filter must be one of \"bilinear\", \"area\", \"nearest\", not \"cubic\""),
    ])
    func errors(_ code: String, _ ename: String, _ fragment: String) {
        let (session, _) = makeSession()
        let error = session.run(code).0.error
        #expect(error?.ename == ename, "\(code)")
        #expect(error?.evalue.contains(fragment) == true, "\(code): \(error?.evalue ?? "no error")")
    }
}
