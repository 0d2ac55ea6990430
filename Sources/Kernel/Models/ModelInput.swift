import Engine

/// What a verb feeds a model: Images go through the model's own preprocessing (channels, size, mean/std);
/// Tensors (C×H×W or N×C×H×W) are fed as they are; Datasets are batches of images.
struct ModelInput {
    /// `[N, C, H, W]` in the model's input space.
    var tensor: Tensor
    /// The pictures the input came from, in [0, 1] at the model's input size (for overlays), when known.
    var pictures: [Image]
    /// Whether `tensor` came from images (so results can be drawn over `pictures`).
    var fromImages: Bool { !pictures.isEmpty }

    /// Converts an argument to model input.
    /// - Throws: `FoveaError` naming `parameter` when the value is not an image, tensor or dataset, or its
    ///   shape doesn't fit the model.
    static func make(_ value: Value, for model: Model, parameter: String, args: Arguments) throws -> ModelInput {
        if let image = value.object(as: ImageValue.self)?.image {
            let picture = fitted(image, to: model.preprocessing)
            let batch = Tensor(shape: [1, picture.channels, picture.height, picture.width], data: picture.chwData())
            return ModelInput(tensor: model.preprocessing.normalize(batch), pictures: [picture])
        }
        if let images = value.object(as: DatasetValue.self)?.dataset {
            try check(images, fits: model, parameter: parameter, args: args)
            let pictures = (0..<images.count).map { images.image($0) }
            return ModelInput(tensor: model.preprocessing.normalize(images.tensor), pictures: pictures)
        }
        if let tensor = value.object(as: TensorValue.self)?.tensor {
            let batch: Tensor
            switch tensor.rank {
            case 3: batch = tensor.reshaped([1] + tensor.shape)
            case 4: batch = tensor
            default:
                throw args.error(parameter, "a tensor input must be C×H×W or N×C×H×W; this one is \(tensor.shape)", kind: .shape)
            }
            guard batch.shape[1] == model.preprocessing.channels else {
                throw args.error(parameter, "the tensor has \(batch.shape[1]) channels; model \(model.name) takes \(model.preprocessing.channels)", kind: .shape)
            }
            return ModelInput(tensor: batch, pictures: [])
        }
        throw args.error(parameter, "\(parameter) must be an Image, a Tensor or a Dataset, not \(value.typeName)", kind: .type)
    }

    /// Images `range` of `data` as the model's input `[n, C, H, W]`, normalised: the dataset's own pixels when they
    /// already fit, else each image fitted as a single image is (`fitted`: gray ↔ RGB, resized and cropped to a
    /// fixed input size), so Fashion-MNIST can go through an ImageNet model the way one of its images can.
    static func batch(_ data: Dataset, _ range: Range<Int>, for model: Model) -> Tensor {
        let p = model.preprocessing
        if fits(data, p) { return p.normalize(data.slice(range).tensor) }
        let pictures = range.map { fitted(data.image($0), to: p) }
        let first = pictures.first
        let shape = [pictures.count, p.channels, first?.height ?? data.height, first?.width ?? data.width]
        return p.normalize(Tensor(shape: shape, data: pictures.flatMap { $0.chwData() }))
    }

    /// Images per forward pass when a verb runs `data` through `model` in batches of up to `requested`: fewer when
    /// fitting makes each image large (28×28 gray into a 224×224 RGB model is 192× the pixels), so a batch's input
    /// stays under ~16 MB and its activations within reach of the memory budget.
    static func batchSize(_ requested: Int, _ data: Dataset, for model: Model) -> Int {
        let p = model.preprocessing
        let pixels = fits(data, p) ? data.sampleSize
            : p.channels * (p.inputHeight ?? data.height) * (p.inputWidth ?? data.width)
        return max(1, min(requested, 4_000_000 / max(1, pixels)))
    }

    /// Whether the dataset's images are already what the model takes.
    private static func fits(_ data: Dataset, _ p: Preprocessing) -> Bool {
        data.channels == p.channels && (p.inputHeight ?? data.height) == data.height
            && (p.inputWidth ?? data.width) == data.width
    }

    /// Verbs that feed a dataset to a model batch by batch call this first: the graph trusts its input's channel
    /// count, so a dataset with other channels than the model's (Fashion-MNIST into an RGB ImageNet model) must be
    /// refused here, as an error naming `parameter`, before any batch runs.
    static func check(_ data: Dataset, fits model: Model, parameter: String, args: Arguments) throws {
        guard data.channels == model.preprocessing.channels else {
            throw args.error(parameter, "the dataset has \(data.channels)-channel images; model \(model.name) takes \(model.preprocessing.channels)", kind: .shape)
        }
    }

    /// An image made to fit the model: channels converted, resized (shorter side) and centre-cropped to the
    /// model's fixed input size when it has one.
    static func fitted(_ image: Image, to p: Preprocessing) -> Image {
        var picture = p.channels == 1 ? (image.channels == 1 ? image : image.toGray())
            : (image.channels == 3 ? image : image.toRGB())
        if let h = p.inputHeight, let w = p.inputWidth, picture.height != h || picture.width != w {
            picture = picture.resized(shorterSide: max(h, w)).centerCropped(height: h, width: w)
        }
        return picture
    }

    /// The picture of row `n` as the model sees it (denormalised), for drawing results over.
    func picture(_ n: Int, model: Model) throws -> Image {
        if n < pictures.count { return pictures[n] }
        return ModelInput.image(fromInputSpace: try tensor.slice(axis: 0, n..<(n + 1)), model: model)
    }

    /// A `[1, C, H, W]` input-space tensor as the picture it stands for: denormalised and clamped to [0, 1].
    static func image(fromInputSpace t: Tensor, model: Model) -> Image {
        let shown = model.preprocessing.denormalize(t)
        return Image(chw: shown.scalars, channels: shown.shape[1], height: shown.shape[2], width: shown.shape[3]).clamped()
    }
}
