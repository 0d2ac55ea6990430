import Engine

/// A layer's activations for every image of a dataset, one flattened row per image: what `features` returns and
/// what `neighbors`/`tsne` compute when given a model. One loop for all of them, so they batch, fit the images to
/// the model, check the budget and report progress the same way.
enum LayerFeatures {
    /// - Parameters:
    ///   - batch: images per forward pass (fewer when fitting makes images large: `ModelInput.batchSize`).
    /// - Returns: `[data.count, D]`, rows in the dataset's order.
    /// - Throws: when the layer is not computed, the N×D result would exceed the memory budget (checked after
    ///   the first batch, before the rest run), or on interrupt.
    static func compute(_ net: Model, _ data: Dataset, layer: String, batch: Int, context: VerbContext) throws -> Tensor {
        let step = ModelInput.batchSize(batch, data, for: net)
        let progress = context.progress("features at \(layer)", total: data.count)
        var rows: [Float] = []
        var width = 0
        var start = 0
        while start < data.count {
            let end = min(data.count, start + step)
            let x = ModelInput.batch(data, start..<end, for: net)
            guard let a = try net.graph.run([net.input: x], fetch: [layer], interruption: context.interruption)[layer] else {
                throw FoveaError(.value, "layer \"\(layer)\" was not computed")
            }
            if start == 0 {
                width = a.count / (end - start)
                // The first batch tells the row width: the whole N×D matrix must fit the budget before the rest runs.
                try ResourceLimits.checkTensor(shape: [data.count, width],
                                               what: "features of \(data.count) images at \(layer) (\(width) values each)")
                rows.reserveCapacity(data.count * width)
            }
            rows.append(contentsOf: a.scalars)
            start = end
            progress.step(start)
        }
        return Tensor(shape: [data.count, width], data: rows)
    }
}
