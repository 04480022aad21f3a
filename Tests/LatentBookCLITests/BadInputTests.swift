import Engine
import Foundation
import ReportModel
import Testing

/// One mistake a user (or a damaged disk) can make, run through the real `latentbook` binary in
/// a directory of its own, with at most 2 GB of address space: the exit status and every
/// diagnostic line must be exactly these.
struct BadInput: Sendable, CustomTestStringConvertible {
    var name: String
    /// Files to create, relative to the row's directory (which is the working directory).
    var files: [String: [UInt8]]
    var arguments: [String]
    var status: Int32
    /// The `error:`, `warning:` and `hint:` lines of stderr, in order. `$TMP` stands for the
    /// row's directory, `$LIMIT` for this machine's training memory limit, `$KEY` for a cache key.
    var messages: String
    var damage: Damage = .none
    /// `ulimit -f` in 512-byte blocks: writes past it fail as on a full disk.
    var fileSizeLimit: Int? = nil
    /// Each cell's status in `output/nb.json` afterwards, where the row is about what still runs.
    var statuses: [String: String]? = nil

    var testDescription: String { name }

    enum Damage: Sendable {
        case none
        /// A copy of MNIST in `data/` (links to the real files), with one file changed.
        case dataFile(String, DataEdit)
        /// A first clean run of the same command, then the cache entry of `cell` damaged.
        case cacheEntry(cell: String, EntryEdit)
        /// A garbage partial checkpoint for training cell `cell`, where a killed run leaves one.
        case partialCheckpoint(cell: String)
    }
    enum DataEdit: Sendable { case remove, gzipTruncated, payloadTruncated, wrongMagic, trailingBytes }
    enum EntryEdit: Sendable { case flipLastByte, truncate, wrongMagic }

    var needsData: Bool {
        if case .none = damage { return arguments.contains("--data") } else { return true }
    }

    init(_ name: String, _ notebook: String, _ arguments: [String] = ["check", "nb.md"], status: Int32,
         _ messages: String, damage: Damage = .none, fileSizeLimit: Int? = nil, statuses: [String: String]? = nil) {
        self.init(name, files: ["nb.md": Array(notebook.utf8)], arguments, status: status, messages, damage: damage)
        self.fileSizeLimit = fileSizeLimit
        self.statuses = statuses
    }

    init(_ name: String, files: [String: [UInt8]], _ arguments: [String], status: Int32, _ messages: String, damage: Damage = .none) {
        self.name = name; self.files = files; self.arguments = arguments; self.status = status
        self.messages = messages; self.damage = damage
    }
}

private let digits = "```dataset digits\nsplit: test\nlimit: 100\n```\n\n"
private let tiny = digits + "```train ae\ndata: digits\nepochs: 1\nbatch: 50\n```\n\n```encode z\nmodel: ae\ndata: digits\nsample: 100\n```\n"
private let runArgs = ["run", "nb.md", "--data", "data", "--threads", "2"]

/// Over 40 mistakes, grouped as the issue lists them.
let badInputs: [BadInput] = [
    // Malformed YAML and front matter.
    BadInput("malformed YAML in a cell", digits + "```train ae\ndata: [digits\n```\n", status: 1, """
        nb.md:8:1: error: malformed YAML: did not find expected ',' or ']' (while parsing a flow sequence on line 7)
        """),
    BadInput("malformed YAML in the front matter", "---\ntitle: [unclosed\n---\n\n# x\n", status: 1, """
        nb.md:3:1: error: malformed YAML: did not find expected ',' or ']' (while parsing a flow sequence on line 2)
        """),
    BadInput("front matter never closed", "---\ntitle: x\n\n# x\n", status: 1, """
        nb.md:1:1: error: front matter is never closed
          hint: end it with a line that is just '---' (or '...')
        """),
    BadInput("front matter that is a list", "---\n- title\n---\n\n# x\n", status: 1, """
        nb.md:2:1: error: front matter must be a YAML mapping, found a list
          hint: write one 'key: value' per line
        """),
    BadInput("front matter title that is a list", "---\ntitle: [a, b]\n---\n\n# x\n", status: 1, """
        nb.md:2:8: error: front matter field 'title' must be text, found a list
        """),
    BadInput("negative seed", "---\nseed: -3\n---\n\n# x\n", status: 1, """
        nb.md:2:7: error: seed must be a non-negative integer, found '-3'
        """),
    BadInput("two YAML documents in a cell", digits + "```train ae\ndata: digits\n---\nepochs: 2\n```\n", status: 1, """
        nb.md:8:1: error: expected a single YAML document, found another one here
          hint: '---' and '...' lines separate YAML documents; remove them
        """),
    BadInput("cell body that is a list", digits + "```train ae\n- data\n```\n", status: 1, """
        nb.md:7:1: error: a cell's body must be a YAML mapping of options, found a list
          hint: write one 'key: value' per line
        """),
    BadInput("duplicate option", digits + "```train ae\ndata: digits\nepochs: 2\nepochs: 3\n```\n", status: 1, """
        nb.md:9:1: error: duplicate key 'epochs' (first defined on line 8)
        """),
    // Unknown directives and options.
    BadInput("misspelt directive (a warning: shown as code)", digits + "```trian ae\ndata: digits\n```\n", status: 0, """
        nb.md:6:1: warning: 'trian' is not a cell directive, so this block is shown as code (did you mean 'train'?)
        """),
    BadInput("unknown option", digits + "```train ae\ndata: digits\nepoch: 3\n```\n", status: 1, """
        nb.md:8:1: error: unknown option 'epoch' for 'train' (did you mean 'epochs'?)
        """),
    BadInput("unknown choice", digits + "```train ae\ndata: digits\nloss: mae\n```\n", status: 1, """
        nb.md:8:7: error: option 'loss' must be one of bce, mse, got 'mae' (did you mean 'mse'?)
        """),
    BadInput("unknown profile", digits + "```train ae\ndata: digits\nepochs: {quick: 3, ful: 30}\n```\n", status: 1, """
        nb.md:8:20: error: option 'epochs' gives a value for unknown profile 'ful' (did you mean 'full'?)
        """),
    BadInput("unknown layer type", digits + "```train ae\ndata: digits\nencoder: [flatten, {dense2: {units: 2}}]\ndecoder: [{dense: {units: 784}}, {reshape: [28, 28, 1]}]\n```\n", status: 1, """
        nb.md:8:21: error: option 'encoder': unknown layer type 'dense2' (did you mean 'dense'?)
        """),
    BadInput("unknown layer parameter", digits + "```train ae\ndata: digits\nencoder: [flatten, {dense: {unit: 2}}]\ndecoder: [{dense: {units: 784}}, {reshape: [28, 28, 1]}]\n```\n", status: 1, """
        nb.md:8:29: error: option 'encoder': dense has no parameter 'unit' (did you mean 'units'?)
        """),
    // Wrong types.
    BadInput("text for a number", digits + "```train ae\ndata: digits\nepochs: many\n```\n", status: 1, """
        nb.md:8:9: error: option 'epochs' expects an integer, got 'many'
        """),
    BadInput("fraction for an integer", digits + "```train ae\ndata: digits\nbatch: 12.5\n```\n", status: 1, """
        nb.md:8:8: error: option 'batch' expects an integer, got '12.5'
        """),
    BadInput("number for a list", digits + "```train ae\ndata: digits\n```\n\n```mask m\nmodel: ae\ndata: digits\nsize: {a: 1}\n```\n", status: 1, """
        nb.md:13:7: error: option 'size' expects an integer, got a mapping
        """),
    BadInput("list for a cell name", digits + "```train ae\ndata: [digits]\n```\n", status: 1, """
        nb.md:7:7: error: option 'data' expects the name of an earlier dataset cell, got a list
        """),
    BadInput("arch and encoder together", digits + "```train ae\ndata: digits\narch: deep\nencoder: [flatten, {dense: {units: 2}}]\n```\n", status: 1, """
        nb.md:8:7: error: option 'arch': give either arch or encoder and decoder, not both
        """),
    // Out-of-range values and absurd sizes, refused before anything is allocated.
    BadInput("zero latent size", digits + "```train ae\ndata: digits\nlatent: 0\n```\n", status: 1, """
        nb.md:8:9: error: option 'latent' must be between 1 and 256, got 0
        """),
    BadInput("learning rate above 1", digits + "```train ae\ndata: digits\nlr: 5\n```\n", status: 1, """
        nb.md:8:5: error: option 'lr' must be between 1e-06 and 1.0, got 5
        """),
    BadInput("epochs 10^9", digits + "```train ae\ndata: digits\nepochs: 1000000000\n```\n", status: 1, """
        nb.md:8:9: error: option 'epochs' must be between 1 and 1000, got 1000000000
        """),
    BadInput("latent 10^6", digits + "```train ae\ndata: digits\nlatent: 1000000\n```\n", status: 1, """
        nb.md:8:9: error: option 'latent' must be between 1 and 256, got 1000000
        """),
    BadInput("a 10^6 × 10^6 image grid", digits + "```train ae\ndata: digits\n```\n\n```decode g\nmodel: ae\nn: 1000000\n```\n", status: 1, """
        nb.md:12:4: error: option 'n' must be between 2 and 40, got 1000000
        """),
    BadInput("10^6 generated images", digits + "```train ae\ndata: digits\n```\n\n```decode g\nmodel: ae\nfrom: gaussian\ncount: 1000000\n```\n", status: 1, """
        nb.md:13:8: error: option 'count' must be between 1 and 400, got 1000000
        """),
    BadInput("10^9 images", "```dataset digits\nlimit: 1000000000\n```\n", status: 1, """
        nb.md:2:8: error: option 'limit' must be between 1 and 70000, got 1000000000
        """),
    BadInput("integer past Int64", digits + "```train ae\ndata: digits\nbatch: 99999999999999999999999\n```\n", status: 1, """
        nb.md:8:8: error: option 'batch' expects an integer, got '99999999999999999999999'
        """),
    BadInput("a layer of 10^6 filters", digits + "```train ae\ndata: digits\nencoder: [{conv2d: {filters: 1000000}}, flatten, {dense: {units: 2}}]\ndecoder: [{dense: {units: 784}}, {reshape: [28, 28, 1]}]\n```\n", status: 1, """
        nb.md:8:30: error: option 'encoder': conv2d 'filters' must be an integer between 1 and 4096, got '1000000'
        """),
    // Names and references.
    BadInput("duplicate cell name", digits + "```dataset digits\nsplit: train\n```\n", status: 1, """
        nb.md:6:12: error: duplicate cell name 'digits' (first used on line 1)
        """),
    BadInput("invalid cell name", digits + "```train 9ae\ndata: digits\n```\n", status: 1, """
        nb.md:6:10: error: invalid cell name '9ae'
          hint: a name starts with a letter and has only letters, digits, '_' and '-'
        """),
    BadInput("text after the cell name", digits + "```train ae extra\ndata: digits\n```\n", status: 1, """
        nb.md:6:13: error: unexpected text 'extra' after the cell name
          hint: a cell's info string is '<directive> [name]'
        """),
    BadInput("unknown cell", digits + "```train ae\ndata: digitz\n```\n", status: 1, """
        nb.md:7:7: error: option 'data' names unknown cell 'digitz' (did you mean 'digits'?)
        """),
    BadInput("later cell", "```train ae\ndata: digits\n```\n\n" + digits, status: 1, """
        nb.md:2:7: error: cell 'digits' is defined later (line 5); a cell can only use cells above it
        """),
    BadInput("a cell reading itself (no cycles)", digits + "```train ae\ndata: digits\n```\n\n```encode z\nmodel: z\ndata: digits\n```\n", status: 1, """
        nb.md:11:8: error: cell 'z' cannot use itself
        """),
    BadInput("cell of the wrong kind", digits + "```encode z\nmodel: digits\ndata: digits\n```\n", status: 1, """
        nb.md:7:8: error: option 'model' needs a model cell, but 'digits' gives dataset
        """),
    BadInput("prose reference to an unknown cell", digits + "There are {{digit.count}} images.\n", status: 1, """
        nb.md:6:11: error: reference to unknown cell 'digit' (did you mean 'digits'?)
        """),
    BadInput("unclosed prose reference", digits + "There are {{digits.count images.\n", status: 1, """
        nb.md:6:11: error: inline reference is missing its closing '}}'
          hint: write {{ cell.field }}, e.g. {{ baseline.final_loss }}
        """),
    BadInput("citation of an unknown figure", digits + "As @fig-digit shows.\n", status: 1, """
        nb.md:6:4: error: citation of unknown figure '@fig-digit' (did you mean '@fig-digits'?)
          hint: '@fig-name' cites the figure of the cell named 'name'
        """),
    BadInput("data folder outside the notebook's", "---\ndata: ../../etc\n---\n\n" + digits, status: 1, """
        nb.md:2:7: error: data directory '../../etc' is outside the notebook's folder
          hint: a relative path must stay inside the notebook's folder; to read elsewhere on purpose, give an absolute path, --data or LATENTBOOK_DATA
        """),
    // Files that are not notebooks.
    BadInput("empty notebook", "", status: 1, """
        nb.md:1:1: error: the notebook is empty
          hint: write prose and fenced cells, e.g. a ```dataset digits block; `latentbook directives` lists them
        """),
    BadInput("blank notebook", "\n  \n\t\n", status: 1, """
        nb.md:1:1: error: the notebook is empty
          hint: write prose and fenced cells, e.g. a ```dataset digits block; `latentbook directives` lists them
        """),
    BadInput("Latin-1 notebook", files: ["nb.md": Array("# Caf".utf8) + [0xE9] + Array("\n".utf8)], ["check", "nb.md"], status: 1, """
        nb.md:1:6: error: the notebook is not UTF-8 text: byte 0xE9 here is not valid UTF-8
          hint: save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 in.md > out.md)
        """),
    BadInput("binary file", files: ["nb.md": [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00]], ["check", "nb.md"], status: 1, """
        nb.md:3:1: error: the notebook contains a NUL byte: this is a binary file, not Markdown
          hint: a notebook is a Markdown text file
        """),
    BadInput("notebook over 4 MiB", files: ["nb.md": [UInt8](repeating: 0x61, count: 5_000_000)], ["check", "nb.md"], status: 1, """
        nb.md:1:1: error: the notebook is 5,000,000 bytes, over the limit of 4,194,304 (4 MiB)
          hint: split it into several notebooks; identical cells share their cached results
        """),
    BadInput("1,001 cells", digits + (1...1000).map { "```encode z\($0)\nmodel: ae\ndata: digits\n```\n\n" }.joined(), status: 1, """
        nb.md:5001:1: error: the notebook has 1,001 cells, over the limit of 1,000; none was checked
          hint: split it into several notebooks; identical cells share their cached results
        """),
    BadInput("missing notebook", files: [:], ["check", "nb.md"], status: 2, """
        error: cannot read notebook nb.md: no such file
        """),
    BadInput("a directory as the notebook", files: ["nb.md/x": []], ["run", "nb.md"], status: 2, """
        error: cannot read notebook nb.md: it is a directory
        """),
    // Where results go.
    BadInput("output directory under a file", files: ["nb.md": Array("# x\n".utf8), "file": []], ["run", "nb.md", "-o", "file/out"], status: 2, """
        error: cannot write file/out/nb.json: Not a directory
        """),
    BadInput("cache directory under a file", files: ["nb.md": Array("# x\n".utf8), "file": []], ["run", "nb.md", "--cache", "file/cache"], status: 2, """
        error: cannot create directory file/cache: Not a directory
        """),
    BadInput("unknown flag", "# x\n", ["run", "nb.md", "--profil", "full"], status: 64, """
        Error: Unknown option '--profil'. Did you mean '--profile'?
        """),
    BadInput("unknown --cell", digits, ["run", "nb.md", "--cell", "digit"], status: 2, """
        error: no cell named 'digit' (did you mean 'digits'?)
        """),
    // Data files.
    BadInput("no data directory", digits, ["run", "nb.md", "--data", "nowhere"], status: 1, """
        nb.md:1:1: error: digits: data directory $TMP/nowhere given by --data does not exist or is not a directory
          hint: pass --data a directory that contains mnist/ and fashion-mnist/
        """),
    BadInput("missing IDX file", digits, runArgs, status: 1, """
        nb.md:1:1: error: digits: missing data file $TMP/data/mnist/t10k-labels-idx1-ubyte.gz (MNIST test labels)
          hint: copy the canonical MNIST IDX files into $TMP/data/mnist/ (from ../shared/data/mnist on the course machines, or the original MNIST distribution), or point --data / LATENTBOOK_DATA at a directory that has them
        """, damage: .dataFile("t10k-labels-idx1-ubyte.gz", .remove)),
    BadInput("truncated gzip", digits, runArgs, status: 1, """
        nb.md:1:1: error: digits: corrupt gzip file $TMP/data/mnist/t10k-labels-idx1-ubyte.gz (MNIST test labels): compressed data ends early
          hint: the file is damaged or not the canonical one; copy the canonical MNIST IDX files into $TMP/data/mnist/ (from ../shared/data/mnist on the course machines, or the original MNIST distribution), or point --data / LATENTBOOK_DATA at a directory that has them
        """, damage: .dataFile("t10k-labels-idx1-ubyte.gz", .gzipTruncated)),
    BadInput("truncated IDX payload", digits, runArgs, status: 1, """
        nb.md:1:1: error: digits: truncated IDX file $TMP/data/mnist/t10k-labels-idx1-ubyte.gz (MNIST test labels): dimensions 10000 need 10000 bytes after the header, found 4992
          hint: the file is damaged or not the canonical one; copy the canonical MNIST IDX files into $TMP/data/mnist/ (from ../shared/data/mnist on the course machines, or the original MNIST distribution), or point --data / LATENTBOOK_DATA at a directory that has them
        """, damage: .dataFile("t10k-labels-idx1-ubyte.gz", .payloadTruncated)),
    BadInput("wrong IDX magic", digits, runArgs, status: 1, """
        nb.md:1:1: error: digits: $TMP/data/mnist/t10k-labels-idx1-ubyte.gz (MNIST test labels) is not an IDX labels file: expected magic number 0x00000801, found 0x00000803
          hint: the file is damaged or not the canonical one; copy the canonical MNIST IDX files into $TMP/data/mnist/ (from ../shared/data/mnist on the course machines, or the original MNIST distribution), or point --data / LATENTBOOK_DATA at a directory that has them
        """, damage: .dataFile("t10k-labels-idx1-ubyte.gz", .wrongMagic)),
    BadInput("IDX with trailing bytes", digits, runArgs, status: 1, """
        nb.md:1:1: error: digits: wrong size for IDX file $TMP/data/mnist/t10k-labels-idx1-ubyte.gz (MNIST test labels): dimensions 10000 need 10000 bytes after the header, found 10002
          hint: the file is damaged or not the canonical one; copy the canonical MNIST IDX files into $TMP/data/mnist/ (from ../shared/data/mnist on the course machines, or the original MNIST distribution), or point --data / LATENTBOOK_DATA at a directory that has them
        """, damage: .dataFile("t10k-labels-idx1-ubyte.gz", .trailingBytes)),
    // The cache and checkpoints: damage is reported, moved aside and recomputed.
    BadInput("cache entry with a flipped byte", tiny, runArgs, status: 0, """
        warning: cached result of 'ae' is corrupt (checksum mismatch: the payload's SHA-256 differs from the header's); recomputing
        """, damage: .cacheEntry(cell: "ae", .flipLastByte)),
    BadInput("truncated cache entry", tiny, runArgs, status: 0, """
        warning: cached result of 'z' is corrupt (truncated: 20 bytes, shorter than the 48-byte header); recomputing
        """, damage: .cacheEntry(cell: "z", .truncate)),
    BadInput("cache entry with the wrong magic", tiny, runArgs, status: 0, """
        warning: cached result of 'digits' is corrupt (wrong magic: not a LatentBook cache entry); recomputing
        """, damage: .cacheEntry(cell: "digits", .wrongMagic)),
    BadInput("garbage partial checkpoint", tiny, runArgs, status: 0, """
        warning: the partial checkpoint of 'ae' is unreadable (safetensors: header length 7521891404167278446 exceeds the limit of 100000000 bytes); training from the start
        """, damage: .partialCheckpoint(cell: "ae")),
    BadInput("garbage checkpoint at train --save", files: ["model.safetensors": Array("not a checkpoint at all".utf8)],
             ["train", "--limit", "100", "--epochs", "1", "--batch", "50", "--data", "data", "--save", "model.safetensors"], status: 2, """
        error: model.safetensors is not a readable checkpoint: safetensors: header length 7521891404167278446 exceeds the limit of 100000000 bytes
        hint: remove it or choose another --save path
        """),
    BadInput("disk full while saving a result", tiny, runArgs, status: 1, """
        nb.md:6:1: error: ae: cannot write output/.cache/partial/$KEY.safetensors: File too large
        """, fileSizeLimit: 100, statuses: ["digits": "fresh", "ae": "failed", "z": "skipped"]),
    // Models too large, and training that diverges: the cell fails, the rest runs.
    BadInput("a model needing 21 GB to train", digits + "```train big\ndata: digits\nbatch: 8192\nencoder: [{conv2d: {filters: 4096}}, {conv2d: {filters: 4096}}, {conv2d: {filters: 4096}}, {conv2d: {filters: 4096}}, {conv2d: {filters: 4096}}, flatten, {dense: {units: 2}}]\ndecoder: [{dense: {units: 784}}, {reshape: [28, 28, 1]}]\n```\n\n```train ae\ndata: digits\nepochs: 1\nbatch: 50\n```\n", runArgs, status: 1, """
        nb.md:6:1: error: big: training this model with batch 8192 needs about 21.47 GB of memory, more than the $LIMIT allowed (half of this machine's memory)
          hint: use fewer filters or units, or a smaller batch
        """, statuses: ["digits": "fresh", "big": "failed", "ae": "fresh"]),
    BadInput("a layer output of 262,144 × 262,144", digits + "```train wide\ndata: digits\nencoder: [flatten, {dense: {units: 2}}]\ndecoder: [{dense: {units: 4096}}, {reshape: [64, 64, 1]}, {conv2d_transpose: {filters: 1, kernel: 4096, strides: 4096}}]\n```\n", runArgs, status: 1, """
        nb.md:6:1: error: wide: decoder layer 2: its output (262144, 262144, 1) is too large: at most 65,536 high and wide, and 268,435,456 values per image
        """),
    BadInput("training that diverges to NaN", digits.replacingOccurrences(of: "100", with: "2000") + "```train wild\ndata: digits\nloss: mse\nlr: 1\nepochs: 5\nbatch: 16\nencoder: [flatten, {dense: {units: 64}}, {dense: {units: 64}}, {dense: {units: 64}}, {dense: {units: 2}}]\ndecoder: [{dense: {units: 64}}, {dense: {units: 64}}, {dense: {units: 64}}, {dense: {units: 784}}, {reshape: [28, 28, 1]}]\n```\n\n```encode z\nmodel: wild\ndata: digits\n```\n\n```train calm\ndata: digits\nepochs: 1\nbatch: 100\n```\n", runArgs, status: 1, """
        nb.md:6:1: error: wild: training diverged: the loss became NaN at epoch 1, step 4
          hint: try a smaller learning rate
        """, statuses: ["digits": "fresh", "wild": "failed", "z": "skipped", "calm": "fresh"]),
]

@Suite(.serialized) struct BadInputs {
    @Test func thereAreAtLeastFortyDistinctRows() {
        #expect(badInputs.count >= 40)
        #expect(Set(badInputs.map(\.name)).count == badInputs.count)
    }

    @Test(arguments: badInputs)
    func reportedExactly(_ row: BadInput) throws {
        if row.needsData && dataDirectory == nil { return }  // needs MNIST: set LATENTBOOK_DATA
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (path, bytes) in row.files {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        try prepare(row, in: dir)
        // Under a 2 GB address-space cap: a size refused "before any allocation" must really be,
        // or the process dies here instead of printing its message.
        let limits = "ulimit -v 2000000" + (row.fileSizeLimit.map { " && ulimit -f \($0)" } ?? "")
        let result = try runProcess("/bin/sh", ["-c", limits + " && exec \"$0\" \"$@\"", latentbookBinary] + row.arguments, in: dir)
        let expected = row.messages
            .replacingOccurrences(of: "$TMP", with: dir.path)
            .replacingOccurrences(of: "$LIMIT", with: bytesText(Trainer.defaultMemoryLimit))
        #expect(result.status == row.status, "\(result.stderr)")
        #expect(diagnosticLines(result.stderr) == expected)
        // A failed cell stops only the cells that use it.
        if let statuses = row.statuses {
            #expect(try summary(dir.appendingPathComponent("output")).mapValues(\.status) == statuses)
        }
        // Whatever failed, it failed cleanly: no temp file is left behind.
        let leftovers = FileManager.default.enumerator(atPath: dir.path)!.compactMap { $0 as? String }.filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    /// Diagnostics only: progress, timings and summaries vary from run to run.
    private func diagnosticLines(_ stderr: String) -> String {
        stderr.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { $0.contains("error:") || $0.contains("warning:") || $0.hasPrefix("hint:") || $0.hasPrefix("  hint:") || $0.hasPrefix("Error:") }
            .joined(separator: "\n")
            .replacingOccurrences(of: "[0-9a-f]{64}", with: "$KEY", options: .regularExpression)
    }

    private func prepare(_ row: BadInput, in dir: URL) throws {
        let fm = FileManager.default
        if row.needsData && row.arguments.contains("data") {
            let mnist = dir.appendingPathComponent("data/mnist")
            try fm.createDirectory(at: mnist, withIntermediateDirectories: true)
            for name in try fm.contentsOfDirectory(atPath: dataDirectory! + "/mnist") {
                try fm.createSymbolicLink(atPath: mnist.appendingPathComponent(name).path, withDestinationPath: dataDirectory! + "/mnist/" + name)
            }
        }
        switch row.damage {
        case .none:
            break
        case let .dataFile(name, edit):
            let url = dir.appendingPathComponent("data/mnist/\(name)")
            let original = try Data(contentsOf: url)
            try fm.removeItem(at: url)
            let raw = try gunzip(original)
            switch edit {
            case .remove: return
            case .gzipTruncated: try original.prefix(100).write(to: url)
            case .payloadTruncated: try gzip(raw.prefix(5000)).write(to: url)
            case .wrongMagic: try gzip(Data([0, 0, 8, 3]) + raw.dropFirst(4)).write(to: url)
            case .trailingBytes: try gzip(raw + Data("xx".utf8)).write(to: url)
            }
        case let .cacheEntry(cell, edit):
            let first = try latentbook(row.arguments, in: dir)
            #expect(first.status == 0, "\(first.stderr)")
            let url = try cachePath(cell, in: dir, suffix: ".entry")
            var bytes = try Data(contentsOf: url)
            switch edit {
            case .flipLastByte: bytes[bytes.count - 1] ^= 0xFF
            case .truncate: bytes = bytes.prefix(20)
            case .wrongMagic: bytes.replaceSubrange(0..<8, with: Data("NOTCACHE".utf8))
            }
            try bytes.write(to: url)
        case let .partialCheckpoint(cell):
            // Learn the cell's key from a run of the dataset cell alone.
            let first = try latentbook(row.arguments + ["--cell", "digits"], in: dir)
            #expect(first.status == 0, "\(first.stderr)")
            let url = try cachePath(cell, in: dir, suffix: ".safetensors")
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("not a checkpoint at all".utf8).write(to: url)
        }
    }

    /// Where the cache keeps `cell`'s entry (`.entry`) or partial checkpoint (`.safetensors`).
    private func cachePath(_ cell: String, in dir: URL, suffix: String) throws -> URL {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("output/nb.json"))) as! [String: Any]
        let entry = (json["cells"] as! [[String: Any]]).first { $0["name"] as? String == cell }!
        let key = entry["key"] as! String
        let cache = dir.appendingPathComponent("output/.cache")
        return suffix == ".entry" ? cache.appendingPathComponent("\(key.prefix(2))/\(key).entry")
                                  : cache.appendingPathComponent("partial/\(key).safetensors")
    }

    private func gzip(_ data: Data) throws -> Data { try pipe(["gzip", "-c"], data) }
    private func gunzip(_ data: Data) throws -> Data { try pipe(["gzip", "-dc"], data) }

    private func pipe(_ command: [String], _ input: Data) throws -> Data {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("latentbook-pipe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try input.write(to: file)
        let result = try runProcess("/bin/sh", ["-c", command.joined(separator: " ") + " < '\(file.path)' | base64 -w0"])
        return Data(base64Encoded: result.stdout)!
    }
}
