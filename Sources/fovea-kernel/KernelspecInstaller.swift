/// Writes the Fovea kernelspec (kernel.json + logos) into a Jupyter data directory, with argv pointing at
/// this very binary, so `jupyter kernelspec list` finds it.
import Foundation
import Protocol

struct KernelspecInstaller {
    enum Scope {
        case user
        case sysPrefix
        case prefix(String)
    }

    enum InstallError: Error, CustomStringConvertible {
        case cannotFindPrefix(String)
        var description: String {
            switch self {
            case .cannotFindPrefix(let reason): return "cannot find the Python prefix of jupyter: \(reason)"
            }
        }
    }

    var name: String
    var scope: Scope

    /// The `kernel.json` content: the same fields as kernelspec/fovea/kernel.json, argv made absolute.
    static func kernelJSON(executable: String) -> JSON {
        .object([
            "argv": .array([.string(executable), .string("-f"), .string("{connection_file}")]),
            "display_name": .string("Fovea"),
            "language": .string("fovea"),
            "interrupt_mode": .string("signal"),
            "kernel_protocol_version": .string(jupyterProtocolVersion),
            "metadata": .object(["supported_encryption": .array([.string("curve")])]),
        ])
    }

    /// `~/.local/share/jupyter/kernels/NAME` (or `$JUPYTER_DATA_DIR`, `$XDG_DATA_HOME/jupyter/…`),
    /// `sys.prefix/share/jupyter/kernels/NAME`,
    /// or `P/share/jupyter/kernels/NAME`.
    func destination() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        let dataDir: URL
        switch scope {
        case .user:
            if let custom = environment["JUPYTER_DATA_DIR"], !custom.isEmpty {
                dataDir = URL(fileURLWithPath: custom)
            } else {
                // $HOME first, as jupyter_core does (the password database only when it is unset).
                let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
                    ?? FileManager.default.homeDirectoryForCurrentUser.path
                #if os(macOS)
                dataDir = URL(fileURLWithPath: home).appendingPathComponent("Library/Jupyter")
                #else
                let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.local/share"
                dataDir = URL(fileURLWithPath: base).appendingPathComponent("jupyter")
                #endif
            }
        case .sysPrefix:
            dataDir = URL(fileURLWithPath: try Self.activeSysPrefix()).appendingPathComponent("share/jupyter")
        case .prefix(let prefix):
            dataDir = URL(fileURLWithPath: prefix).appendingPathComponent("share/jupyter")
        }
        return dataDir.appendingPathComponent("kernels").appendingPathComponent(name)
    }

    /// The Python environment `--sys-prefix` means, as `jupyter kernelspec install --sys-prefix` run from the
    /// shell would see it: an activated virtualenv or conda env (`VIRTUAL_ENV`, `CONDA_PREFIX`); otherwise
    /// `sys.prefix` of the Python behind the `jupyter` on PATH (read from its `#!` line); otherwise of `python3`.
    static func activeSysPrefix() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        for variable in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
            if let prefix = environment[variable], !prefix.isEmpty { return prefix }
        }
        let path = environment["PATH"] ?? ""
        var python = "python3"
        if let jupyter = path.split(separator: ":").map({ "\($0)/jupyter" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
           let text = try? String(contentsOfFile: jupyter, encoding: .utf8), text.hasPrefix("#!"),
           let line = text.split(separator: "\n").first {
            let interpreter = line.dropFirst(2).trimmingCharacters(in: .whitespaces)
            if !interpreter.contains(" ") { python = interpreter }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", "import sys; print(sys.prefix)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { throw InstallError.cannotFindPrefix("\(error)") }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        process.waitUntilExit()
        guard process.terminationStatus == 0, !output.isEmpty else {
            throw InstallError.cannotFindPrefix("\(python) exited with \(process.terminationStatus)")
        }
        return output
    }

    /// Writes the kernelspec and returns its directory.
    func install(executable: String) throws -> URL {
        let directory = try destination()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var json = Self.kernelJSON(executable: executable).encoded()
        json.append(0x0A)
        try Data(json).write(to: directory.appendingPathComponent("kernel.json"), options: .atomic)
        for (size, base64) in [(32, KernelspecLogos.logo32), (64, KernelspecLogos.logo64)] {
            if let data = Data(base64Encoded: base64) {
                try data.write(to: directory.appendingPathComponent("logo-\(size)x\(size).png"), options: .atomic)
            }
        }
        return directory
    }
}
