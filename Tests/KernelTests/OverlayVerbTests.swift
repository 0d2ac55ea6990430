import Engine
import Foundation
import Testing
@testable import Kernel

@Suite struct OverlayVerbTests {
    private func image(_ session: FoveaSession, _ name: String) throws -> Image {
        try #require(session.interpreter.names[name]?.object(as: ImageValue.self)).image
    }

    @Test func alphaZeroKeepsThePictureAndAlphaOneShowsTheMapAlone() throws {
        let (session, _) = makeSession()
        let setup = "cat = image(\"sample:chelsea\", size=24)\nclear_view = overlay(cat, cat, alpha=0)\nheat_only = overlay(cat, cat, alpha=1, cmap=\"gray\")"
        #expect(session.run(setup).0.error == nil)
        let cat = try image(session, "cat")
        #expect(try image(session, "clear_view").bytes() == cat.bytes())
        // The cat's own luminance through the gray map, stretched from its [min, max] onto [0, 1].
        let heat = try image(session, "heat_only")
        #expect(heat.height == cat.height && heat.width == cat.width && heat.channels == 3)
        let gray = cat.toGray().chwData()
        let (lo, hi) = (gray.min()!, gray.max()!)
        let rgb = heat.chwData()
        let plane = heat.height * heat.width
        var worst: Float = 0
        for i in 0..<plane {
            let expected = (gray[i] - lo) / (hi - lo)
            #expect(rgb[i] == rgb[plane + i] && rgb[i] == rgb[2 * plane + i])
            worst = max(worst, abs(rgb[i] - expected))
        }
        #expect(worst <= 1.0 / 255 + 1e-6)  // 8-bit colour table
    }

    @Test func aSmallTensorIsResizedOntoThePicture() throws {
        let (session, _) = makeSession()
        #expect(session.run("cat = image(\"sample:chelsea\", size=24)\no = overlay(cat, tensor([[0, 1], [1, 0]]), alpha=0.4)").0.error == nil)
        let cat = try image(session, "cat")
        let expected = cat.overlaid(with: HeatMap(height: 2, width: 2, values: [0, 1, 1, 0]), map: .jet, alpha: 0.4)
        #expect(try image(session, "o").bytes() == expected.bytes())
        #expect(session.run("o.shape").0.plainResult == "[24, 36, 3]")
    }

    @Test(arguments: [
        ("overlay(cat, tensor([[[1, 2]], [[3, 4]]]))", "ShapeError", "heat must be one map, not a batch of 2 (shape [2, 1, 2]); pick one, e.g. r.values[0]"),
        ("overlay(cat, 3)", "TypeError", "heat must be a Tensor, an Image or a Result of an attribution verb, not int"),
        ("overlay(cat, tensor([1, 2, 3]))", "ShapeError", "heat must be one H×W map; got shape [3]"),
        ("overlay(cat, cat, alpha=2)", "ValueError", "overlay(): alpha must be between 0 and 1, not 2"),
    ])
    func badMapsAreClearErrors(cell: String, ename: String, evalue: String) throws {
        let (session, _) = makeSession()
        #expect(session.run("cat = image(\"sample:chelsea\", size=24)").0.error == nil)
        let error = session.run(cell).0.error
        #expect(error?.ename == ename)
        #expect(error?.evalue == evalue)
    }
}
