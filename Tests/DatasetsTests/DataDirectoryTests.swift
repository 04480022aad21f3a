import Datasets
import Foundation
import Testing

@Test func dataDirectoryResolutionOrder() throws {
    let work = try TempDir()
    for name in ["data", "explicit", "env"] {
        try FileManager.default.createDirectory(at: work.url.appendingPathComponent(name), withIntermediateDirectories: true)
    }
    let env = ["LATENTBOOK_DATA": work.path + "/env"]
    func resolve(_ explicit: String?, _ environment: [String: String]) throws -> String {
        try DataDirectory.resolve(explicit: explicit, environment: environment, workingDirectory: work.path).path
    }
    #expect(try resolve(work.path + "/explicit", env) == work.path + "/explicit")
    #expect(try resolve("explicit", env) == work.path + "/explicit")  // relative to the working directory
    #expect(try resolve(nil, env) == work.path + "/env")
    #expect(try resolve(nil, ["LATENTBOOK_DATA": ""]) == work.path + "/data")
    #expect(try resolve(nil, [:]) == work.path + "/data")
}

@Test func dataDirectoryErrorsNameTheirSource() throws {
    let work = try TempDir()
    try work.write("file", [1])
    func message(_ explicit: String?, _ environment: [String: String]) -> String? {
        #expect(throws: DatasetError.self) {
            try DataDirectory.resolve(explicit: explicit, environment: environment, workingDirectory: work.path)
        }?.reported
    }
    let dir = work.path
    #expect(message("nope", ["LATENTBOOK_DATA": dir]) == """
        error: data directory \(dir)/nope given by --data does not exist or is not a directory
        hint: pass --data a directory that contains mnist/ and fashion-mnist/
        """)
    #expect(message(dir + "/file", [:]) == """
        error: data directory \(dir)/file given by --data does not exist or is not a directory
        hint: pass --data a directory that contains mnist/ and fashion-mnist/
        """)
    #expect(message(nil, ["LATENTBOOK_DATA": "/nonexistent/data"]) == """
        error: data directory /nonexistent/data given by LATENTBOOK_DATA does not exist or is not a directory
        hint: set LATENTBOOK_DATA to a directory that contains mnist/ and fashion-mnist/, or unset it to use data/
        """)
    #expect(message(nil, [:]) == """
        error: no data directory: \(dir)/data does not exist and neither --data nor LATENTBOOK_DATA is set
        hint: create data/ holding mnist/ and fashion-mnist/ (copy ../shared/data on the course machines), or point --data / LATENTBOOK_DATA at a directory that has them
        """)
}
