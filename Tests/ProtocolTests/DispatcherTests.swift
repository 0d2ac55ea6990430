import Testing
@testable import Protocol

@Suite struct DispatcherTests {
    let backend = ScriptedBackend()
    let publisher = RecordingPublisher()
    let channel = InMemoryChannel()
    let client = TestClient()
    let dispatcher: Dispatcher

    init() {
        dispatcher = Dispatcher(backend: backend, publisher: publisher, factory: MessageFactory(session: "kernel-session", username: "kernel"))
    }

    @Test func startingIsPublishedWithoutParent() {
        dispatcher.publishStarting()
        #expect(publisher.summary == ["status:starting"])
        #expect(publisher.published[0].parentHeader.isEmpty)
        #expect(publisher.published[0].header.session == "kernel-session")
        #expect(publisher.published[0].header.version == "5.5")
    }

    @Test func kernelInfoIsWrappedInBusyIdle() throws {
        let request = client.request("kernel_info_request")
        channel.queue = [request]
        channel.serve(dispatcher, on: .control)
        #expect(publisher.summary == ["status:busy", "status:idle"])
        for message in publisher.published { #expect(message.parentHeader == request.header.json) }
        let reply = try #require(channel.sent.first)
        #expect(reply.msgType == "kernel_info_reply")
        #expect(reply.identities == request.identities)
        #expect(reply.parentHeader["msg_id"] == .string(request.header.msgID))
        #expect(reply.content["status"] == .string("ok"))
        #expect(reply.content["protocol_version"] == .string("5.5"))
        #expect(reply.content["implementation"] == .string("scripted"))
        #expect(reply.content["implementation_version"] == .string("1.2"))
        #expect(reply.content["banner"] == .string("hello"))
        #expect(reply.content["language_info"]?["name"] == .string("fovea"))
        #expect(reply.content["help_links"] == .array([.object(["text": .string("Docs"), "url": .string("https://example.invalid/docs")])]))
    }

    @Test func executeCountsAndPublishesInOrder() throws {
        let first = client.execute("1+1")
        channel.queue = [first, client.execute("2")]
        channel.serve(dispatcher)
        #expect(publisher.summary == ["status:busy", "execute_input", "execute_result", "status:idle",
                                      "status:busy", "execute_input", "execute_result", "status:idle"])
        let input = publisher.published[1]
        #expect(input.content["code"] == .string("1+1"))
        #expect(input.content["execution_count"] == .int(1))
        let result = publisher.published[2]
        #expect(result.content["execution_count"] == .int(1))
        #expect(result.content["data"] == .object(["text/plain": .string("=1+1")]))
        #expect(result.parentHeader["msg_id"] == .string(first.header.msgID))
        #expect(channel.sent.map { $0.content["execution_count"] } == [.int(1), .int(2)])
        #expect(channel.sent.map { $0.content["status"] } == [.string("ok"), .string("ok")])
        #expect(backend.executed.map(\.count) == [1, 2])
    }

    @Test func silentAndNoHistoryDoNotCount() throws {
        channel.queue = [client.execute("a"), client.execute("b", silent: true), client.execute("c", storeHistory: false),
                         client.execute("d")]
        channel.serve(dispatcher)
        #expect(channel.sent.map { $0.content["execution_count"] } == [.int(1), .int(1), .int(1), .int(2)])
        // Silent: nothing on IOPub but busy/idle; store_history false still shows input and result.
        #expect(publisher.summary == [
            "status:busy", "execute_input", "execute_result", "status:idle",
            "status:busy", "status:idle",
            "status:busy", "execute_input", "execute_result", "status:idle",
            "status:busy", "execute_input", "execute_result", "status:idle",
        ])
        #expect(backend.executed.map(\.silent) == [false, true, false, false])
    }

    @Test func errorPublishesAndReplies() throws {
        channel.queue = [client.execute("fail")]
        channel.serve(dispatcher)
        #expect(publisher.summary == ["status:busy", "execute_input", "error", "status:idle"])
        let error = publisher.published[2]
        #expect(error.content["ename"] == .string("ValueError"))
        #expect(error.content["traceback"] == .array([.string("line 1"), .string("^")]))
        let reply = try #require(channel.sent.first)
        #expect(reply.content["status"] == .string("error"))
        #expect(reply.content["ename"] == .string("ValueError"))
        #expect(reply.content["evalue"] == .string("bad"))
        #expect(reply.content["execution_count"] == .int(1))
    }

    @Test func stopOnErrorAbortsQueuedExecutesOnly() throws {
        channel.queue = [client.execute("fail"), client.execute("x"), client.request("kernel_info_request"), client.execute("y")]
        channel.serve(dispatcher)
        #expect(channel.sent.map(\.msgType) == ["execute_reply", "execute_reply", "kernel_info_reply", "execute_reply"])
        #expect(channel.sent.map { $0.content["status"] } == [.string("error"), .string("aborted"), .string("ok"), .string("aborted")])
        #expect(backend.executed.map(\.code) == ["fail"])
        // Each aborted request still gets busy/idle and no execute_input.
        #expect(publisher.summary == ["status:busy", "execute_input", "error", "status:idle",
                                      "status:busy", "status:idle", "status:busy", "status:idle", "status:busy", "status:idle"])
        // Requests arriving after the abort run normally, and counting resumes.
        channel.queue = [client.execute("z")]
        channel.serve(dispatcher)
        #expect(channel.sent.last?.content["status"] == .string("ok"))
        #expect(channel.sent.last?.content["execution_count"] == .int(2))
    }

    @Test func withoutStopOnErrorQueuedExecutesRun() {
        channel.queue = [client.execute("fail", stopOnError: false), client.execute("x")]
        channel.serve(dispatcher)
        #expect(channel.sent.map { $0.content["status"] } == [.string("error"), .string("ok")])
        #expect(backend.executed.map(\.code) == ["fail", "x"])
    }

    @Test func silentErrorDoesNotAbortOrPublish() {
        channel.queue = [client.execute("fail", silent: true), client.execute("x")]
        channel.serve(dispatcher)
        #expect(channel.sent.map { $0.content["status"] } == [.string("error"), .string("ok")])
        #expect(!publisher.summary.contains("error"))
    }

    @Test func userExpressionsArePassedAndReturned() throws {
        channel.queue = [client.execute("a", userExpressions: ["k": .string("x + 1")])]
        channel.serve(dispatcher)
        let expressions = try #require(channel.sent.first?.content["user_expressions"])
        #expect(expressions["k"]?["data"] == .object(["text/plain": .string("X + 1")]))
    }

    @Test func outputSinkPublishesParentedMessages() throws {
        backend.onExecute = { _, sink in
            sink.stream(.stdout, "out\n")
            sink.stream(.stderr, "err\n")
            sink.display(MimeBundle(data: ["text/plain": .string("v1")]), displayID: "d1", update: false)
            sink.display(MimeBundle(data: ["text/plain": .string("v2")], metadata: ["image/png": .object([:])]), displayID: "d1", update: true)
            sink.display(MimeBundle(data: ["text/plain": .string("plain")]), displayID: nil, update: false)
            sink.clearOutput(wait: true)
        }
        let request = client.execute("")
        channel.queue = [request]
        channel.serve(dispatcher)
        #expect(publisher.summary == ["status:busy", "execute_input", "stream", "stream", "display_data",
                                      "update_display_data", "display_data", "clear_output", "status:idle"])
        let published = publisher.published
        for message in published { #expect(message.parentHeader["msg_id"] == .string(request.header.msgID)) }
        #expect(published[2].content == ["name": .string("stdout"), "text": .string("out\n")])
        #expect(published[3].content["name"] == .string("stderr"))
        #expect(published[4].content["transient"] == .object(["display_id": .string("d1")]))
        #expect(published[5].content["transient"] == .object(["display_id": .string("d1")]))
        #expect(published[5].content["data"] == .object(["text/plain": .string("v2")]))
        #expect(published[5].content["metadata"] == .object(["image/png": .object([:])]))
        #expect(published[6].content["transient"] == .object([:]))
        #expect(published[7].content == ["wait": .bool(true)])
        // An empty cell has no execute_result.
        #expect(!publisher.summary.contains("execute_result"))
    }

    @Test func completeInspectIsComplete() throws {
        channel.queue = [
            client.request("complete_request", ["code": .string("é al"), "cursor_pos": .int(4)]),
            client.request("inspect_request", ["code": .string("known"), "cursor_pos": .int(2), "detail_level": .int(1)]),
            client.request("inspect_request", ["code": .string("nope"), "cursor_pos": .int(2)]),
            client.request("is_complete_request", ["code": .string("open(")]),
            client.request("is_complete_request", ["code": .string(")")]),
            client.request("is_complete_request", ["code": .string("x")]),
            client.request("is_complete_request", ["code": .string("?")]),
        ]
        channel.serve(dispatcher)
        #expect(backend.completions.map(\.1) == [4])
        let replies = channel.sent
        #expect(replies.map(\.msgType) == ["complete_reply", "inspect_reply", "inspect_reply", "is_complete_reply",
                                            "is_complete_reply", "is_complete_reply", "is_complete_reply"])
        #expect(replies[0].content["matches"] == .array([.string("alpha"), .string("alps")]))
        #expect(replies[0].content["cursor_start"] == .int(2))
        #expect(replies[0].content["cursor_end"] == .int(4))
        #expect(replies[1].content["found"] == .bool(true))
        #expect(replies[1].content["data"] == .object(["text/plain": .string("doc level 1")]))
        #expect(replies[2].content["found"] == .bool(false))
        #expect(replies[2].content["data"] == .object([:]))
        #expect(replies[3].content == ["status": .string("incomplete"), "indent": .string("    ")])
        #expect(replies[4].content == ["status": .string("invalid")])
        #expect(replies[5].content == ["status": .string("complete")])
        #expect(replies[6].content == ["status": .string("unknown")])
        #expect(publisher.summary.count == 14)
    }

    @Test func completeWithoutCursorUsesCodePointLength() {
        channel.queue = [client.request("complete_request", ["code": .string("👁👁")])]
        channel.serve(dispatcher)
        #expect(backend.completions.map(\.1) == [2])
    }

    @Test func historyRequestsReachTheBackend() throws {
        channel.queue = [
            client.request("history_request", ["hist_access_type": .string("search"), "pattern": .string("a*"),
                                               "unique": .bool(true), "output": .bool(true), "raw": .bool(true), "n": .int(5)]),
            client.request("history_request", ["hist_access_type": .string("range"), "session": .int(-1),
                                               "start": .int(1), "stop": .int(3), "output": .bool(false), "raw": .bool(true)]),
        ]
        channel.serve(dispatcher)
        #expect(backend.historyRequests == [
            HistoryRequest(access: .search, output: true, raw: true, n: 5, pattern: "a*", unique: true),
            HistoryRequest(access: .range, output: false, raw: true, session: -1, start: 1, stop: 3),
        ])
        #expect(channel.sent[0].content["history"] == .array([
            .array([.int(7), .int(1), .array([.string("a = 1"), .string("1")])]),
            .array([.int(7), .int(2), .array([.string("a"), .null])]),
        ]))
        #expect(channel.sent[1].content["history"] == .array([
            .array([.int(7), .int(1), .string("a = 1")]), .array([.int(7), .int(2), .string("a")]),
        ]))
    }

    @Test func commsAreEmptyAndUnknownTargetsClosed() throws {
        let open = client.request("comm_open", ["comm_id": .string("c-1"), "target_name": .string("jupyter.widget"), "data": .object([:])])
        channel.queue = [client.request("comm_info_request"), open, client.request("comm_msg", ["comm_id": .string("c-1")])]
        channel.serve(dispatcher)
        #expect(channel.sent.map(\.msgType) == ["comm_info_reply"])
        #expect(channel.sent[0].content == ["status": .string("ok"), "comms": .object([:])])
        #expect(publisher.summary == ["status:busy", "status:idle", "status:busy", "comm_close", "status:idle",
                                      "status:busy", "status:idle"])
        let close = publisher.published[3]
        #expect(close.content == ["comm_id": .string("c-1"), "data": .object([:])])
        #expect(close.parentHeader["msg_id"] == .string(open.header.msgID))
    }

    @Test func unknownRequestsGetAnErrorReplyOthersNothing() throws {
        channel.queue = [client.request("frobnicate_request"), client.request("mystery_event")]
        channel.serve(dispatcher)
        #expect(channel.sent.map(\.msgType) == ["frobnicate_reply"])
        #expect(channel.sent[0].content["status"] == .string("error"))
        #expect(channel.sent[0].content["ename"] == .string("UnknownMessageType"))
        #expect(publisher.summary == ["status:busy", "status:idle", "status:busy", "status:idle"])
    }

    @Test func wrongFieldTypesGetBadRequestReplies() throws {
        channel.queue = [
            client.request("execute_request", ["code": .int(5)]),
            client.request("execute_request", ["code": .string("x"), "silent": .string("no")]),
            client.request("complete_request", ["code": .array([])]),
            client.request("history_request", ["hist_access_type": .string("sideways")]),
            client.request("shutdown_request", ["restart": .int(1)]),
        ]
        #expect(channel.serve(dispatcher) == .serving)
        #expect(channel.sent.count == 5)
        for reply in channel.sent {
            #expect(reply.content["status"] == .string("error"))
            #expect(reply.content["ename"] == .string("BadRequest"))
        }
        #expect(backend.executed.isEmpty)
        #expect(backend.shutdowns.isEmpty)
        #expect(dispatcher.executionCount == 0)
    }

    @Test func shutdownOnShellEchoesRestartAndShutsTheBackendDown() throws {
        channel.queue = [client.request("shutdown_request", ["restart": .bool(true)]), client.execute("never")]
        #expect(channel.serve(dispatcher) == .shutdown(restart: true))
        #expect(channel.sent.map(\.msgType) == ["shutdown_reply"])
        #expect(channel.sent[0].content == ["status": .string("ok"), "restart": .bool(true)])
        #expect(backend.shutdowns == [true])
        #expect(publisher.summary == ["status:busy", "shutdown_reply", "status:idle"])
        dispatcher.shutdownBackend(restart: true)
        #expect(backend.shutdowns == [true])
    }

    @Test func shutdownOnControlInterruptsAndLeavesBackendToShellThread() {
        channel.queue = [client.request("shutdown_request", ["restart": .bool(false)])]
        #expect(channel.serve(dispatcher, on: .control) == .shutdown(restart: false))
        #expect(backend.interrupts == 1)
        #expect(backend.shutdowns.isEmpty)
        dispatcher.shutdownBackend(restart: false)
        #expect(backend.shutdowns == [false])
    }

    @Test func interruptRequestInterrupts() {
        channel.queue = [client.request("interrupt_request")]
        channel.serve(dispatcher, on: .control)
        #expect(backend.interrupts == 1)
        #expect(channel.sent.map(\.msgType) == ["interrupt_reply"])
        #expect(channel.sent[0].content == ["status": .string("ok")])
    }

    @Test func executeOnControlIsRefused() {
        channel.queue = [client.execute("x")]
        channel.serve(dispatcher, on: .control)
        #expect(backend.executed.isEmpty)
        #expect(channel.sent[0].content["status"] == .string("error"))
    }

    @Test func shutdownQueuedBehindAnErrorStillShutsDown() {
        channel.queue = [client.execute("fail"), client.execute("x"), client.request("shutdown_request", ["restart": .bool(true)]),
                         client.execute("never")]
        #expect(channel.serve(dispatcher) == .shutdown(restart: true))
        #expect(channel.sent.map { $0.content["status"] } == [.string("error"), .string("aborted"), .string("ok")])
        #expect(backend.shutdowns == [true])
        #expect(backend.executed.map(\.code) == ["fail"])
    }

    @Test func updateWithoutDisplayIDFallsBackToDisplayData() {
        backend.onExecute = { _, sink in sink.display(MimeBundle(data: ["text/plain": .string("v")]), displayID: nil, update: true) }
        channel.queue = [client.execute("")]
        channel.serve(dispatcher)
        #expect(publisher.summary == ["status:busy", "execute_input", "display_data", "status:idle"])
    }
}

