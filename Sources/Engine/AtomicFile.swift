import Foundation

/// The one way Fovea replaces a file: the bytes go to a temporary file in the same folder, are flushed to disk
/// (`fsync`), and the temporary file is renamed over the target; the folder is then synced so the rename itself
/// survives a crash. A reader — or the user after a full disk, an interrupt or a killed kernel — sees the old file
/// or the new one, never half of either. On failure the temporary file is removed and the old file is untouched.
///
/// Every writer uses it: `save` (PNG, NPY, NPZ, ONNX, safetensors), the model cache and the history's session file.
public enum AtomicFile {
    /// Why a file could not be written: the path and the operating system's reason.
    public struct WriteError: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// Writes `bytes` to `path` atomically. `createFolder` makes missing parent folders first (caches do; `save`
    /// does not, so a mistyped folder is an error rather than a surprise folder).
    /// - Throws: `WriteError` naming the path; the previous file (if any) is unchanged.
    public static func write<Bytes: ContiguousBytes>(_ bytes: Bytes, to path: String, createFolder: Bool = false) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        if createFolder {
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw WriteError(path: path, reason: "cannot create the folder \(folder.path)")
            }
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw WriteError(path: path, reason: "it is a folder")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, reason: systemReason(errno, folder: folder.path)) }
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += n
            }
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        if close(fd) != 0, failure == 0 { failure = errno }
        if failure == 0, rename(temporary, path) != 0 { failure = errno }
        guard failure == 0 else {
            unlink(temporary)
            throw WriteError(path: path, reason: systemReason(failure, folder: folder.path))
        }
        syncFolder(folder.path)
    }

    /// Makes a rename durable: fsync on the folder (best effort; some file systems refuse it).
    private static func syncFolder(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private static func systemReason(_ code: Int32, folder: String) -> String {
        switch code {
        case ENOENT: return "the folder \(folder) does not exist"
        case ENOSPC: return "the disk is full"
        case EFBIG: return "the file is too large for this file system or process limit"
        case EACCES, EPERM, EROFS: return "permission denied"
        default: return String(cString: strerror(code))
        }
    }
}
