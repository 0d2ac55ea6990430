import Foundation
import Testing
@testable import Engine

/// Path of a file under Fixtures/npy (written by tools/oracle/make_npy_fixtures.py with NumPy).
func npyFixture(_ name: String) throws -> String {
    let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return root.appendingPathComponent("npy").appendingPathComponent(name).path
}

/// A fresh temporary folder for files a test writes.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct NpyTests {
    @Test func readsNumpyFloat32() throws {
        let array = try NpyArray(contentsOf: try npyFixture("f32_2x3x4.npy"))
        #expect(array.shape == [2, 3, 4])
        #expect(array.values == .float32((0..<24).map { Float($0) * 0.25 - 3 }))
    }

    @Test func narrowsFloat64() throws {
        let array = try NpyArray(contentsOf: try npyFixture("f64_2x3.npy"))
        #expect(array.shape == [2, 3])
        #expect(array.values == .float32((0..<6).map { Float(Double($0) / 3.0) }))
    }

    @Test func readsIntegers() throws {
        let bytes = try NpyArray(contentsOf: try npyFixture("u8_5x5.npy"))
        #expect(bytes.shape == [5, 5])
        #expect(bytes.values == .uint8(stride(from: 0, to: 250, by: 10).map { UInt8($0) }))
        let longs = try NpyArray(contentsOf: try npyFixture("i64_5.npy"))
        #expect(longs.values == .int64([3, -1, 0, 9, 1 << 40]))
        let ints = try NpyArray(contentsOf: try npyFixture("i32_3.npy"))
        #expect(ints.values == .int64([7, -7, 100]))
        #expect(ints.integers == [7, -7, 100])
    }

    @Test func readsScalar() throws {
        let array = try NpyArray(contentsOf: try npyFixture("scalar.npy"))
        #expect(array.shape == [])
        #expect(array.values == .float32([2.5]))
    }

    @Test func rejectsFortranOrderAndBigEndian() throws {
        let fortran = #expect(throws: DataError.self) { try NpyArray(contentsOf: try npyFixture("fortran.npy")) }
        #expect(fortran?.kind == .unsupported)
        #expect(fortran?.message.contains("Fortran-order") == true)
        let big = #expect(throws: DataError.self) { try NpyArray(contentsOf: try npyFixture("bigendian.npy")) }
        #expect(big?.kind == .unsupported)
        #expect(big?.message.contains("dtype '>f8'") == true)
    }

    @Test(arguments: [
        NpyArray(shape: [2, 2], floats: [1, -2.5, .pi, 1e-30]),
        NpyArray(shape: [3], values: .uint8([0, 128, 255])),
        NpyArray(shape: [2, 1], values: .int64([-5, Int64.max])),
        NpyArray(shape: [0, 4], floats: []),
    ])
    func roundTrip(array: NpyArray) throws {
        let bytes = array.encoded()
        let itemSize: Int
        switch array.values {
        case .float32: itemSize = 4
        case .uint8: itemSize = 1
        case .int64: itemSize = 8
        }
        #expect((bytes.count - array.values.count * itemSize) % 64 == 0, "header is padded to 64 bytes as NumPy does")
        #expect(try NpyArray(parsing: bytes) == array)
    }

    @Test func numpyReadsWhatWeWrite() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("w.npy").path
        try NpyArray(shape: [2, 3], floats: [0, 1, 2, 3, 4, 5.5]).write(to: path)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/work/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.executableURL!.path) else { return }
        python.arguments = ["-c", "import numpy as np; a = np.load('\(path)'); print(a.dtype, a.shape, a.sum())"]
        let pipe = Pipe()
        python.standardOutput = pipe
        try python.run()
        python.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(output == "float32 (2, 3) 15.5\n")
    }

    @Test(arguments: [
        ("not npy at all", "x is not a .npy file (bad magic bytes)"),
        ("\u{93}NUMPY\u{01}\u{00}\u{40}\u{00}{'descr': '<f4',", "x is truncated"),
    ])
    func rejectsGarbage(text: String, message: String) {
        let bytes = text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
        #expect(throws: DataError(.corrupt, message)) { try NpyArray(parsing: bytes, name: "x") }
    }

    @Test(arguments: [
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, }",
        "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }",
        "{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }",
        "{'descr': '<f4', 'shape': (2,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
        "['descr', '<f4']",
    ])
    func rejectsMalformedHeaders(header: String) {
        var bytes = NpyArray.magic + [1, 0]
        bytes.appendLE(UInt16(header.utf8.count))
        bytes += Array(header.utf8) + [0, 0, 0, 0, 0, 0, 0, 0]
        let error = #expect(throws: DataError.self) { try NpyArray(parsing: bytes, name: "h.npy") }
        #expect(error?.kind == .corrupt)
        #expect(error?.message.hasPrefix("h.npy") == true)
    }

    @Test func rejectsSizeMismatch() throws {
        var bytes = NpyArray(shape: [4], floats: [1, 2, 3, 4]).encoded()
        bytes.removeLast(3)
        let error = #expect(throws: DataError.self) { try NpyArray(parsing: bytes, name: "s.npy") }
        #expect(error?.message == "s.npy: header promises 4 values of <f4 for shape [4], data holds 13 bytes")
    }

    @Test func missingFileIsNotFound() {
        #expect(throws: DataError(.notFound, "file not found: /nonexistent/a.npy")) {
            try NpyArray(contentsOf: "/nonexistent/a.npy")
        }
    }
}

@Suite struct NpzTests {
    @Test(arguments: ["tiny_stored.npz", "tiny_deflated.npz"])
    func readsNumpyArchives(file: String) throws {
        let arrays = try Npz.read(try npyFixture(file))
        let images = try #require(arrays.first { $0.name == "images" || $0.name == "x_train" }).array
        let labels = try #require(arrays.first { $0.name == "labels" || $0.name == "y_train" }).array
        #expect(images.shape == [6, 4, 4])
        #expect(images.values == .uint8((0..<96).map { UInt8($0) }))
        #expect(labels.values == .int64([0, 1, 2, 0, 1, 2]))
    }

    @Test(arguments: [false, true])
    func roundTrip(compressed: Bool) throws {
        let arrays: [(name: String, array: NpyArray)] = [
            ("weights", NpyArray(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])),
            ("labels", NpyArray(shape: [2], values: .int64([1, 0]))),
        ]
        let back = try Npz.parse(try Npz.encode(arrays, compressed: compressed))
        #expect(back.map(\.name) == ["weights", "labels"])
        #expect(back.map(\.array) == arrays.map(\.array))
    }

    @Test func numpyReadsWhatWeWrite() throws {
        let path = try temporaryFolder().appendingPathComponent("w.npz").path
        try Npz.write([("a", NpyArray(shape: [3], floats: [1, 2, 3.5])), ("b", NpyArray(shape: [1], values: .int64([7])))],
                      to: path, compressed: true)
        let python = URL(fileURLWithPath: "/work/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else { return }
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", "import numpy as np; z = np.load('\(path)'); print(sorted(z.files), z['a'].sum(), z['b'][0])"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        #expect(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "['a', 'b'] 6.5 7\n")
    }

    @Test func corruptArchiveIsTypedError() throws {
        var bytes = try FileBytes.read(try npyFixture("tiny_deflated.npz"))
        for i in 60..<120 { bytes[i] = 0 }
        let error = #expect(throws: DataError.self) { try Npz.parse(bytes, name: "c.npz") }
        #expect(error?.kind == .corrupt)
        #expect(error?.message.hasPrefix("c.npz") == true)
    }
}
