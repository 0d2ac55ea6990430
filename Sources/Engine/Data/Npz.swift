/// `.npz` files: a zip archive of `.npy` entries, as `numpy.savez` (stored) and `numpy.savez_compressed`
/// (deflated) write them. Array names are the entry names without `.npy`, in archive order.
public enum Npz {
    /// Reads every array of an `.npz` file.
    public static func read(_ path: String) throws -> [(name: String, array: NpyArray)] {
        try parse(try FileBytes.read(path), name: path)
    }

    /// Parses `.npz` bytes; `DataError(.corrupt)` if the archive or any entry is malformed.
    public static func parse(_ bytes: [UInt8], name: String = "npz data") throws -> [(name: String, array: NpyArray)] {
        let archive = try ZipArchive(parsing: bytes, name: name)
        return try archive.entries.map { entry in
            let arrayName = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            return (arrayName, try NpyArray(parsing: entry.data, name: "\(name): \(entry.name)"))
        }
    }

    /// The bytes of an `.npz` holding `arrays` in the given order.
    public static func encode(_ arrays: [(name: String, array: NpyArray)], compressed: Bool = false) throws -> [UInt8] {
        let archive = ZipArchive(entries: arrays.map { ZipArchive.Entry(name: $0.name + ".npy", data: $0.array.encoded()) })
        return try archive.encoded(method: compressed ? .deflated : .stored)
    }

    /// Writes an `.npz` file atomically.
    public static func write(_ arrays: [(name: String, array: NpyArray)], to path: String, compressed: Bool = false) throws {
        try FileBytes.writeAtomically(try encode(arrays, compressed: compressed), to: path)
    }
}
