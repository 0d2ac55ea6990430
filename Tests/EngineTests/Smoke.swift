import Testing
@testable import Engine

@Test func engineBuilds() { #expect(true) }
