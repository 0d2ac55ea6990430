/// `fovea-kernel`: the Jupyter kernel binary.
///   fovea-kernel -f CONNECTION_FILE            serve (what kernel.json's argv runs)
///   fovea-kernel install [--user|--sys-prefix|--prefix P] [--name fovea]
import ArgumentParser
import Engine
import Foundation
import Kernel
import Protocol

/// Stops with a message when this CPU lacks an extension the engine was compiled for (a release build targets the
/// CPU that built it), rather than letting the first cell die of an illegal instruction.
func requireInstructionSet() throws {
    let missing = InstructionSet.missing()
    guard !missing.isEmpty else { return }
    FileHandle.standardError.write(Data("""
        error: this fovea-kernel was built for x86-64 CPUs with AVX2 and FMA (Haswell, 2013, or newer), as the machine \
        that built it has; this CPU lacks \(missing.joined(separator: ", ")). Build the kernel from source on this \
        machine (the README's `./scripts/run`, or `./scripts/package` here for a tarball).

        """.utf8))
    throw ExitCode(3)
}

struct FoveaKernel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fovea-kernel",
        abstract: "A Jupyter kernel for seeing inside convolutional networks.",
        version: FoveaSession.version,
        subcommands: [Run.self, Install.self],
        defaultSubcommand: Run.self
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the Jupyter protocol for one client session.")

    @Option(name: .customShort("f"), help: "The connection file written by the Jupyter client.")
    var connectionFile: String

    @Flag(help: ArgumentHelp("Use the protocol-testing echo language instead of Fovea.", visibility: .hidden))
    var echo = false

    @Option(help: ArgumentHelp("Largest accepted message, in bytes.", visibility: .hidden))
    var maxMessageBytes = WireCodec.defaultMaxMessageBytes

    @Option(help: "Memory budget per value, e.g. 4GB (default: half the RAM, at most 8 GB; env FOVEA_MEMORY_LIMIT).")
    var memoryLimit: String?

    @Option(help: "Pixel budget per image (default: 67108864; env FOVEA_PIXEL_LIMIT).")
    var pixelLimit: String?

    @Option(help: "Most points t-SNE accepts (default: 70000; env FOVEA_TSNE_POINTS_LIMIT).")
    var tsnePointsLimit: String?

    func run() throws {
        try requireInstructionSet()
        // Budgets first: the session copies them when it is created. Options override the environment.
        try SessionLimits.configure(environment: ProcessInfo.processInfo.environment, memory: memoryLimit,
                                    pixels: pixelLimit, tsnePoints: tsnePointsLimit)
        let connection = try ConnectionInfo.load(path: connectionFile)
        var options = KernelServerOptions()
        options.maxMessageBytes = maxMessageBytes
        // Bind first: the client is already trying to connect, and every retry costs it 100 ms.
        let server = try KernelServer(connection: connection, options: options)
        let backend: KernelBackend = echo ? EchoBackend() : FoveaSession()
        // SIGINT interrupts the running cell; it never kills the kernel.
        try InterruptSignal.install { [backend] in backend.interrupt() }
        _ = server.run(backend: backend)
    }
}

struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Install the Fovea kernelspec for Jupyter.")

    @Flag(help: "Install for the current user (the default).") var user = false
    @Flag(help: "Install into the active Python environment (VIRTUAL_ENV, CONDA_PREFIX, or the one running `jupyter` on PATH).") var sysPrefix = false
    @Option(help: "Install under PREFIX/share/jupyter/kernels.") var prefix: String?
    @Option(help: "Kernelspec name.") var name = "fovea"

    func validate() throws {
        if [user, sysPrefix, prefix != nil].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --user, --sys-prefix, --prefix")
        }
    }

    func run() throws {
        try requireInstructionSet()
        let scope: KernelspecInstaller.Scope = sysPrefix ? .sysPrefix : prefix.map { .prefix($0) } ?? .user
        let directory = try KernelspecInstaller(name: name, scope: scope).install(executable: Self.executablePath())
        print("Installed kernelspec \(name) in \(directory.path)")
    }

    /// The absolute, symlink-resolved path of this binary.
    static func executablePath() -> String {
        let link = "/proc/self/exe"
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: link) { return resolved }
        let argument0 = CommandLine.arguments[0]
        let url = URL(fileURLWithPath: argument0, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return url.standardizedFileURL.resolvingSymlinksInPath().path
    }
}

FoveaKernel.main()
