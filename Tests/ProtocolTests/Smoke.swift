import Testing
@testable import Protocol

@Test func protocolBuilds() { #expect(true) }
