import Testing
@testable import Protocol

@Suite struct ConnectionInfoTests {
    /// Shape of a file written by jupyter_client's write_connection_file.
    static let tcpFile = #"""
    {"shell_port": 50001, "iopub_port": 50002, "stdin_port": 50003, "control_port": 50004, "hb_port": 50005,
     "ip": "127.0.0.1", "key": "a0436f6c-1916-498b-8eb9-e81ab9368e84", "transport": "tcp",
     "signature_scheme": "hmac-sha256", "kernel_name": "fovea"}
    """#

    @Test func parsesTCP() throws {
        let info = try ConnectionInfo.parse(Array(Self.tcpFile.utf8))
        #expect(info.transport == .tcp)
        #expect(info.key == Array("a0436f6c-1916-498b-8eb9-e81ab9368e84".utf8))
        #expect(info.endpoint(.shell) == "tcp://127.0.0.1:50001")
        #expect(info.endpoint(.iopub) == "tcp://127.0.0.1:50002")
        #expect(info.endpoint(.stdin) == "tcp://127.0.0.1:50003")
        #expect(info.endpoint(.control) == "tcp://127.0.0.1:50004")
        #expect(info.endpoint(.hb) == "tcp://127.0.0.1:50005")
        #expect(info.curveSecretKey == nil)
    }

    @Test func ipcEndpointsFollowJupyterClient() throws {
        let text = #"{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "ip": "/tmp/kernel-x", "key": "", "transport": "ipc"}"#
        let info = try ConnectionInfo.parse(Array(text.utf8))
        #expect(info.endpoint(.control) == "ipc:///tmp/kernel-x-4")
        #expect(info.key.isEmpty)
    }

    @Test func ipv6AndPortZero() {
        let info = ConnectionInfo(ip: "::1", shellPort: 0)
        #expect(info.endpoint(.shell) == "tcp://[::1]:*")
        #expect(info.isIPv6)
    }

    @Test func curveKeys() throws {
        let text = #"{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "key": "k", "curve_publickey": "P", "curve_secretkey": "S"}"#
        let info = try ConnectionInfo.parse(Array(text.utf8))
        #expect(info.curvePublicKey == "P" && info.curveSecretKey == "S")
        let half = #"{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "curve_publickey": "P"}"#
        #expect(throws: ConnectionFileError.incompleteCurveKeys) { try ConnectionInfo.parse(Array(half.utf8)) }
    }

    @Test func rejectsBadFiles() {
        #expect(throws: ConnectionFileError.missingField("hb_port")) {
            try ConnectionInfo.parse(Array(#"{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4}"#.utf8))
        }
        #expect(throws: ConnectionFileError.unsupportedTransport("udp")) {
            try ConnectionInfo.parse(Array(#"{"transport": "udp"}"#.utf8))
        }
        #expect(throws: ConnectionFileError.unsupportedSignatureScheme("hmac-md5")) {
            try ConnectionInfo.parse(Array(#"{"key": "k", "signature_scheme": "hmac-md5"}"#.utf8))
        }
        #expect(throws: ConnectionFileError.wrongType(field: "shell_port", expected: "a port number")) {
            try ConnectionInfo.parse(Array(#"{"shell_port": "1"}"#.utf8))
        }
    }
}

@Test func descriptionNeverShowsSecrets() throws {
    var info = try ConnectionInfo.parse(Array(ConnectionInfoTests.tcpFile.utf8))
    info.curvePublicKey = "PUBLICPUBLIC"
    info.curveSecretKey = "SECRETSECRET"
    let text = "\(info)"
    #expect(!text.contains("a0436f6c"))
    #expect(!text.contains("SECRETSECRET"))
    #expect(text.contains("tcp://127.0.0.1:50001") && text.contains("curve: on"))
    #expect(!"\(MessageSigner(key: Array("a0436f6c".utf8)))".contains("a0436f6c"))
}
