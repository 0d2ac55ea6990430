import Testing
@testable import Kernel

@Test func kernelBuilds() { #expect(true) }
