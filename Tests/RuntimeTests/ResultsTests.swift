import Foundation
import ReportModel
import Runtime
import Testing

/// Outputs in `<notebook>.json` and in cache entries: one key naming the kind.
@Test func outputsEncodeAsOneKeyNamingTheirKind() throws {
    let outputs: [Output] = [
        .text("final loss 1"),
        .table(Table(title: "t", columns: ["a"], rows: [["1"]])),
    ]
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = String(decoding: try encoder.encode(outputs), as: UTF8.self)
    #expect(json == #"[{"text":"final loss 1"},{"table":{"columns":["a"],"folded":false,"rows":[["1"]],"title":"t"}}]"#)
    #expect(try JSONDecoder().decode([Output].self, from: Data(json.utf8)) == outputs)
}

@Test(arguments: [#"{}"#, #"{"text":"a","table":{}}"#, #"{"chart":1}"#])
func malformedOutputsAreRejected(json: String) {
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(Output.self, from: Data(json.utf8)) }
}
