import Datasets
import Engine
import Foundation

/// Valid inputs for libFuzzer to start from, one directory per target: the repository's
/// notebooks and the documentation's examples, small IDX files (raw and gzipped) and safetensors
/// files written by the project's own writer, a checkpoint among them.
func writeSeeds(to dir: URL, root: URL) throws {
    func write(_ target: String, _ name: String, _ bytes: [UInt8]) throws {
        let folder = dir.appendingPathComponent(target)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: folder.appendingPathComponent(name))
    }

    // Notebooks: every notebook, the format documentation, and each ````markdown example in docs/.
    var notebooks: [(String, String)] = []
    let notebookDir = root.appendingPathComponent("notebooks")
    for name in (try? FileManager.default.contentsOfDirectory(atPath: notebookDir.path))?.sorted() ?? []
    where name.hasSuffix(".md") {
        notebooks.append((name, try String(contentsOf: notebookDir.appendingPathComponent(name), encoding: .utf8)))
    }
    let docs = root.appendingPathComponent("docs")
    for name in (try? FileManager.default.contentsOfDirectory(atPath: docs.path))?.sorted() ?? []
    where name.hasSuffix(".md") {
        let text = try String(contentsOf: docs.appendingPathComponent(name), encoding: .utf8)
        if name == "notebook-format.md" { notebooks.append(("doc-\(name)", text)) }
        var example: [Substring]?
        var count = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if example == nil, line.hasPrefix("````markdown") {
                example = []
            } else if example != nil, line.hasPrefix("````") {
                count += 1
                notebooks.append(("doc-\(name.dropLast(3))-\(count).md", example!.joined(separator: "\n") + "\n"))
                example = nil
            } else if example != nil {
                example!.append(line)
            }
        }
    }
    notebooks.append(("small.md", """
        ---
        title: Fuzz
        seed: 3
        ---

        ```train a
        data: digits
        latent: 2
        epochs: {quick: 1, full: 2}
        ```

        Loss {{a.final_loss}}, see @fig-a.

        """))
    for (name, text) in notebooks {
        try write("notebook", name, Array(text.utf8))
        try write("plan", name, Array(text.utf8))
    }

    // IDX: the first byte is the harness's flags (bit 0 labels, bit 1 gzipped, bit 2 checksum).
    func idx(_ magic: UInt32, _ dims: [UInt32]) -> [UInt8] {
        var out = withUnsafeBytes(of: magic.bigEndian, Array.init)
        for d in dims { out += withUnsafeBytes(of: d.bigEndian, Array.init) }
        return out + (0..<Int(dims.reduce(1, *))).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    }
    let idxFiles: [(String, UInt8, [UInt8])] = [
        ("images-3x4x5", 0, idx(0x0000_0803, [3, 4, 5])),
        ("images-0x28x28", 0, idx(0x0000_0803, [0, 28, 28])),
        ("labels-10", 1, idx(0x0000_0801, [10])),
        ("labels-0", 1, idx(0x0000_0801, [0])),
    ]
    for (name, flags, file) in idxFiles {
        try write("idx", name, [flags] + file)
        try write("idx", name + ".gz", [flags | 2] + gzip(file))
    }

    // safetensors, from SafeTensors.encoded() and Checkpoint.safetensors().
    let plain = SafeTensors(
        tensors: ["a": .init(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), "b.c": .init(shape: [], values: [0.5]),
                  "empty": .init(shape: [0, 4], values: [])],
        metadata: ["note": "fuzz", "x": "{\"y\": [1, 2]}"])
    try write("safetensors", "plain.safetensors", plain.encoded())
    try write("safetensors", "empty.safetensors", SafeTensors().encoded())
    let spec = ModelSpec(
        input: [2, 2, 1], latent: 2,
        encoder: [.flatten, .dense(units: 2, activation: .linear)],
        decoder: [.dense(units: 4, activation: .sigmoid), .reshape([2, 2, 1])])
    let model = try Model(spec)
    let n = model.parameterCount
    let state = TrainingState(
        params: (0..<n).map { Float($0) / 10 }, m: [Float](repeating: 0.25, count: n),
        v: [Float](repeating: 0.5, count: n), step: 3,
        history: try JSONDecoder().decode(
            [EpochRecord].self, from: Data(#"[{"epoch": 1, "loss": 0.5, "seconds": 1, "imagesPerSecond": 100}]"#.utf8)))
    let checkpoint = Checkpoint(spec: spec, config: TrainingConfig(epochs: 2, batchSize: 4), state: state,
                                notes: ["dataset": "mnist"])
    try write("safetensors", "checkpoint.safetensors", try checkpoint.safetensors().encoded())
    let conv = ModelSpec(
        input: [4, 4, 1], latent: 2,
        encoder: [.conv2d(filters: 2, kernel: 3, stride: 2, padding: .same, activation: .relu), .flatten,
                  .dense(units: 2, activation: .linear)],
        decoder: [.dense(units: 8, activation: .relu), .reshape([2, 2, 2]),
                  .conv2dTranspose(filters: 1, kernel: 3, stride: 2, padding: .same, activation: .sigmoid)])
    let convModel = try Model(conv)
    let zeros = [Float](repeating: 0, count: convModel.parameterCount)
    let convCheckpoint = Checkpoint(
        spec: conv, config: TrainingConfig(), state: TrainingState(params: zeros, m: zeros, v: zeros, step: 0, history: []))
    try write("safetensors", "checkpoint-conv.safetensors", try convCheckpoint.safetensors().encoded())
}

/// gzip through the system's gzip(1): the seeds need only be valid, not produced in-process.
func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "gzip -n -c"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data(bytes))
    try input.fileHandleForWriting.close()
    let result = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return [UInt8](result)
}
