// libFuzzer harnesses for LatentBook's parsers and readers; see docs/robustness.md.
//
//   latentbook-fuzz <target> [libFuzzer flags] [corpus dirs]   fuzz one target
//   latentbook-fuzz seeds <dir> [repo root]                    write seed corpora to <dir>/<target>/
//
// Targets: notebook (Notebook.parse), plan (Runtime's Plan: notebook, front matter, every
// cell's options), idx (IDXFile.parse, gzipped or not, then ImageSet), safetensors
// (SafeTensors(decoding:), a re-encode round trip, then Checkpoint). Every target must only
// ever return or throw its typed error: a trap, a hang (-timeout) or unbounded memory
// (-rss_limit_mb) is a bug.
import Datasets
import Engine
import Foundation
import Notebook
import Runtime

typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
}

let directives = Set(DirectiveRegistry.standard.names)

/// Markdown, front matter and cell bodies, as `latentbook check` reads a file (lossy UTF-8).
let fuzzNotebook: Callback = { data, size in
    let source = String(decoding: bytes(data, size), as: UTF8.self)
    let (notebook, diagnostics) = Notebook.parse(source, file: "fuzz.md", directives: directives)
    var sink = notebook.cells.count
    for diagnostic in diagnostics { sink &+= diagnostic.description.utf8.count }
    blackHole(sink)
    return 0
}

/// Everything `check` does: parse, then resolve and key every cell's options. The last byte's
/// low bit picks the profile so that both `{quick: …, full: …}` branches are reached.
let fuzzPlan: Callback = { data, size in
    let input = bytes(data, size)
    let profile: Profile = (input.last ?? 0) & 1 == 0 ? .quick : .full
    let plan = Plan(source: String(decoding: input, as: UTF8.self), file: "fuzz.md", profile: profile)
    var sink = plan.steps.count
    for diagnostic in plan.diagnostics { sink &+= diagnostic.description.utf8.count }
    blackHole(sink)
    return 0
}

/// The first byte chooses images or labels, gzipped or not, and whether the canonical checksum
/// is required; the rest is the file. A parsed images file is then paired with labels.
let fuzzIDX: Callback = { data, size in
    let input = bytes(data, size)
    guard let flags = input.first else { return 0 }
    let kind: IDXKind = flags & 1 == 0 ? .images : .labels
    let expected = flags & 4 == 0
        ? ExpectedFile(title: "fuzzed \(kind)", dataset: nil, kind: kind, checksum: nil)
        : ExpectedFile.canonical(.mnist, split: .test, kind: kind)
    let file: IDXFile
    do {
        file = try IDXFile.parse(bytes: Array(input.dropFirst()), expected: expected, gzipped: flags & 2 != 0)
    } catch {
        blackHole(String(describing: error).utf8.count)
        return 0
    }
    precondition(file.payload.count == file.dims.reduce(1, *), "payload does not match the header")
    if kind == .images, file.dims.count == 3 {
        let count = file.dims[0]
        let labelBytes: [UInt8] = [0, 0, 8, 1] + withUnsafeBytes(of: UInt32(count).bigEndian, Array.init)
            + [UInt8](repeating: 7, count: count)
        let labels = try! IDXFile.parse(
            bytes: labelBytes, expected: ExpectedFile(title: "labels", dataset: nil, kind: .labels, checksum: nil))
        do {
            let set = try ImageSet(images: file, labels: labels, name: "fuzz")
            blackHole(set.prefix(min(set.count, 2)).pixels.count)
        } catch {
            blackHole(String(describing: error).utf8.count)
        }
    }
    return 0
}

/// A safetensors file: decode, check that re-encoding is stable, then read it as a checkpoint.
let fuzzSafeTensors: Callback = { data, size in
    let file: SafeTensors
    do { file = try SafeTensors(decoding: Array(bytes(data, size))) } catch {
        blackHole(String(describing: error).utf8.count)
        return 0
    }
    let encoded = file.encoded()
    do {
        let again = try SafeTensors(decoding: encoded)
        precondition(again.encoded() == encoded, "re-encoding a decoded file is not stable")
    } catch {
        preconditionFailure("a decoded file, re-encoded, does not decode: \(error)")
    }
    do {
        let checkpoint = try Checkpoint(file)
        blackHole(checkpoint.state.params.count)
    } catch {
        blackHole(String(describing: error).utf8.count)
    }
    return 0
}

@inline(never) func blackHole(_ value: Int) {
    if value == -42 { print("") }
}

let targets: [(name: String, callback: Callback)] = [
    ("notebook", fuzzNotebook), ("plan", fuzzPlan), ("idx", fuzzIDX), ("safetensors", fuzzSafeTensors),
]

/// libFuzzer calls this before parsing its flags: take the target name (argv[1]) out of the
/// arguments, or run the `seeds` command and exit.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>
) -> CInt {
    let arguments = (0..<Int(argc.pointee)).map { String(cString: argv.pointee[$0]!) }
    let names = targets.map(\.name).joined(separator: "|")
    guard arguments.count >= 2 else {
        print("usage: latentbook-fuzz <\(names)> [libFuzzer flags] [corpus dirs]")
        print("       latentbook-fuzz seeds <dir> [repository root]")
        exit(2)
    }
    let command = arguments[1]
    if command == "seeds" {
        guard arguments.count >= 3 else { print("usage: latentbook-fuzz seeds <dir> [repository root]"); exit(2) }
        do {
            try writeSeeds(
                to: URL(fileURLWithPath: arguments[2]),
                root: URL(fileURLWithPath: arguments.count > 3 ? arguments[3] : "."))
        } catch {
            print("error: \(error)")
            exit(1)
        }
        exit(0)
    }
    guard let target = targets.firstIndex(where: { $0.name == command }) else {
        print("error: unknown target '\(command)'; usage: latentbook-fuzz <\(names)> [libFuzzer flags] [corpus dirs]")
        exit(2)
    }
    selected = target
    // Drop argv[1]; libFuzzer sees its own flags and corpus directories only.
    for i in 1..<Int(argc.pointee) { argv.pointee[i] = argv.pointee[i + 1] }
    argc.pointee -= 1
    return 0
}

nonisolated(unsafe) var selected = -1

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    targets[selected].callback(data, size)
}
