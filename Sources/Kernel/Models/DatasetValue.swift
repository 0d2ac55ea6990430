import Engine
import Foundation
import Protocol

/// A `Dataset` as a value: `data[i]` is a labelled Image, `data[a:b]` a smaller Dataset; it displays as a
/// summary and one sample per class.
public struct DatasetValue: FoveaObject {
    public var dataset: Dataset

    public init(_ dataset: Dataset) { self.dataset = dataset }

    public var typeName: String { "Dataset" }
    public var count: Int? { dataset.count }
    public var plainText: String {
        "Dataset \"\(dataset.name)\": \(dataset.count) images \(dataset.height)×\(dataset.width)×\(dataset.channels), \(dataset.classNames.count) classes"
    }
    public var attributeNames: [String] { ["classes", "labels", "shape", "name"] }

    public func attribute(_ name: String) throws -> Value? {
        switch name {
        case "classes": return .list(dataset.classNames.map { .string($0) })
        case "labels": return .list(dataset.labels.map { .int($0) })
        case "shape": return .list(dataset.shape.map { .int($0) })
        case "name": return .string(dataset.name)
        default: return nil
        }
    }

    public func subscriptValue(_ index: Value) throws -> Value? {
        if let slice = index.object(as: SliceValue.self) {
            return .object(DatasetValue(dataset.subset(try slice.positions(count: dataset.count))))
        }
        guard case .int(let i) = index else { return nil }
        let n = dataset.count
        let k = i < 0 ? i + n : i
        guard (0..<n).contains(k) else {
            throw FoveaError(.value, "index \(i) is out of range for a dataset of \(n) images")
        }
        return .object(ImageValue(dataset.image(k)))
    }

    public var saveFormats: [String] { ["npz"] }
    public func save(to url: URL, format: String) throws { try dataset.writeNpz(to: url.path) }

    public func mimeBundle() throws -> MimeBundle {
        // One sample per class (the first of each), titled with the class name.
        var firsts: [Int: Int] = [:]
        for (i, label) in dataset.labels.enumerated() where firsts[label] == nil { firsts[label] = i }
        let classes = firsts.keys.sorted().prefix(20)
        let images = classes.map { dataset.image(firsts[$0]!).enlargedForDisplay(minimumSide: 56) }
        let titles = classes.map { $0 < dataset.classNames.count ? dataset.classNames[$0] : "class \($0)" }
        var bundle = MimeBundle(data: ["text/plain": .string(plainText)])
        if !images.isEmpty {
            let picture = try ImageGrid(images: images, columns: min(10, images.count), titles: titles).render()
            bundle = Display.pngBundle(try PNGCodec.encode(picture), width: picture.width, height: picture.height, text: plainText)
        }
        return bundle
    }
}
