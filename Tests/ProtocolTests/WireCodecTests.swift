import Testing
@testable import Protocol

@Suite struct WireCodecTests {
    static let header = Array(#"{"date":"2026-11-25T11:29:12.123456Z","msg_id":"a1","msg_type":"kernel_info_request","session":"s1","username":"u","version":"5.5"}"#.utf8)

    /// Vectors made with Python:
    ///   hmac.new(b"fovea-test-key", header + parent + metadata + content, hashlib.sha256).hexdigest()
    @Test func signatureMatchesPythonHMAC() {
        let signer = MessageSigner(key: Array("fovea-test-key".utf8))
        let empty = Array("{}".utf8)
        #expect(String(decoding: signer.signature([Self.header, empty, empty, empty]), as: UTF8.self)
            == "b2b3d0ad489bb59cd264ac71d6bea1e8453db7b46861ec10b41bfba5e029c933")
        let content = Array(#"{"code":"print(\"héllo\") # 👁","silent":false}"#.utf8)
        #expect(String(decoding: signer.signature([Self.header, empty, empty, content]), as: UTF8.self)
            == "bff74e72045dd88c8df3a7212d635eb47bc2588abf31ea85a5330e351503e442")
    }

    /// Frames produced by jupyter_client 8.10's Session(key=b"jc-key").serialize(msg, ident=[b"ident-1"]).
    static let jupyterClientFrames: [Frame] = [
        Array("ident-1".utf8),
        Array("<IDS|MSG>".utf8),
        Array("f1d2c911995f90e634d01010e66bfe61911b4ce9e7b71b175c556c9f445ca6cf".utf8),
        Array(#"{"msg_id": "m-1", "msg_type": "execute_request", "session": "sess-1", "username": "alice", "date": "2026-11-25T11:29:12.123456Z", "version": "5.4"}"#.utf8),
        Array("{}".utf8),
        Array("{}".utf8),
        Array(#"{"code": "1+1", "silent": false, "store_history": true, "user_expressions": {}, "allow_stdin": false, "stop_on_error": true, "x": 1.0, "n": 3}"#.utf8),
    ]

    @Test func decodesWhatJupyterClientSends() throws {
        let message = try WireCodec(key: Array("jc-key".utf8)).decode(Self.jupyterClientFrames)
        #expect(message.identities == [Array("ident-1".utf8)])
        #expect(message.header.msgType == "execute_request")
        #expect(message.header.msgID == "m-1")
        #expect(message.header.session == "sess-1")
        #expect(message.header.version == "5.4")
        #expect(message.content["x"] == .double(1.0))
        #expect(message.content["n"] == .int(3))
        #expect(message.content["code"] == .string("1+1"))
        #expect(message.buffers.isEmpty)
    }

    @Test func rejectsWrongKey() {
        #expect(throws: WireError.badSignature) {
            try WireCodec(key: Array("other-key".utf8)).decode(Self.jupyterClientFrames)
        }
    }

    @Test func rejectsTamperedContent() {
        var frames = Self.jupyterClientFrames
        frames[6] = Array(#"{"code": "rm -rf", "silent": false}"#.utf8)
        #expect(throws: WireError.badSignature) { try WireCodec(key: Array("jc-key".utf8)).decode(frames) }
    }

    @Test func rejectsMissingSignatureWhenKeyed() {
        var frames = Self.jupyterClientFrames
        frames[2] = []
        #expect(throws: WireError.badSignature) { try WireCodec(key: Array("jc-key".utf8)).decode(frames) }
    }

    @Test func emptyKeyAcceptsAnySignature() throws {
        let message = try WireCodec(key: []).decode(Self.jupyterClientFrames)
        #expect(message.header.msgID == "m-1")
        #expect(WireCodec(key: []).encode(message)[2] == [])
    }

    @Test func roundTripsWithIdentitiesAndBuffers() throws {
        let codec = WireCodec(key: Array("k".utf8))
        let original = Message(
            identities: [[0, 1, 2], Array("second".utf8)],
            header: MessageHeader(msgID: "id", session: "s", username: "u", date: "2026-01-01T00:00:00.000000Z",
                                  msgType: "comm_msg", extra: ["subshell_id": .null]),
            parentHeader: ["msg_id": .string("p")],
            metadata: ["m": .double(0.5)],
            content: ["data": .object(["n": .int(1)]), "text": .string("ünï")],
            buffers: [[0xFF, 0x00], []]
        )
        let frames = codec.encode(original)
        #expect(frames.count == 2 + 1 + 1 + 4 + 2)
        #expect(frames[2] == messageDelimiter)
        #expect(try codec.decode(frames) == original)
    }

    @Test func rejectsMissingDelimiter() {
        var frames = Self.jupyterClientFrames
        frames.remove(at: 1)
        #expect(throws: WireError.missingDelimiter) { try WireCodec(key: Array("jc-key".utf8)).decode(frames) }
    }

    @Test func rejectsMissingFrames() {
        let frames = Array(Self.jupyterClientFrames.prefix(5))
        #expect(throws: WireError.missingFrames(found: 3)) { try WireCodec(key: Array("jc-key".utf8)).decode(frames) }
    }

    @Test func rejectsOversizeBeforeAnythingElse() {
        let codec = WireCodec(key: [], maxMessageBytes: 100)
        #expect(throws: WireError.oversize(bytes: 101, limit: 100)) { try codec.decode([[UInt8](repeating: 0, count: 101)]) }
    }

    @Test func rejectsBadJSONAndNonObjects() {
        let codec = WireCodec(key: [])
        func frames(_ content: String) -> [Frame] {
            [messageDelimiter, [], Array(#"{"msg_id":"1","msg_type":"x"}"#.utf8), Array("{}".utf8), Array("{}".utf8), Array(content.utf8)]
        }
        #expect(throws: WireError.invalidJSON(part: "content", reason: "unexpected end of JSON")) { try codec.decode(frames("{")) }
        #expect(throws: WireError.notAnObject(part: "content")) { try codec.decode(frames("[1]")) }
        var noType = frames("{}")
        noType[2] = Array(#"{"msg_id":"1"}"#.utf8)
        #expect(throws: WireError.badHeader("missing msg_type")) { try codec.decode(noType) }
    }

    @Test func signsExactlyTheBytesSent() {
        let codec = WireCodec(key: Array("fovea-test-key".utf8))
        let factory = MessageFactory(session: "s", username: "u")
        let frames = codec.encode(factory.message("status", content: ["execution_state": .string("idle")], parent: nil))
        #expect(codec.signer.signature(Array(frames[2...5])) == frames[1])
    }

    @Test func constantTimeEqualityComparesWholeArrays() {
        #expect(constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2]))
    }

    @Test func timestampsAreISO8601WithMicroseconds() {
        #expect(isoTimestamp(seconds: 1_795_000_000, microseconds: 42) == "2026-11-18T11:06:40.000042Z")
        let now = isoTimestamp()
        #expect(now.count == 27 && now.hasSuffix("Z"))
    }

    @Test func replyTypes() {
        #expect(replyType("execute_request") == "execute_reply")
        #expect(replyType("frobnicate") == "frobnicate_reply")
    }
}
