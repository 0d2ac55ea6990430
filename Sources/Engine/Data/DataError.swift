/// Why a data file (gzip, IDX, NPY, NPZ, safetensors, image folder) could not be read or written.
///
/// Every reader in `Engine/Data` throws this instead of crashing on bad input; the language layer shows
/// it as a `FileError` (or `ValueError` for `.invalidArgument`). The message is one line and names the file.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The file or folder does not exist (the message says how to get it when we know).
        case notFound
        /// The bytes are not what the format promises: bad magic, truncated, checksum mismatch, bad header.
        case corrupt
        /// A valid file using a feature this reader does not implement (dtype, compression method, …).
        case unsupported
        /// Reading or writing failed at the operating-system level.
        case io
        /// The caller asked for something impossible (bad split name, negative limit, mismatched shapes).
        case invalidArgument
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
