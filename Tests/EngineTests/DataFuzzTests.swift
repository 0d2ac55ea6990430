import Foundation
import Testing

@testable import Engine

/// Mutated `.npy`, `.npz`, IDX (plain and gzipped) and safetensors files: every mutant loads (consistently) or
/// throws `DataError`, through the same entry points the kernel's `load` and `dataset` verbs use.
@Suite struct DataFuzzTests {
    static func dataError(_ error: any Error) -> String? {
        if error is ResourceLimitError { return "ResourceLimitError" }
        return (error as? DataError).map { "DataError.\($0.kind.rawValue)" }
    }

    /// A scratch file per suite run: `Dataset.load` reads paths, as `dataset("bad.npz")` does.
    static func loadDataset(_ data: [UInt8], suffix: String) throws {
        let path = NSTemporaryDirectory() + "fovea-fuzz-\(ProcessInfo.processInfo.processIdentifier)-\(suffix)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(data).write(to: URL(fileURLWithPath: path))
        let set = try Dataset.load(path)
        #expect(set.count > 0 && set.pixels.count == set.count * set.channels * set.height * set.width)
    }

    // MARK: .npy

    static let npyEdits: [FileFuzzing.Edit] = [
        { data, rng in
            let shapes = [
                "(9223372036854775807,)", "(4294967296, 4294967296)", "(-1,)", "(1e9,)", "(", "(3, 4, 5, 6, 7, 8)",
                "(999999999999999999, 2)", "(0,)", "()", "(2, 0, 3)", "(65536, 65536, 3)",
            ]
            let at = FileFuzzing.offsets(of: Array("'shape': (".utf8), in: data).first ?? 0
            guard let close = data[at...].firstIndex(of: UInt8(ascii: ")")) else { return }
            let shape = shapes[Int(rng.next() % UInt64(shapes.count))]
            data.replaceSubrange((at + 9)...close, with: Array(shape.utf8))
        },
        { data, rng in
            let dtypes = ["<f2", ">f4", "|O", "<U8", "", "<c8", "<f16", "|V4", "<M8[s]", "<i4", "|u1", "<f8"]
            for old in ["<f4", "<f8", "<i8", "<i4", "|u1"] {
                FileFuzzing.replace("'\(old)'", with: "'\(dtypes[Int(rng.next() % UInt64(dtypes.count))])'", in: &data)
            }
        },
        { data, _ in FileFuzzing.replace("False", with: "True ", in: &data) },
        { data, rng in  // header length field (version 1: 2 bytes at 8) or version byte
            if rng.next() % 2 == 0 {
                FileFuzzing.putLittleEndian(FileFuzzing.nastySize(&rng), width: 2, at: 8, in: &data)
            } else if data.count > 6 {
                data[6] = [0, 2, 3, 4, 255][Int(rng.next() % 5)]
            }
        },
    ]

    static func npySeeds() throws -> [[UInt8]] {
        try ["f32_2x3x4.npy", "f64_2x3.npy", "i32_3.npy", "i64_5.npy", "u8_5x5.npy", "scalar.npy"]
            .map { try FileFuzzing.fixture("npy", $0) }
            + [NpyArray(shape: [4, 6, 5], values: .uint8((0..<120).map { UInt8($0) })).encoded()]
    }

    @Test func npyMutantsGiveDataErrors() throws {
        let tally = FileFuzzing.run(
            "npy", seeds: try Self.npySeeds(), cases: 300, seed: 0x4E50_59, edits: Self.npyEdits,
            expected: Self.dataError
        ) { data in
            let array = try NpyArray(parsing: data)
            #expect(array.values.count == array.shape.reduce(1, *))
            try Self.loadDataset(data, suffix: "x.npy")
        }
        #expect(tally.rejected > tally.cases / 2)
        #expect(tally.slowestSeconds < 5)
    }

    // MARK: .npz

    /// Zip edits: sizes, offsets, name lengths and counts in the local headers, central directory and end record.
    static let zipEdits: [FileFuzzing.Edit] = [
        { data, rng in  // central directory: compressed size 20, size 24, name length 28, extra length 30, offset 42
            guard let entry = FileFuzzing.offsets(of: [0x50, 0x4B, 0x01, 0x02], in: data).randomElement(using: &rng)
            else { return }
            let (field, width) = [(20, 4), (24, 4), (28, 2), (30, 2), (42, 4), (10, 2)][Int(rng.next() % 6)]
            FileFuzzing.putLittleEndian(FileFuzzing.nastySize(&rng), width: width, at: entry + field, in: &data)
        },
        { data, rng in  // local header: compressed size 18, size 22, name length 26, extra length 28
            guard let entry = FileFuzzing.offsets(of: [0x50, 0x4B, 0x03, 0x04], in: data).randomElement(using: &rng)
            else { return }
            let (field, width) = [(18, 4), (22, 4), (26, 2), (28, 2)][Int(rng.next() % 4)]
            FileFuzzing.putLittleEndian(FileFuzzing.nastySize(&rng), width: width, at: entry + field, in: &data)
        },
        { data, rng in  // end record: entry counts 8/10, directory size 12, directory offset 16
            guard let end = FileFuzzing.offsets(of: [0x50, 0x4B, 0x05, 0x06], in: data).last else { return }
            let (field, width) = [(8, 2), (10, 2), (12, 4), (16, 4)][Int(rng.next() % 4)]
            FileFuzzing.putLittleEndian(FileFuzzing.nastySize(&rng), width: width, at: end + field, in: &data)
        },
        { data, rng in  // a zip64 extra field claiming huge sizes: placeholders in the directory, extra appended
            guard let entry = FileFuzzing.offsets(of: [0x50, 0x4B, 0x01, 0x02], in: data).first,
                  entry + 46 <= data.count else { return }
            FileFuzzing.putLittleEndian(0xFFFF_FFFF, width: 4, at: entry + 20, in: &data)
            FileFuzzing.putLittleEndian(0xFFFF_FFFF, width: 4, at: entry + 24, in: &data)
            let nameLength = Int(data[entry + 28]) | Int(data[entry + 29]) << 8
            let extraLength = Int(data[entry + 30]) | Int(data[entry + 31]) << 8
            var extra: [UInt8] = [0x01, 0x00, 16, 0]
            for _ in 0..<2 {
                var value = [UInt8](repeating: 0, count: 8)
                FileFuzzing.putLittleEndian(FileFuzzing.nastySize(&rng), width: 8, at: 0, in: &value)
                extra += value
            }
            let at = min(data.count, entry + 46 + nameLength + extraLength)
            data.insert(contentsOf: extra, at: at)
            FileFuzzing.putLittleEndian(UInt64(extraLength + extra.count), width: 2, at: entry + 30, in: &data)
        },
    ]

    static func npzSeeds() throws -> [[UInt8]] {
        let images = NpyArray(shape: [3, 1, 4, 4], floats: (0..<48).map { Float($0) / 48 })
        let labels = NpyArray(shape: [3], values: .int64([0, 2, 1]))
        return try ["tiny_stored.npz", "tiny_deflated.npz"].map { try FileFuzzing.fixture("npy", $0) }
            + [try Npz.encode([("images", images), ("labels", labels)], compressed: true)]
    }

    @Test func npzMutantsGiveDataErrors() throws {
        let tally = FileFuzzing.run(
            "npz", seeds: try Self.npzSeeds(), cases: 300, seed: 0x4E50_5A, edits: Self.zipEdits + Self.npyEdits,
            expected: Self.dataError
        ) { data in
            _ = try Npz.parse(data)
            try Self.loadDataset(data, suffix: "x.npz")
        }
        #expect(tally.rejected > tally.cases / 2)
        #expect(tally.slowestSeconds < 5)
    }

    // MARK: IDX and gzip

    static let idxEdits: [FileFuzzing.Edit] = [
        { data, rng in  // a dimension (big-endian UInt32 after the 4-byte magic)
            let rank = data.count > 3 ? Int(data[3]) : 1
            let d = Int(rng.next() % UInt64(max(rank, 1)))
            FileFuzzing.putBigEndian(FileFuzzing.nastySize(&rng), width: 4, at: 4 + 4 * d, in: &data)
        },
        { data, rng in  // type code or rank
            guard data.count > 3 else { return }
            data[2 + Int(rng.next() % 2)] = UInt8(truncatingIfNeeded: rng.next())
        },
    ]

    static let idxArray = IDXArray(shape: [5, 7, 6], bytes: (0..<210).map { UInt8(truncatingIfNeeded: $0 &* 37) })

    @Test func idxMutantsGiveDataErrors() throws {
        let tally = FileFuzzing.run(
            "idx", seeds: [Self.idxArray.encoded(), IDXArray(shape: [9], bytes: Array(0..<9)).encoded()], cases: 400,
            seed: 0x1D_0001, edits: Self.idxEdits, expected: Self.dataError
        ) { data in
            let array = try IDXArray(parsing: data)
            #expect(array.bytes.count == array.shape.reduce(1, *))
        }
        #expect(tally.rejected > tally.cases / 2)
    }

    /// gzip edits: header flags (FEXTRA/FNAME/FCOMMENT/FHCRC make zlib read more header), the ISIZE and CRC trailer.
    static let gzipEdits: [FileFuzzing.Edit] = [
        { data, rng in if data.count > 3 { data[3] = UInt8(truncatingIfNeeded: rng.next()) } },
        { data, rng in
            FileFuzzing.putLittleEndian(FileFuzzing.nastySize(&rng), width: 4, at: data.count - 4 * Int(1 + rng.next() % 2), in: &data)
        },
    ]

    @Test func gzippedIDXMutantsGiveDataErrors() throws {
        let seeds = [try Zlib.gzip(Self.idxArray.encoded()), try Zlib.gzip(Self.idxArray.encoded(), level: 0)]
        let tally = FileFuzzing.run(
            "idx.gz", seeds: seeds, cases: 400, seed: 0x1D_0002, edits: Self.gzipEdits + Self.idxEdits,
            expected: Self.dataError
        ) { data in
            let array = try IDXArray(parsing: try Zlib.gunzip(data))
            #expect(array.bytes.count == array.shape.reduce(1, *))
        }
        #expect(tally.rejected > tally.cases / 2)
    }

    /// A gzip bomb (a few kilobytes inflating to far more than the memory budget) is refused while inflating,
    /// not after the allocation.
    @Test func gzipBombIsRefusedByTheMemoryBudget() throws {
        let bomb = try Zlib.gzip([UInt8](repeating: 0, count: 64 << 20), level: 9)
        #expect(bomb.count < 128 << 10)
        let error = try #require(throws: ResourceLimitError.self) {
            try ResourceLimits.$memoryOverride.withValue(16 << 20) { try Zlib.gunzip(bomb, name: "bomb.gz") }
        }
        #expect(error.budget == .memory && error.limit == 16 << 20)
        #expect(error.description.hasPrefix("decompressing bomb.gz goes over the memory budget of 16 MB; raise it with limits(memory=…)"))
    }

    // MARK: safetensors

    static let safetensorsEdits: [FileFuzzing.Edit] = [
        { data, rng in FileFuzzing.putLittleEndian(FileFuzzing.nastySize(&rng), width: 8, at: 0, in: &data) },
        { data, rng in
            let shapes = ["[9223372036854775807,9223372036854775807]", "[1e30]", "[-1,6]", "[4294967296,4294967296,8]",
                          "[3.5,2]", "[\"a\"]", "[]", "[0]", "[18446744073709551615]", "[1e308,1e308]"]
            FileFuzzing.replace("\"shape\":[2,3]", with: "\"shape\":" + shapes[Int(rng.next() % UInt64(shapes.count))], in: &data)
        },
        { data, rng in
            let offsets = ["[0,9223372036854775807]", "[-24,0]", "[24,0]", "[0,1e30]", "[1e19,1e19]", "[0]", "[0,24,48]"]
            FileFuzzing.replace("\"data_offsets\":[0,24]", with: "\"data_offsets\":" + offsets[Int(rng.next() % UInt64(offsets.count))], in: &data)
        },
        { data, rng in
            let dtypes = ["F16", "BF16", "F64", "I64", "U8", "BOOL", "C64", "F8_E4M3", "", "f32"]
            FileFuzzing.replace("\"F32\"", with: "\"" + dtypes[Int(rng.next() % UInt64(dtypes.count))] + "\"", in: &data)
        },
    ]

    @Test func safetensorsMutantsGiveDataErrors() throws {
        let file = Safetensors.File(
            tensors: ["a": Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]), "b": Tensor(shape: [4], data: [7, 8, 9, 10])],
            metadata: ["format": "pt"])
        let tally = FileFuzzing.run(
            "safetensors", seeds: [try Safetensors.encode(file)], cases: 800, seed: 0x5AFE, edits: Self.safetensorsEdits,
            expected: Self.dataError
        ) { data in
            let parsed = try Safetensors.parse(data)
            for tensor in parsed.tensors.values { #expect(tensor.count == tensor.shape.reduce(1, *)) }
        }
        #expect(tally.rejected > tally.cases / 3)
    }
}

/// The crashes the fuzzers look for, one deterministic case each (each trapped or over-allocated before its fix).
@Suite struct DataReaderRegressionTests {
    /// shape × item size overflowed `Int` (a trap) before the offsets were compared.
    @Test func safetensorsShapeWhoseByteCountOverflows() throws {
        let header = Array(#"{"w":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"#.utf8)
        var bytes: [UInt8] = []
        bytes.appendLE(UInt64(header.count))
        bytes += header
        let error = try #require(throws: DataError.self) { try Safetensors.parse(bytes, name: "w.safetensors") }
        #expect(error.kind == .corrupt)
        #expect(error.message.contains("tensor 'w'"))
    }

    /// A 1e30 in a JSON shape made `NSNumber.intValue` wrap; it is now a malformed entry.
    @Test func safetensorsNonIntegerShape() throws {
        let header = Array(#"{"w":{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}}"#.utf8)
        var bytes: [UInt8] = []
        bytes.appendLE(UInt64(header.count))
        bytes += header + [0, 0, 0, 0]
        #expect(throws: DataError(.corrupt, "w.safetensors: tensor 'w' has a malformed header entry")) {
            try Safetensors.parse(bytes, name: "w.safetensors")
        }
    }

    /// Float labels of 1e30 trapped in `Int(_:)`; a label of 2^40 made a trillion class names.
    @Test(arguments: [Float(1e30), Float(1 << 40)])
    func hugeLabelsAreRefused(label: Float) throws {
        let images = NpyArray(shape: [2, 2, 2], floats: [0, 0.5, 1, 0, 0.5, 1, 0, 1])
        let labels = NpyArray(shape: [2], floats: [0, label])
        #expect(throws: DataError(.invalidArgument, "t.npz: labels must be class indices below 100000")) {
            try Dataset.arrayDataset(images: images, labels: labels, name: "t.npz")
        }
    }

    /// A header promising a terabyte-sized array is corrupt (body too short); one matching its body but over the
    /// budget is refused before its values are decoded.
    @Test func npyHeaderAskingForMoreThanTheBudget() throws {
        var bytes = NpyArray(shape: [2], floats: [1, 2]).encoded()
        FileFuzzing.replace("(2,)", with: "(1099511627776, 1099511627776)", in: &bytes)
        // The body no longer matches the header: corrupt, and nothing allocated.
        #expect(throws: DataError.self) { try NpyArray(parsing: bytes) }
        // A header that matches its (large) body but exceeds a small budget: refused before decoding.
        let big = NpyArray(shape: [1 << 20], values: .uint8([UInt8](repeating: 7, count: 1 << 20))).encoded()
        let error = try #require(throws: ResourceLimitError.self) {
            try ResourceLimits.$memoryOverride.withValue(4 << 20) { try NpyArray(parsing: big, name: "big.npy") }
        }
        #expect(error.description == "big.npy: an array of shape [1048576] needs 8 MB, more than the memory budget of 4 MB; "
            + "raise it with limits(memory=…) or the FOVEA_MEMORY_LIMIT environment variable")
    }
}
