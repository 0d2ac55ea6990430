import Foundation
import Testing

@testable import Engine

/// `AtomicFile`: a replaced file is whole, and a write that fails (full disk, missing folder) leaves the previous
/// file exactly as it was and no temporary file behind.
@Suite(.serialized) struct AtomicFileTests {
    static func scratchFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func contents(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    @Test func replacesTheFileAndLeavesNoTemporaryFile() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.npy").path
        try AtomicFile.write([1, 2, 3] as [UInt8], to: path)
        try AtomicFile.write(Data([4, 5]), to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([4, 5]))
        #expect(try Self.contents(folder) == ["a.npy"])
    }

    /// A full disk, simulated with the file-size resource limit (write fails with EFBIG, as ENOSPC would): the
    /// old file keeps its bytes and the temporary file is removed.
    @Test func aWriteThatFailsHalfWayLeavesThePreviousFile() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("weights.safetensors").path
        let old = [UInt8](repeating: 7, count: 1000)
        try AtomicFile.write(old, to: path)

        var saved = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var small = saved
        small.rlim_cur = 64 << 10
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &small)
        let outcome = Result { try AtomicFile.write([UInt8](repeating: 9, count: 1 << 20), to: path) }
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        signal(SIGXFSZ, previousHandler)

        #expect(throws: AtomicFile.WriteError(path: path, reason: "the file is too large for this file system or process limit")) {
            try outcome.get()
        }
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == old)
        #expect(try Self.contents(folder) == ["weights.safetensors"])
    }

    @Test func missingFolderOrAFolderInTheWayAreErrors() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("nope/a.png").path
        #expect(throws: AtomicFile.WriteError(path: missing, reason: "the folder \(folder.path)/nope does not exist")) {
            try AtomicFile.write([1] as [UInt8], to: missing)
        }
        try AtomicFile.write([1] as [UInt8], to: missing, createFolder: true)
        #expect(FileManager.default.fileExists(atPath: missing))
        #expect(throws: AtomicFile.WriteError(path: folder.path, reason: "it is a folder")) {
            try AtomicFile.write([1] as [UInt8], to: folder.path)
        }
    }

    /// Every writer goes through `AtomicFile`: after a failed save of each format the previous file is intact.
    @Test func everyFormatKeepsThePreviousFileWhenWritingFails() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let big = Tensor(shape: [256, 256], repeating: 0.5)
        let writers: [(String, (String) throws -> Void)] = [
            ("x.npy", { try NpyArray(shape: big.shape, floats: big.scalars).write(to: $0) }),
            ("x.npz", { try Npz.write([("images", NpyArray(shape: big.shape, floats: big.scalars))], to: $0) }),
            ("x.safetensors", { try Safetensors.write(Safetensors.File(tensors: ["w": big]), to: $0) }),
            ("x.onnx", { try ONNXModel.decode(Data(try FileFuzzing.fixture("onnx", "tiny_fashion.onnx"))).write(to: URL(fileURLWithPath: $0)) }),
            ("x.png", { try ImageFiles.savePNG(Image(height: 256, width: 256, channels: 1, pixels: big.scalars.map { $0 * 0.9 + Float.random(in: 0..<0.1) }), to: $0) }),
        ]
        for (name, write) in writers {
            let path = folder.appendingPathComponent(name).path
            try Data("previous".utf8).write(to: URL(fileURLWithPath: path))
            var saved = rlimit()
            getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
            let previousHandler = signal(SIGXFSZ, SIG_IGN)
            var small = saved
            small.rlim_cur = 16 << 10
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &small)
            let outcome = Result { try write(path) }
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
            signal(SIGXFSZ, previousHandler)
            #expect(throws: (any Error).self, "\(name)") { try outcome.get() }
            #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) == "previous", "\(name)")
        }
        #expect(try Self.contents(folder) == ["x.npy", "x.npz", "x.onnx", "x.png", "x.safetensors"])
    }
}
