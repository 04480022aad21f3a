import Engine
import Testing

@Test func sameSeedSameStream() {
    var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
    for _ in 0..<100 { #expect(a.next() == b.next()) }
    var c = SeededGenerator(seed: 43)
    var a2 = SeededGenerator(seed: 42)
    #expect((0..<8).map { _ in c.next() } != (0..<8).map { _ in a2.next() })
}

@Test func namedStreamsDiffer() {
    var a = SeededGenerator(seed: 1, stream: "init"), b = SeededGenerator(seed: 1, stream: "shuffle")
    #expect(a.next() != b.next())
}

@Test func normalDrawsHaveUnitMoments() {
    var g = SeededGenerator(seed: 7)
    let n = 200_000
    var sum = 0.0, sq = 0.0
    for _ in 0..<n { let x = g.normal(); sum += x; sq += x * x }
    let mean = sum / Double(n), variance = sq / Double(n) - mean * mean
    #expect(abs(mean) < 0.01)
    #expect(abs(variance - 1) < 0.02)
}
