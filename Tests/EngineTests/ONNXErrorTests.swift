import Foundation
import Testing
@testable import Engine

/// Bad files give one-line `ModelError`s that say what is wrong; nothing crashes.
@Suite struct ONNXErrorTests {
    static func fixture(_ name: String) -> URL { ONNXOracle.smallDirectory.appendingPathComponent(name) }

    /// The error thrown by importing `data`, which must be a ModelError on one line naming `name`.
    static func importError(_ data: Data, name: String = "bad.onnx") -> ModelError? {
        do {
            _ = try ONNXModel.decode(data, name: name)
            return nil
        } catch let error as ModelError {
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix(name + ": "))
            return error
        } catch {
            Issue.record("expected a ModelError, got \(type(of: error)): \(error)")
            return nil
        }
    }

    @Test func unsupportedOperatorNamesNodeOpAndAlternatives() throws {
        let error = try #require(Self.importError(try Data(contentsOf: Self.fixture("unsupported_op.onnx")),
                                                  name: "unsupported_op.onnx"))
        #expect(error.kind == .unsupported)
        #expect(error.node == "/gelu/Erf")
        #expect(error.opType == "Erf")
        #expect(error.description.hasPrefix("unsupported_op.onnx: node '/gelu/Erf' (Erf): operator 'Erf' is not supported"))
        #expect(error.description.contains("supported: "))
        #expect(error.description.contains("Conv") && error.description.contains("Softmax"))
    }

    @Test func truncatedFilesAreRejectedAtEveryCut() throws {
        let data = try Data(contentsOf: Self.fixture("tiny_cnn.onnx"))
        // Cuts in the header, inside the weights, and one byte short of the end.
        for length in [1, 2, 7, 20, 100, data.count / 3, data.count / 2, data.count - 200, data.count - 1] {
            let error = try #require(Self.importError(data.prefix(length)), "cut at \(length) of \(data.count)")
            #expect(error.kind == .notONNX || error.kind == .invalid, "cut at \(length): \(error)")
        }
        let error = try #require(Self.importError(data.prefix(data.count / 2)))
        #expect(error.description == "bad.onnx: truncated file: not a complete ONNX model")
    }

    @Test func nonONNXFilesAreRejected() throws {
        let samples: [Data] = [
            Data("hello, this is a text file\n".utf8),
            Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),  // PNG header
            Data("{\"cells\": []}".utf8),
            Data(repeating: 0, count: 64),
            Data(),
        ]
        for sample in samples {
            let error = try #require(Self.importError(sample))
            #expect(error.kind == .notONNX, "\(error)")
        }
        // A real .npy file from the fixtures is not a model either.
        let npy = try Data(contentsOf: Self.fixture("tiny_cnn.b1.input.npy"))
        #expect(Self.importError(npy)?.kind == .notONNX)
    }

    @Test func missingFile() {
        #expect {
            _ = try ONNXModel.load(contentsOf: URL(fileURLWithPath: "/nonexistent/net.onnx"))
        } throws: { error in
            (error as? ModelError)?.description == "/nonexistent/net.onnx: no such file"
        }
    }

    /// A valid model edited into something unsupported.
    static func edited(_ edit: (inout Onnx_ModelProto) -> Void) throws -> Data {
        var proto = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: fixture("tiny_cnn.onnx")))
        edit(&proto)
        return try proto.serializedBytes()
    }

    @Test func unsupportedAttributeNamesItAndWhatIsSupported() throws {
        let data = try Self.edited { proto in
            var attribute = Onnx_AttributeProto()
            attribute.name = "storage_order"
            attribute.type = .int
            attribute.i = 1
            proto.graph.node[3].attribute.append(attribute)
        }
        let error = try #require(Self.importError(data))
        #expect(error.kind == .unsupported)
        #expect(error.description == "bad.onnx: node '/pool1/MaxPool' (MaxPool): storage_order 1 (column-major indices) "
            + "is not supported (supported: 0)")

        let unknown = try Self.edited { proto in
            var attribute = Onnx_AttributeProto()
            attribute.name = "frobnicate"
            attribute.type = .int
            attribute.i = 1
            proto.graph.node[1].attribute.append(attribute)
        }
        #expect(Self.importError(unknown)?.description
            == "bad.onnx: node '/relu1/Relu' (Relu): attribute 'frobnicate' is not supported (supported attributes: none)")
    }

    @Test func unsupportedOpsetAndDomain() throws {
        let old = try Self.edited { $0.opsetImport[0].version = 7 }
        #expect(Self.importError(old)?.description.hasPrefix("bad.onnx: opset 7 is not supported (supported: opsets 9–21") == true)

        let custom = try Self.edited { $0.graph.node[1].domain = "com.microsoft" }
        let error = try #require(Self.importError(custom))
        #expect(error.kind == .unsupported && error.node == "/relu1/Relu")
    }

    @Test func inconsistentGraphs() throws {
        let dangling = try Self.edited { $0.graph.node[1].input = ["nowhere"] }
        #expect(Self.importError(dangling)?.description
            == "bad.onnx: node '/relu1/Relu' (Relu): input 'nowhere' is not defined before this node")

        let badWeights = try Self.edited { $0.graph.initializer[0].rawData.removeLast(4) }
        let error = try #require(Self.importError(badWeights))
        #expect(error.kind == .invalid)
        #expect(error.description.contains("conv1.weight"))
    }
}
