import Crypto
import Foundation
import Render
import ReportModel
import Runtime
import Testing

// MARK: - Fixtures

/// ImageGrid's memberwise initialiser is internal to Runtime, so tests build grids from JSON.
private func imageGrid(rows: Int, columns: Int, height: Int, width: Int, channels: Int) throws -> ImageGrid {
    let json = """
        {"tensor": "grid.0", "rows": \(rows), "columns": \(columns), "height": \(height), "width": \(width),
         "channels": \(channels), "title": "", "rowLabels": [], "columnLabels": []}
        """
    return try JSONDecoder().decode(ImageGrid.self, from: Data(json.utf8))
}

/// SplitMix64: reproducible test images without depending on Engine.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix(state: seed)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

/// A 28×28 digit-like image: two or three thick anti-aliased polylines on black.
private func strokeDigit(_ rng: inout SplitMix) -> [Float] {
    var image = [Float](repeating: 0, count: 28 * 28)
    for _ in 0..<Int.random(in: 2...3, using: &rng) {
        let points = (0..<Int.random(in: 2...4, using: &rng)).map { _ in
            (Float.random(in: 6...22, using: &rng), Float.random(in: 5...23, using: &rng))
        }
        for (p, q) in zip(points, points.dropFirst()) {
            let (dx, dy) = (q.0 - p.0, q.1 - p.1), length2 = max(dx * dx + dy * dy, 1e-6)
            for y in 0..<28 {
                for x in 0..<28 {
                    let t = min(max(((Float(x) - p.0) * dx + (Float(y) - p.1) * dy) / length2, 0), 1)
                    let d = hypot(Float(x) - p.0 - t * dx, Float(y) - p.1 - t * dy)
                    image[y * 28 + x] = max(image[y * 28 + x], min(max(2 - d / 1.2, 0), 1))
                }
            }
        }
    }
    return image
}

/// Smooth ramps plus noise: rows where Sub, Up, Average and Paeth each win somewhere.
private func gradient(width: Int, height: Int, channels: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix(state: seed)
    return (0..<width * height * channels).map { i in
        let x = i / channels % width, y = i / channels / width, k = i % channels
        let ramp = [x * 3 + k * 40, y * 5 + x, (x * y) / 4, x * 2 + y * 2][(y / 3 + k) % 4]
        return UInt8(truncatingIfNeeded: ramp + Int.random(in: 0...2, using: &rng))
    }
}

private func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

// MARK: - Independent decoder

private struct Decoded: Decodable {
    var width, height, colorType: Int
    var filters: [Int]
    var sha256: String
}

private func checkWithPython(_ png: [UInt8], in directory: URL, name: String) throws -> Decoded {
    let file = directory.appending(path: name + ".png")
    try Data(png).write(to: file)
    let process = Process()
    process.executableURL = URL(filePath: "/usr/bin/env")
    let script = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "check_png.py")
    process.arguments = ["python3", script.path, file.path]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Drain before waiting so a full pipe cannot block the child.
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "check_png.py \(name): \(String(decoding: err, as: UTF8.self))")
    return try JSONDecoder().decode(Decoded.self, from: out)
}

private func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appending(path: "latentbook-png-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

// MARK: - Tests

struct PNGTests {
    @Test func tinyGrayGoldenBytes() throws {
        let png = PNG.encode(width: 2, height: 2, channels: 1, pixels: [0, 255, 128, 64])
        let head: [UInt8] = [
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A,  // signature
            0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,  // IHDR, 13 bytes
            0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02,  // 2 × 2
            0x08, 0x00, 0x00, 0x00, 0x00,                    // 8-bit gray, deflate, no interlace
            0x57, 0xDD, 0x52, 0xF8,                          // CRC (Python's zlib.crc32)
        ]
        let tail: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        #expect(Array(png.prefix(head.count)) == head)
        #expect(Array(png[head.count + 4..<head.count + 8]) == Array("IDAT".utf8))
        #expect(Array(png.suffix(tail.count)) == tail)

        let rgb = PNG.encode(width: 2, height: 2, channels: 3, pixels: Array(0..<12))
        #expect(Array(rgb[24..<33]) == [0x08, 0x02, 0x00, 0x00, 0x00, 0xFD, 0xD4, 0x9A, 0x73])

        try withTemporaryDirectory { dir in
            let decoded = try checkWithPython(png, in: dir, name: "tiny")
            #expect(decoded.sha256 == sha256Hex([0, 255, 128, 64]))
        }
    }

    @Test func pythonDecodesExactPixels() throws {
        var cases: [(name: String, width: Int, height: Int, channels: Int, pixels: [UInt8])] = []
        for channels in [1, 3] {
            for (w, h) in [(1, 1), (3, 5), (57, 31)] {
                cases.append(("random-\(w)x\(h)x\(channels)", w, h, channels, randomBytes(w * h * channels, seed: UInt64(w * h * channels))))
            }
            cases.append(("gradient-\(channels)", 40, 24, channels, gradient(width: 40, height: 24, channels: channels, seed: 7)))
            // A composited 3×4 grid of random 28×28 images, one missing.
            var rng = SplitMix(state: UInt64(channels))
            let values = (0..<11 * 28 * 28 * channels).map { _ in Float.random(in: 0...1, using: &rng) }
            let image = ImageGridRender.composite(try imageGrid(rows: 3, columns: 4, height: 28, width: 28, channels: channels), pixels: values)
            cases.append(("grid-\(channels)", image.width, image.height, image.channels, image.bytes))
        }
        var filtersSeen = Set<Int>()
        try withTemporaryDirectory { dir in
            for c in cases {
                let png = PNG.encode(width: c.width, height: c.height, channels: c.channels, pixels: c.pixels)
                let decoded = try checkWithPython(png, in: dir, name: c.name)
                #expect(decoded.width == c.width && decoded.height == c.height, "\(c.name)")
                #expect(decoded.colorType == (c.channels == 1 ? 0 : 2), "\(c.name)")
                #expect(decoded.sha256 == sha256Hex(c.pixels), "\(c.name)")
                filtersSeen.formUnion(decoded.filters)
            }
        }
        // Otherwise the decoder's handling of some filter type went untested.
        #expect(filtersSeen == [0, 1, 2, 3, 4])
    }

    @Test func compositeLayoutScale1() throws {
        let grid = try imageGrid(rows: 2, columns: 2, height: 2, width: 2, channels: 1)
        // Three images (the fourth tile is missing); image k pixel p is 10·(4k + p + 1).
        let values = (0..<12).map { Float(10 * ($0 + 1)) / 255 }
        let image = ImageGridRender.composite(grid, pixels: values, scale: 1, gap: 1, background: 255)
        #expect(image.width == 5 && image.height == 5 && image.channels == 1)
        #expect(image.bytes == [
            10, 20, 255, 50, 60,
            30, 40, 255, 70, 80,
            255, 255, 255, 255, 255,
            90, 100, 255, 255, 255,
            110, 120, 255, 255, 255,
        ])
    }

    @Test func compositeLayoutScale2() throws {
        let grid = try imageGrid(rows: 2, columns: 2, height: 2, width: 2, channels: 1)
        let values = (0..<12).map { Float(10 * ($0 + 1)) / 255 }
        let image = ImageGridRender.composite(grid, pixels: values, scale: 2, gap: 1, background: 0)
        #expect(image.width == 9 && image.height == 9)
        #expect(image.bytes == [
            10, 10, 20, 20, 0, 50, 50, 60, 60,
            10, 10, 20, 20, 0, 50, 50, 60, 60,
            30, 30, 40, 40, 0, 70, 70, 80, 80,
            30, 30, 40, 40, 0, 70, 70, 80, 80,
            0, 0, 0, 0, 0, 0, 0, 0, 0,
            90, 90, 100, 100, 0, 0, 0, 0, 0,
            90, 90, 100, 100, 0, 0, 0, 0, 0,
            110, 110, 120, 120, 0, 0, 0, 0, 0,
            110, 110, 120, 120, 0, 0, 0, 0, 0,
        ])
        let geometry = ImageGridRender.geometry(grid, scale: 2, gap: 1)
        #expect([geometry.rows, geometry.columns, geometry.tileWidth, geometry.tileHeight, geometry.gap] == [2, 2, 4, 4, 1] as [Int])
        #expect([geometry.width, geometry.height, geometry.x(column: 1), geometry.y(row: 1)] == [9, 9, 5, 5] as [Int])
    }

    @Test func rgbStaysTrueColor() throws {
        let grid = try imageGrid(rows: 1, columns: 2, height: 1, width: 1, channels: 3)
        let image = ImageGridRender.composite(grid, pixels: [1, 0.5, 0, 0, 0.2, 1], scale: 1, gap: 1, background: 7)
        #expect(image.width == 3 && image.height == 1 && image.channels == 3)
        #expect(image.bytes == [255, 128, 0, 7, 7, 7, 0, 51, 255])
    }

    @Test func valuesRoundAndClamp() throws {
        let values: [Float] = [0.5, 1.2, -0.1, .nan, .infinity, -.infinity, 0.4 / 255, 0.6 / 255, 254.4 / 255]
        let grid = try imageGrid(rows: 1, columns: 1, height: 1, width: values.count, channels: 1)
        let image = ImageGridRender.composite(grid, pixels: values, scale: 1, gap: 0)
        #expect(image.bytes == [128, 255, 0, 0, 255, 0, 0, 1, 254])
    }

    @Test func deterministicDataURIAndFingerprint() throws {
        var rng = SplitMix(state: 42)
        let values = (0..<6).flatMap { _ in strokeDigit(&rng) }
        let grid = try imageGrid(rows: 2, columns: 3, height: 28, width: 28, channels: 1)
        let png = ImageGridRender.png(grid, pixels: values)
        #expect(png == ImageGridRender.png(grid, pixels: values))

        let uri = ImageGridRender.pngDataURI(png)
        #expect(uri.hasPrefix("data:image/png;base64,iVBORw0KGgo"))  // the PNG signature
        #expect(Data(base64Encoded: String(uri.dropFirst("data:image/png;base64,".count))) == Data(png))

        var changed = values
        changed[100] = 1 - changed[100]
        let other = ImageGridRender.png(grid, pixels: changed)
        #expect(ImageGridRender.fingerprint(png) == ImageGridRender.fingerprint(ImageGridRender.png(grid, pixels: values)))
        #expect(ImageGridRender.fingerprint(png) != ImageGridRender.fingerprint(other))
        // FNV-1a 64 reference values.
        #expect(ImageGridRender.fingerprint([]) == "cbf29ce484222325")
        #expect(ImageGridRender.fingerprint(Array("a".utf8)) == "af63dc4c8601ec8c")
    }

    /// The size budget: a 15×15 manifold of digit-like images at the default scale.
    @Test func manifoldSize() throws {
        var rng = SplitMix(state: 2024)
        let values = (0..<225).flatMap { _ in strokeDigit(&rng) }
        let grid = try imageGrid(rows: 15, columns: 15, height: 28, width: 28, channels: 1)
        let geometry = ImageGridRender.geometry(grid)
        #expect(geometry.width == 868 && geometry.height == 868 && geometry.tileWidth == 56)
        let png = ImageGridRender.png(grid, pixels: values)
        print("15×15 stroke digits, scale 2: \(geometry.width)×\(geometry.height) px, \(png.count) bytes PNG, "
              + "\(ImageGridRender.pngDataURI(png).utf8.count) bytes as data URI")
        #expect(png.count < 150_000)
    }
}
