import Engine

/// `overlay(img, heat)`: the spec's building block for drawing any map over a picture — an attribution the
/// user computed or edited (`r.values * 2`), another verb's map on a second image, or a channel of
/// `forward(...)` — with the same resizing and colouring the attribution figures use.
enum OverlayVerb {
    static let overlay = Verb(
        "overlay", category: ImagingVerbs.category, summary: "A heat map coloured and laid over an image.",
        parameters: [
            Parameter("img", .object("Image"), doc: "the picture underneath"),
            Parameter("heat", .any, doc: "the map: an H×W Tensor (1×H×W and 1×C×H×W too: max |·| over channels), a gray Image, or a Result of saliency/occlusion/gradcam"),
            Parameter("alpha", .number, default: .double(0.5), min: 0, max: 1, doc: "opacity of the coloured map"),
            Parameter("cmap", .string, default: .string("jet"), doc: "colour map: jet, viridis, magma, inferno, gray, RdBu_r, bwr, …"),
        ],
        returns: "Image",
        doc: "The map is resized (bilinear) to the image, its values mapped from their range (symmetric around 0 for diverging maps) onto the colour map, and blended with `alpha`.",
        example: "overlay(image(\"sample:chelsea\"), tensor([[0, 1], [1, 0]]), alpha=0.4)"
    ) { args, _ in
        let img = try args.object("img", as: ImageValue.self).image
        let heat = try attributionMap(args, "heat")
        let map = try Pictures.colorMap(args)
        var blended = img.overlaid(with: heat, map: map, alpha: Float(try args.double("alpha")))
        blended.name = img.name.map { "\($0), overlay" }
        return .object(ImageValue(blended))
    }

    /// One H×W map from a Tensor, a gray Image or an attribution Result (Grad-CAM's upsampled map); a
    /// batch of several maps is an error that says how to pick one.
    static func attributionMap(_ args: Arguments, _ name: String) throws -> HeatMap {
        let value = args[name]
        var map: Tensor
        if let r = value.object(as: ExperimentResult.self) {
            map = mapTensor(of: r)
        } else if let t = value.object(as: TensorValue.self)?.tensor {
            map = t
        } else if let image = value.object(as: ImageValue.self)?.image {
            let gray = image.toGray()
            return HeatMap(height: gray.height, width: gray.width, values: gray.chwData())
        } else {
            throw args.error(name, "\(name) must be a Tensor, an Image or a Result of an attribution verb, not \(value.typeName)", kind: .type)
        }
        if map.rank == 4 {
            guard map.shape[0] == 1 else { throw oneMapError(args, name, map.shape) }
            map = maxAbsOverChannels(map)
        }
        if map.rank == 3 {
            guard map.shape[0] == 1 else { throw oneMapError(args, name, map.shape) }
            map = map.reshaped([map.shape[1], map.shape[2]])
        }
        guard map.rank == 2, map.count > 0 else {
            throw args.error(name, "\(name) must be one H×W map; got shape \(map.shape)", kind: .shape)
        }
        return HeatMap(height: map.shape[0], width: map.shape[1], values: map.scalars)
    }

    /// The map an attribution Result drew: `.values`, or Grad-CAM's map upsampled to the input.
    static func mapTensor(of r: ExperimentResult) -> Tensor {
        r.verb == "gradcam" ? (r.extras.first { $0.0 == "upsampled" }?.1.object(as: TensorValue.self)?.tensor ?? r.values) : r.values
    }

    private static func oneMapError(_ args: Arguments, _ name: String, _ shape: [Int]) -> FoveaError {
        args.error(name, "\(name) must be one map, not a batch of \(shape[0]) (shape \(shape)); pick one, e.g. r.values[0]", kind: .shape)
    }
}
