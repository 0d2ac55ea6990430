import Engine
import Foundation
import Protocol
import Testing
@testable import Kernel

/// The attribution verbs' figures, driven through the language on a seeded lenet and two Fashion-MNIST images.
@Suite struct AttributionVerbTests {
    /// saliency, occlusion and Grad-CAM draw one row per input: the picture, the map, the map over the picture.
    @Test(arguments: [
        ("saliency(net, data)", "vanilla", "input"),
        ("saliency(net, data, method=\"guided\")", "guided backprop", "input"),
        ("occlusion(net, data, patch=7)", "drop of the probability", nil),
        ("gradcam(net, data)", "Grad-CAM at", nil),
    ] as [(String, String, String?)])
    func picturesMapsAndOverlaysOnePerRow(cell: String, mapTitle: String, pictureTitle: String?) throws {
        let (session, _) = makeSession()
        let setup = session.run("net = model(\"lenet\")\ndata = dataset(\"fashion-mnist\", split=\"test\", limit=2)").0
        #expect(setup.error == nil, "\(String(describing: setup.error))")
        let outcome = session.run("r = \(cell)\nr").0
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(outcome.result?.data["image/png"] != nil)
        let result = try #require(session.interpreter.names["r"]?.object(as: ExperimentResult.self))
        let panels = result.figure.panels
        #expect(panels.count == 6)
        for row in 0..<2 {
            let (picture, map, overlay) = (panels[3 * row], panels[3 * row + 1], panels[3 * row + 2])
            guard case .image = picture.content else { Issue.record("row \(row): first panel is not the picture"); continue }
            guard case .overlay = overlay.content else { Issue.record("row \(row): third panel is not an overlay"); continue }
            #expect(map.title?.hasPrefix(mapTitle) == true, "\(map.title ?? "nil")")
            if let pictureTitle, row == 0 { #expect(picture.title == pictureTitle) }
        }
    }

    /// A stride longer than the patch would skip pixels and put Captum's last window outside the image: an error
    /// naming both (it used to crash the kernel).
    @Test func occlusionStrideLongerThanThePatchIsAnError() throws {
        let (session, _) = makeSession()
        _ = session.run("net = model(\"lenet\")\ndata = dataset(\"fashion-mnist\", split=\"test\", limit=1)")
        let error = try #require(session.run("occlusion(net, data, patch=2, stride=5)").0.error)
        #expect(error.evalue.contains("stride 5×5 must not exceed the patch 2×2"), "\(error.evalue)")
    }
}
