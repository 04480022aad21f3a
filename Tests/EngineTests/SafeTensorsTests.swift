import Engine
import Foundation
import ReportModel
import Testing

private func le64(_ n: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } }

private func file(_ header: String, data: [UInt8] = []) -> [UInt8] {
    le64(UInt64(header.utf8.count)) + Array(header.utf8) + data
}

/// A header entry for an F32 tensor, written out by hand to build files the encoder never would.
private func entry(_ name: String, shape: String, offsets: String, dtype: String = #""F32""#) -> String {
    #""\#(name)":{"dtype":\#(dtype),"shape":\#(shape),"data_offsets":\#(offsets)}"#
}

private func headerLength(_ bytes: [UInt8]) -> Int {
    Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) })
}

/// Float `==` hides NaN payloads and the sign of zero, so compare bit patterns.
private func bits(_ s: SafeTensors) -> [String: [UInt32]] { s.tensors.mapValues { $0.values.map(\.bitPattern) } }

private let sample = SafeTensors(
    tensors: [
        "encoder.0.kernel": .init(shape: [3, 3, 1, 4], values: (0..<36).map { Float($0 - 10) * 0.25 }),
        "encoder.0.bias": .init(shape: [4], values: [1, -2, 0.5, 1e-3]),
        "scale": .init(shape: [], values: [3.5]),
        "empty": .init(shape: [0, 3], values: []),
        "Zeta ñ 🙂": .init(shape: [2], values: [-0.0, 0]),
    ],
    metadata: [
        "quote": #"say "hi" \ back"#, "unicode": "naïve 🙂 日本", "lines": "a\nb\r\tc\u{1}\u{1F}", "": "empty key",
    ])

struct SafeTensorsCorruptCase: Sendable, CustomTestStringConvertible {
    let testDescription: String
    let bytes: [UInt8]
    let message: String
    init(_ label: String, _ bytes: [UInt8], _ message: String) {
        (testDescription, self.bytes, self.message) = (label, bytes, "safetensors: " + message)
    }
}

private let tinyFile = SafeTensors(tensors: ["a": .init(shape: [2], values: [1, -2])], metadata: ["k": "v"]).encoded()

/// A file whose header holds `entries` and whose data buffer is `dataLength` zero bytes.
private func tensorFile(_ entries: String..., dataLength: Int) -> [UInt8] {
    file("{" + entries.joined(separator: ",") + "}", data: .init(repeating: 0, count: dataLength))
}

private let notInteger = "that is not a non-negative integer"
private let badOffsets = "tensor 'w' has 'data_offsets' that are not two non-negative integers"

private let corruptCases: [SafeTensorsCorruptCase] = [
    .init("empty file", [], "file is 0 bytes, too short for the 8-byte header length"),
    .init("fewer than 8 bytes", [80, 0, 0, 0, 0], "file is 5 bytes, too short for the 8-byte header length"),
    .init("absurd header length", le64(200_000_000) + Array("{}".utf8),
          "header length 200000000 exceeds the limit of 100000000 bytes"),
    .init("maximal header length", le64(.max), "header length 18446744073709551615 exceeds the limit of 100000000 bytes"),
    .init("header length past end", le64(100) + Array("{}".utf8),
          "header length is 100 bytes but only 2 bytes follow (file truncated?)"),
    .init("header cut short", Array(tinyFile.prefix(20)),
          "header length is 80 bytes but only 12 bytes follow (file truncated?)"),
    .init("data cut short", Array(tinyFile.dropLast()),
          "tensor 'a' has data_offsets [0, 8] past the end of the 7-byte data buffer (file truncated?)"),
    .init("non-UTF-8 header", le64(7) + [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], "header is not valid UTF-8"),
    .init("non-JSON header", file(#"{"a": "#), "header is not valid JSON"),
    .init("empty header", file(""), "header is not valid JSON"),
    .init("deeply nested header", file(String(repeating: "[", count: 100_000)), "header is not valid JSON"),
    .init("header is an array", file("[1, 2]"), "header is not a JSON object"),
    .init("header is a string", file(#""{}""#), "header is not a JSON object"),
    .init("metadata not an object", file(#"{"__metadata__": ["v"]}"#), "'__metadata__' is not a JSON object"),
    .init("metadata value not a string", file(#"{"__metadata__": {"k": "v", "n": 1}}"#),
          "metadata value for 'n' is not a string"),
    .init("entry not an object", file(#"{"w": [1]}"#), "tensor 'w' is not a JSON object"),
    .init("missing dtype", tensorFile(#""w": {"shape": [1], "data_offsets": [0, 4]}"#, dataLength: 4),
          "tensor 'w' has no 'dtype'"),
    .init("missing shape", tensorFile(#""w": {"dtype": "F32", "data_offsets": [0, 4]}"#, dataLength: 4),
          "tensor 'w' has no 'shape'"),
    .init("missing data_offsets", tensorFile(#""w": {"dtype": "F32", "shape": [1]}"#, dataLength: 4),
          "tensor 'w' has no 'data_offsets'"),
    .init("dtype not a string", tensorFile(entry("w", shape: "[1]", offsets: "[0,4]", dtype: "32"), dataLength: 4),
          "tensor 'w' has a 'dtype' that is not a string"),
    .init("unsupported dtype", tensorFile(entry("w", shape: "[2]", offsets: "[0,4]", dtype: #""F16""#), dataLength: 4),
          "tensor 'w' has dtype 'F16'; only F32 is supported"),
    .init("shape not an array", tensorFile(entry("w", shape: "1", offsets: "[0,4]"), dataLength: 4),
          "tensor 'w' has a 'shape' that is not an array"),
    .init("negative dimension", tensorFile(entry("w", shape: "[2,-1]", offsets: "[0,4]"), dataLength: 4),
          "tensor 'w' has shape dimension 1 \(notInteger)"),
    .init("fractional dimension", tensorFile(entry("w", shape: "[1.5]", offsets: "[0,4]"), dataLength: 4),
          "tensor 'w' has shape dimension 0 \(notInteger)"),
    .init("float-typed dimension", tensorFile(entry("w", shape: "[1.0]", offsets: "[0,4]"), dataLength: 4),
          "tensor 'w' has shape dimension 0 \(notInteger)"),
    .init("boolean dimension", tensorFile(entry("w", shape: "[true]", offsets: "[0,4]"), dataLength: 4),
          "tensor 'w' has shape dimension 0 \(notInteger)"),
    .init("string dimension", tensorFile(entry("w", shape: #"[1,"1"]"#, offsets: "[0,4]"), dataLength: 4),
          "tensor 'w' has shape dimension 1 \(notInteger)"),
    .init("dimension beyond Int", tensorFile(entry("w", shape: "[18446744073709551615]", offsets: "[0,4]"), dataLength: 4),
          "tensor 'w' has shape dimension 0 \(notInteger)"),
    .init("element count overflows", tensorFile(entry("w", shape: "[4294967296,4294967296]", offsets: "[0,4]"), dataLength: 4),
          "tensor 'w' has shape [4294967296, 4294967296], too large to address"),
    .init("byte count overflows", tensorFile(entry("w", shape: "[2305843009213693952]", offsets: "[0,4]"), dataLength: 4),
          "tensor 'w' has shape [2305843009213693952], too large to address"),
    .init("one offset", tensorFile(entry("w", shape: "[1]", offsets: "[4]"), dataLength: 4), badOffsets),
    .init("negative offset", tensorFile(entry("w", shape: "[1]", offsets: "[-4,0]"), dataLength: 4), badOffsets),
    .init("fractional offset", tensorFile(entry("w", shape: "[1]", offsets: "[0,4.5]"), dataLength: 4), badOffsets),
    .init("offsets not an array", tensorFile(entry("w", shape: "[1]", offsets: #""0,4""#), dataLength: 4), badOffsets),
    .init("size mismatch", tensorFile(entry("encoder.0.kernel", shape: "[3,3,1,32]", offsets: "[0,100]"), dataLength: 100),
          "tensor 'encoder.0.kernel' has data_offsets [0, 100] but its shape [3, 3, 1, 32] needs 1152 bytes"),
    .init("reversed offsets", tensorFile(entry("w", shape: "[2]", offsets: "[8,0]"), dataLength: 8),
          "tensor 'w' has data_offsets [8, 0] but its shape [2] needs 8 bytes"),
    .init("offsets out of range", tensorFile(entry("w", shape: "[1]", offsets: "[8,12]"), dataLength: 8),
          "tensor 'w' has data_offsets [8, 12] past the end of the 8-byte data buffer (file truncated?)"),
    .init("overlapping tensors",
          tensorFile(entry("a", shape: "[2]", offsets: "[0,8]"), entry("b", shape: "[2]", offsets: "[4,12]"), dataLength: 12),
          "tensor 'b' starts at byte 4, inside tensor 'a' which ends at byte 8"),
    .init("aliased tensors",
          tensorFile(entry("a", shape: "[1]", offsets: "[0,4]"), entry("b", shape: "[1]", offsets: "[0,4]"), dataLength: 4),
          "tensor 'b' starts at byte 0, inside tensor 'a' which ends at byte 4"),
    .init("gap between tensors",
          tensorFile(entry("a", shape: "[1]", offsets: "[0,4]"), entry("b", shape: "[1]", offsets: "[8,12]"), dataLength: 12),
          "tensor 'b' starts at byte 8, leaving a gap after byte 4"),
    .init("gap at start", tensorFile(entry("a", shape: "[1]", offsets: "[4,8]"), dataLength: 8),
          "tensor 'a' starts at byte 4, leaving a gap after byte 0"),
    .init("unused trailing data", tinyFile + [0, 0, 0, 0], "tensors cover 8 bytes but the data buffer has 12"),
    .init("data without tensors", tensorFile(dataLength: 4), "tensors cover 0 bytes but the data buffer has 4"),
]

// MARK: - Interoperability with the reference Python package

private func runPython(_ arguments: [String]) throws -> (status: Int32, output: Data, errors: String) {
    let process = Process()
    process.executableURL = URL(filePath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Drain before waiting so a full pipe cannot block the child.
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, out, String(decoding: err, as: UTF8.self))
}

private let pythonHasSafetensors = (try? runPython(["-c", "import safetensors, numpy"]).status == 0) ?? false

private struct PythonReport: Decodable, Equatable {
    struct Tensor: Decodable, Equatable { var dtype: String; var shape: [Int]; var sum: Double }
    var tensors: [String: Tensor]
    var metadata: [String: String]
}

struct SafeTensorsTests {
    @Test func roundTripIsBitExact() throws {
        var specials = sample
        specials.tensors["specials"] = .init(shape: [7], values: [
            Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFF80_0001), -0.0, .infinity, -.infinity,
            .leastNonzeroMagnitude, -.greatestFiniteMagnitude,
        ])
        let decoded = try SafeTensors(decoding: specials.encoded())
        #expect(bits(decoded) == bits(specials))
        #expect(decoded.tensors.mapValues(\.shape) == specials.tensors.mapValues(\.shape))
        #expect(decoded.metadata == specials.metadata)
        #expect(try SafeTensors(decoding: sample.encoded()) == sample)
        #expect(try SafeTensors(decoding: SafeTensors().encoded()) == SafeTensors())
    }

    @Test func encodingIsDeterministicAndAligned() throws {
        // Same content built in a different insertion order (and capacity) must give the same bytes.
        var reordered = SafeTensors()
        reordered.tensors.reserveCapacity(64)
        reordered.metadata.reserveCapacity(64)
        for (name, tensor) in sample.tensors.sorted(by: { $0.key > $1.key }) { reordered.tensors[name] = tensor }
        for (key, value) in sample.metadata.sorted(by: { $0.key > $1.key }) { reordered.metadata[key] = value }
        let bytes = sample.encoded()
        #expect(reordered.encoded() == bytes)
        #expect(try SafeTensors(decoding: bytes).encoded() == bytes)

        for content in [sample, SafeTensors(), SafeTensors(tensors: ["x": .init(shape: [1], values: [1])])] {
            let bytes = content.encoded()
            let n = headerLength(bytes)
            #expect(n % 8 == 0)
            #expect(bytes.count == 8 + n + 4 * content.tensors.values.reduce(0) { $0 + $1.values.count })
        }
    }

    @Test func goldenBytes() throws {
        let tiny = SafeTensors(tensors: ["a": .init(shape: [2], values: [1, -2])], metadata: ["k": "v"])
        let header = #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"# + " "
        let data: [UInt8] = [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]  // 1.0 = 0x3F800000, -2.0 = 0xC0000000
        #expect(header.utf8.count == 80)
        #expect(tiny.encoded() == [80, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + data)

        // Byte for byte what the reference writer (safetensors 0.8.0 `save`) produces for this content:
        // name order, empty and scalar tensors, serde_json escaping, space padding.
        let reference = SafeTensors(
            tensors: [
                "b": .init(shape: [2, 3], values: Array(repeating: 0, count: 6)), "a": .init(shape: [2], values: [1, -2]),
                "s": .init(shape: [], values: [3]), "e": .init(shape: [0, 4], values: []),
            ],
            metadata: ["k": "v", "a": "q\"\né\u{1}"])
        let referenceHeader = #"{"__metadata__":{"a":"q\"\né\u0001","k":"v"},"#
            + #""a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]},"#
            + #""e":{"dtype":"F32","shape":[0,4],"data_offsets":[32,32]},"s":{"dtype":"F32","shape":[],"data_offsets":[32,36]}}"#
            + "      "
        let referenceBytes = file(referenceHeader, data: data + Array(repeating: 0, count: 24) + [0x00, 0x00, 0x40, 0x40])
        #expect(headerLength(referenceBytes) == 272)
        #expect(reference.encoded() == referenceBytes)
        #expect(try SafeTensors(decoding: referenceBytes) == reference)
    }

    @Test func acceptsUnpaddedAndWhitespaceHeaders() throws {
        #expect(try SafeTensors(decoding: file("{}")) == SafeTensors())
        let spaced = file(" { " + entry("w", shape: "[1]", offsets: "[0, 4]") + " }\n", data: [0, 0, 0x80, 0x3F])
        let decoded = try SafeTensors(decoding: spaced)
        #expect(decoded == SafeTensors(tensors: ["w": .init(shape: [1], values: [1])]))
    }

    @Test(arguments: corruptCases)
    func rejectsCorruptInput(_ c: SafeTensorsCorruptCase) {
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensors(decoding: c.bytes) }
        #expect(error?.description == c.message)
    }

    @Test(.enabled(if: pythonHasSafetensors, "needs python3 with the safetensors and numpy packages"))
    func pythonReadsWhatWeWrite() throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "latentbook-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appending(path: "sample.safetensors")
        try Data(sample.encoded()).write(to: path)

        let script = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "check_safetensors.py")
        let result = try runPython([script.path, path.path])
        try #require(result.status == 0, "check_safetensors.py failed: \(result.errors)")
        let report = try JSONDecoder().decode(PythonReport.self, from: result.output)

        // The sample values are quarters plus one Float(1e-3), so float64 sums are exact in any order.
        let expected = PythonReport(
            tensors: sample.tensors.mapValues {
                .init(dtype: "float32", shape: $0.shape, sum: $0.values.reduce(0) { $0 + Double($1) })
            },
            metadata: sample.metadata)
        #expect(report == expected)
    }
}
