import Foundation

/// Finds the directory holding `mnist/` and `fashion-mnist/`.
public enum DataDirectory {
    /// Where the directory came from; errors name it so the user knows what to fix.
    public enum Source: Sendable, Equatable {
        case option  // --data DIR
        case environment  // LATENTBOOK_DATA
        case workingDirectory  // data/ under the working directory
    }

    /// Order: `--data DIR`, then `LATENTBOOK_DATA` (ignored when empty), then `data/` under the
    /// working directory. A directory that was given but does not exist is an error rather than a
    /// reason to fall through, so a typo is never silently replaced by other data.
    public static func resolve(
        explicit: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(DatasetError) -> URL {
        let base = URL(fileURLWithPath: workingDirectory, isDirectory: true)
        let (path, source): (String, Source) =
            if let explicit { (explicit, .option) }
            else if let env = environment["LATENTBOOK_DATA"], !env.isEmpty { (env, .environment) }
            else { ("data", .workingDirectory) }
        let url = URL(fileURLWithPath: path, isDirectory: true, relativeTo: base).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .dataDirectoryNotFound(path: url.path, source: source)
        }
        return url
    }
}
